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

export function byModel(m: ResponseMatrix): SparseView {
  return sparse(m.data, m.models.length, m.items.length, false);
}

export function byItem(m: ResponseMatrix): SparseView {
  return sparse(m.data, m.models.length, m.items.length, true);
}

function sparse(data: Uint8Array, nModels: number, nItems: number, transpose: boolean): SparseView {
  const nRows = transpose ? nItems : nModels;
  const nCols = transpose ? nModels : nItems;
  // On shared memory, so that worker threads read the same arrays without a copy.
  const offsets = i32(nRows + 1);
  for (let m = 0; m < nModels; m++) {
    const base = m * nItems;
    for (let i = 0; i < nItems; i++) {
      if (data[base + i] !== MISSING) offsets[(transpose ? i : m) + 1]++;
    }
  }
  for (let r = 0; r < nRows; r++) offsets[r + 1] += offsets[r];
  const n = offsets[nRows];
  const index = nCols < 65536 ? u16(n) : i32(n);
  const value = u8(n);
  const fill = offsets.slice(0, nRows);
  for (let m = 0; m < nModels; m++) {
    const base = m * nItems;
    for (let i = 0; i < nItems; i++) {
      const v = data[base + i];
      if (v === MISSING) continue;
      const r = transpose ? i : m;
      const k = fill[r]++;
      index[k] = transpose ? m : i;
      value[k] = v;
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

export function countObserved(m: ResponseMatrix): number {
  let n = 0;
  for (let k = 0; k < m.data.length; k++) if (m.data[k] !== MISSING) n++;
  return n;
}
