/**
 * Building both sparse views of a matrix, spread over a runner's threads: at leaderboard scale (94.5M cells)
 * this is seconds of work before any fitting starts. Rows (by model) are filled per model range; columns
 * (by item) are filled per item range, reading the dense rows in blocks of columns so the writes stay in cache.
 */
import { MISSING, rowOffsets, type ResponseMatrix, type SparseView } from './matrix.js';
import { balancedRanges, i32, u16, u8 } from '../parallel/shared.js';
import { serialRunner, type Kernel, type Runner } from '../parallel/runner.js';

export interface RowsFillCtx {
  data: Uint8Array;
  nItems: number;
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
  /** this range's answers per item */
  itemCount: Int32Array;
}

function rowsFillKernel(c: RowsFillCtx, from: number, to: number): number {
  const { data, nItems, offsets, index, value, itemCount } = c;
  itemCount.fill(0);
  // Without a branch on MISSING (a fifth of the cells, at random, mispredicts often) every cell is written and the
  // slot kept only for an answer. So a row may also write the slot after its own, offsets[j + 1]: harmless where a
  // later row of this range owns that slot and writes it afterwards, not where it is another thread's. Rows from
  // the first whose next slot is past this range's answers take the branch.
  const end = offsets[to];
  for (let j = from; j < to; j++) {
    const base = j * nItems;
    let k = offsets[j];
    if (offsets[j + 1] < end) {
      for (let i = 0; i < nItems; i++) {
        const v = data[base + i];
        const kept = ((v + 1) >>> 8) ^ 1;
        index[k] = i;
        value[k] = v;
        k += kept;
        itemCount[i] += kept;
      }
    } else {
      for (let i = 0; i < nItems; i++) {
        const v = data[base + i];
        if (v === MISSING) continue;
        index[k] = i;
        value[k++] = v;
        itemCount[i]++;
      }
    }
  }
  return 0;
}

export interface ColsFillCtx {
  data: Uint8Array;
  nItems: number;
  nModels: number;
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
}

const BLOCK = 512;

function colsFillKernel(c: ColsFillCtx, from: number, to: number): number {
  const { data, nItems, nModels, offsets, index, value } = c;
  const fill = offsets.slice(from, to + 1);
  for (let i0 = from; i0 < to; i0 += BLOCK) {
    const i1 = Math.min(to, i0 + BLOCK);
    for (let j = 0; j < nModels; j++) {
      const base = j * nItems;
      for (let i = i0; i < i1; i++) {
        const v = data[base + i];
        if (v === MISSING) continue;
        const p = fill[i - from]++;
        index[p] = j;
        value[p] = v;
      }
    }
  }
  return 0;
}

export const ROWS_FILL: Kernel<RowsFillCtx, number> = { name: 'rowsFill', run: rowsFillKernel };
export const COLS_FILL: Kernel<ColsFillCtx, number> = { name: 'colsFill', run: colsFillKernel };

/** Both views of m; `known`: m's row offsets (rowOffsets), when the caller has counted them already. */
export async function buildViews(m: ResponseMatrix, runner: Runner = serialRunner, known?: Int32Array): Promise<{ bm: SparseView; bi: SparseView }> {
  const nM = m.models.length;
  const nI = m.items.length;
  let data = m.data;
  if (runner !== serialRunner && !(data.buffer instanceof SharedArrayBuffer)) {
    data = u8(data.length);
    data.set(m.data);
  }
  const offsets = known ?? rowOffsets(data, nM, nI);
  const n = offsets[nM];
  const bm: SparseView = { offsets, index: nI < 65536 ? u16(n) : i32(n), value: u8(n) };
  const rowRanges = balancedRanges(offsets, runner.size);
  const counts = rowRanges.map(() => i32(nI));
  await runner.run(ROWS_FILL, rowRanges, (k) => ({ data, nItems: nI, ...bm, itemCount: counts[k] }));
  const ioff = i32(nI + 1);
  for (let i = 0; i < nI; i++) {
    let c = 0;
    for (const cnt of counts) c += cnt[i];
    ioff[i + 1] = ioff[i] + c;
  }
  const bi: SparseView = { offsets: ioff, index: nM < 65536 ? u16(n) : i32(n), value: u8(n) };
  await runner.run(COLS_FILL, balancedRanges(ioff, runner.size), () => ({ data, nItems: nI, nModels: nM, ...bi }));
  return { bm, bi };
}
