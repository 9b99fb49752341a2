/**
 * The ResponseMatrix: models × items of {wrong, correct, missing}, one byte a cell, row-major by model.
 * One byte a cell keeps the Open LLM Leaderboard scale (4,500 × 21,000) under 100 MB, and gives the
 * estimators O(1) access; `byModel`/`byItem` give sparse views for the hot loops when much is missing.
 */
import { i32, u16, u8 } from '../parallel/shared.js';

export const WRONG = 0;
export const CORRECT = 1;
export const MISSING = 255;

export interface ResponseMatrix {
  readonly models: readonly string[];
  readonly items: readonly string[];
  /** codes, `data[m * items.length + i]` is model m's answer to item i: 0, 1 or MISSING */
  readonly data: Uint8Array;
}

export function emptyMatrix(models: readonly string[], items: readonly string[]): ResponseMatrix {
  return { models, items, data: new Uint8Array(models.length * items.length).fill(MISSING) };
}

/** Build a matrix from small nested arrays (1, 0, or null/undefined for missing); handy in tests and examples. */
export function matrixFromRows(
  rows: ReadonlyArray<ReadonlyArray<number | boolean | null | undefined>>,
  models?: readonly string[],
  items?: readonly string[],
): ResponseMatrix {
  const nItems = rows.length ? rows[0].length : 0;
  const m = emptyMatrix(
    models ?? rows.map((_, i) => String(i + 1)),
    items ?? Array.from({ length: nItems }, (_, j) => `item${j + 1}`),
  );
  rows.forEach((row, r) => {
    if (row.length !== nItems) throw new Error(`row ${r} has ${row.length} answers, expected ${nItems}`);
    row.forEach((v, c) => {
      if (v !== null && v !== undefined) m.data[r * nItems + c] = v ? CORRECT : WRONG;
    });
  });
  return m;
}

/** Compressed sparse rows: for each model the observed items and answers (or by item, with the roles swapped). */
export interface SparseView {
  /** offsets[r]..offsets[r+1] index `index` and `value` for row r */
  readonly offsets: Int32Array;
  /** column indices; 16-bit when the other side has fewer than 65,536 entries (halves memory and bandwidth) */
  readonly index: Int32Array | Uint16Array;
  readonly value: Uint8Array;
}

/** CSR offsets of the by-model view: where each model's answers start. On shared memory, for the worker threads. */
export function rowOffsets(data: Uint8Array, nModels: number, nItems: number): Int32Array {
  const offsets = i32(nModels + 1);
  const words = wordsOf(data);
  for (let j = 0; j < nModels; j++) {
    const from = j * nItems;
    const to = from + nItems;
    let missing = 0;
    // cells before the first whole word and after the last are counted one by one
    const w0 = Math.min(to, from + ((words.lead - from) & 3));
    for (let k = from; k < w0; k++) missing += (data[k] + 1) >>> 8;
    const nw = (to - w0) >>> 2;
    const wFrom = (w0 - words.lead) >>> 2;
    for (let w = wFrom; w < wFrom + nw; w++) missing += missingIn(words.view[w]);
    for (let k = w0 + 4 * nw; k < to; k++) missing += (data[k] + 1) >>> 8;
    offsets[j + 1] = offsets[j] + nItems - missing;
  }
  return offsets;
}

/**
 * The cells four at a time: a Uint32Array over the whole words of data, from its first 4-byte boundary (`lead`
 * cells in). Counting a row's answers a word at a time is several times faster than a cell at a time.
 */
function wordsOf(data: Uint8Array): { view: Uint32Array; lead: number } {
  const lead = (4 - (data.byteOffset & 3)) & 3;
  const view = data.length >= lead + 4 ? new Uint32Array(data.buffer, data.byteOffset + lead, (data.length - lead) >>> 2) : new Uint32Array(0);
  return { view, lead };
}

/** How many of a word's four cells are MISSING (0xFF): the zero bytes of its complement, found without a branch. */
function missingIn(w: number): number {
  const x = ~w;
  const nonZero = (((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
  return 4 - (Math.imul(nonZero >>> 7, 0x01010101) >>> 24);
}

export function byModel(m: ResponseMatrix): SparseView {
  const nModels = m.models.length;
  const nItems = m.items.length;
  const data = m.data;
  const offsets = rowOffsets(data, nModels, nItems);
  const n = offsets[nModels];
  const index = nItems < 65536 ? u16(n) : i32(n);
  const value = u8(n);
  let k = 0;
  for (let j = 0; j < nModels; j++) {
    const base = j * nItems;
    for (let i = 0; i < nItems; i++) {
      const v = data[base + i];
      if (v === MISSING) continue;
      index[k] = i;
      value[k++] = v;
    }
  }
  return { offsets, index, value };
}

/** The by-item view; from the by-model view when given (a pass over the answers, not over every cell). */
export function byItem(m: ResponseMatrix, rows: SparseView = byModel(m)): SparseView {
  return transposeView(rows, m.items.length);
}

/** Swap the roles of rows and columns of a sparse view; entries stay sorted by the old row within each new row. */
export function transposeView(v: SparseView, nCols: number): SparseView {
  const nRows = v.offsets.length - 1;
  const n = v.offsets[nRows];
  const offsets = i32(nCols + 1);
  for (let k = 0; k < n; k++) offsets[v.index[k] + 1]++;
  for (let c = 0; c < nCols; c++) offsets[c + 1] += offsets[c];
  const index = nRows < 65536 ? u16(n) : i32(n);
  const value = u8(n);
  const fill = offsets.slice(0, nCols);
  for (let r = 0; r < nRows; r++) {
    for (let k = v.offsets[r]; k < v.offsets[r + 1]; k++) {
      const p = fill[v.index[k]]++;
      index[p] = r;
      value[p] = v.value[k];
    }
  }
  return { offsets, index, value };
}

/** Keep only the given models and items (in the given order); used by bootstraps, holdouts and filters. */
export function subsetMatrix(m: ResponseMatrix, modelIdx: ArrayLike<number>, itemIdx: ArrayLike<number>): ResponseMatrix {
  const nI = m.items.length;
  const out = emptyMatrix(
    Array.from(modelIdx, (r) => m.models[r]),
    Array.from(itemIdx, (c) => m.items[c]),
  );
  const k = itemIdx.length;
  for (let r = 0; r < modelIdx.length; r++) {
    const src = modelIdx[r] * nI;
    for (let c = 0; c < k; c++) out.data[r * k + c] = m.data[src + itemIdx[c]];
  }
  return out;
}
