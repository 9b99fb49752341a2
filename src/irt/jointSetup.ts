/**
 * Before and after the joint sweeps (joint.ts): who sits out (jml: rows without variation have no finite
 * estimate), start values, and afterwards the sat-out rows' estimates by the extreme-score adjustment.
 */
import type { SparseView } from '../responses/matrix.js';
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

/** Set aside the rows of `sp` that have no variation against the other side's active entries. */
function sitOut(sp: SparseView, active: Uint8Array, other: Uint8Array): boolean {
  let changed = false;
  for (let r = 0; r < active.length; r++) {
    if (!active[r]) continue;
    const { n, s } = rowStats(sp, r, other);
    if (n === 0 || s === 0 || s === n) {
      active[r] = 0;
      changed = true;
    }
  }
  return changed;
}

/**
 * jml: repeat, since dropping an item can leave a model with a perfect score, and back. A side is checked again
 * only when the other side lost rows since its last check (else the check would find what it found before): at
 * leaderboard scale each check is a pass over 75M answers.
 */
export function sitOutExtremes(bm: SparseView, bi: SparseView, activeM: Uint8Array, activeI: Uint8Array): void {
  let models = true;
  let items = true;
  while (models || items) {
    if (models) {
      models = false;
      if (sitOut(bm, activeM, activeI)) items = true;
    }
    if (items) {
      items = false;
      if (sitOut(bi, activeI, activeM)) models = true;
    }
  }
}

/** θ and d from each row's log-odds of a right answer (with half an answer added each way). */
export function startValues(bm: SparseView, bi: SparseView, c: JointCtx): void {
  for (let j = 0; j < c.theta.length; j++) {
    const { n, s } = rowStats(bm, j, c.activeI);
    c.theta[j] = Math.log((s + 0.5) / (n - s + 0.5));
  }
  for (let i = 0; i < c.d.length; i++) {
    const { n, s } = rowStats(bi, i, c.activeM);
    c.d[i] = Math.log((s + 0.5) / (n - s + 0.5));
  }
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
