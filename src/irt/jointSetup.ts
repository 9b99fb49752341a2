/**
 * Before and after the joint sweeps (joint.ts): who sits out (jml: rows without variation have no finite
 * estimate), start values, and afterwards the sat-out rows' estimates by the extreme-score adjustment.
 */
import type { SparseView } from '../responses/matrix.js';
import type { Kernel, Runner } from '../parallel/runner.js';
import { i32 } from '../parallel/shared.js';
import { modelScore, type JointCtx } from './jointKernels.js';
import { sigmoid } from './model.js';
import { EXTREME_SCORE_ADJ } from './priors.js';

/** Answers and right answers of row r of `sp`, counting only the other side's active entries. */
function rowStats(sp: SparseView, r: number, other: Uint8Array): { n: number; s: number } {
  let n = 0;
  let s = 0;
  for (let k = sp.offsets[r]; k < sp.offsets[r + 1]; k++) {
    if (!other[sp.index[k]]) continue;
    n++;
    s += sp.value[k];
  }
  return { n, s };
}

/** Answers (n) and right answers (s) of every row of a view, counting only the other side's active entries. */
export interface RowStatsCtx {
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
  other: Uint8Array;
  n: Int32Array;
  s: Int32Array;
}

function rowStatsKernel(c: RowStatsCtx, from: number, to: number): number {
  for (let r = from; r < to; r++) {
    const { n, s } = rowStats(c, r, c.other);
    c.n[r] = n;
    c.s[r] = s;
  }
  return 0;
}

export const ROW_STATS: Kernel<RowStatsCtx, number> = { name: 'jointRowStats', run: rowStatsKernel };

/** One side of the data (models or items) with its ranges over the runner's threads. */
export interface Side {
  view: SparseView;
  ranges: Array<[number, number]>;
}

/** Each row's counts against the other side's active entries, spread over the runner (counts: any split, same result). */
async function countRows(side: Side, other: Uint8Array, runner: Runner): Promise<{ n: Int32Array; s: Int32Array }> {
  const rows = side.view.offsets.length - 1;
  const out = { n: i32(rows), s: i32(rows) };
  await runner.run(ROW_STATS, side.ranges, () => ({ ...side.view, other, ...out }));
  return out;
}

/** Set aside the rows of `side` that have no variation against the other side's active entries; returns the counts. */
async function sitOut(side: Side, active: Uint8Array, other: Uint8Array, runner: Runner): Promise<{ changed: boolean; n: Int32Array; s: Int32Array }> {
  const { n, s } = await countRows(side, other, runner);
  let changed = false;
  for (let r = 0; r < active.length; r++) {
    if (active[r] && (n[r] === 0 || s[r] === 0 || s[r] === n[r])) {
      active[r] = 0;
      changed = true;
    }
  }
  return { changed, n, s };
}

/** Each side's row counts against the other side's final active entries, as sitOutExtremes leaves them. */
export interface SideCounts {
  models: { n: Int32Array; s: Int32Array };
  items: { n: Int32Array; s: Int32Array };
}

/**
 * jml: repeat, since dropping an item can leave a model with a perfect score, and back. A side is checked again
 * only when the other side lost rows since its last check (else the check would find what it found before): at
 * leaderboard scale each check is a pass over 75M answers. When both sides are settled, each side's last counts
 * were taken against the other's final active set, so the start values can use them.
 */
export async function sitOutExtremes(models: Side, items: Side, activeM: Uint8Array, activeI: Uint8Array, runner: Runner): Promise<SideCounts> {
  let checkModels = true;
  let checkItems = true;
  const counts = {} as SideCounts;
  while (checkModels || checkItems) {
    if (checkModels) {
      checkModels = false;
      const r = await sitOut(models, activeM, activeI, runner);
      counts.models = r;
      if (r.changed) checkItems = true;
    }
    if (checkItems) {
      checkItems = false;
      const r = await sitOut(items, activeI, activeM, runner);
      counts.items = r;
      if (r.changed) checkModels = true;
    }
  }
  return counts;
}

/** θ and d from each row's log-odds of a right answer (with half an answer added each way). */
export async function startValues(models: Side, items: Side, c: JointCtx, runner: Runner, known?: SideCounts): Promise<void> {
  const m = known?.models ?? (await countRows(models, c.activeI, runner));
  const it = known?.items ?? (await countRows(items, c.activeM, runner));
  for (let j = 0; j < c.theta.length; j++) c.theta[j] = Math.log((m.s[j] + 0.5) / (m.n[j] - m.s[j] + 0.5));
  for (let i = 0; i < c.d.length; i++) c.d[i] = Math.log((it.s[i] + 0.5) / (it.n[i] - it.s[i] + 0.5));
}

/** Extreme items against the active models' θ: solve Σ P = score ∓ adj for d (slope and c kept at their start). */
export function fitExtremeItem(bi: SparseView, c: JointCtx, i: number): void {
  let n = 0;
  let s = 0;
  for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
    n++;
    s += bi.value[kk];
  }
  const target = s === 0 ? EXTREME_SCORE_ADJ : s === n ? n - EXTREME_SCORE_ADJ : s;
  for (let it = 0; it < 100; it++) {
    let sum = 0;
    let der = 0;
    for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
      const P = sigmoid(c.a[i] * c.theta[bi.index[kk]] + c.d[i]);
      sum += P;
      der += P * (1 - P);
    }
    const step = Math.max(-2, Math.min(2, (target - sum) / Math.max(der, 1e-12)));
    c.d[i] += step;
    if (Math.abs(step) < 1e-10) break;
  }
}

/** Extreme models against all items: Newton on Σ a(x − P) ∓ adj·mean(a) = 0. */
export function fitExtremeModel(bm: SparseView, c: JointCtx, j: number): void {
  let n = 0;
  let s = 0;
  let sa = 0;
  for (let kk = bm.offsets[j]; kk < bm.offsets[j + 1]; kk++) {
    n++;
    s += bm.value[kk];
    sa += c.a[bm.index[kk]];
  }
  if (!n) return;
  const shift = s === n ? -EXTREME_SCORE_ADJ * (sa / n) : s === 0 ? EXTREME_SCORE_ADJ * (sa / n) : 0;
  for (let it = 0; it < 200; it++) {
    const r = modelScore(c, j, c.theta[j], true, shift);
    const step = Math.max(-1, Math.min(1, r.f / Math.max(r.info, 1e-12)));
    c.theta[j] += step;
    if (Math.abs(step) < 1e-10) break;
  }
}
