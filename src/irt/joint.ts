/**
 * Joint estimation: θ for every model and item parameters together, by alternating one Fisher-scoring step
 * for every item (θ fixed) and one Newton step for every model (items fixed).
 * - jml: joint maximum likelihood. Models and items without variation have no finite estimate: they sit out the
 *   iterations and are estimated afterwards against the fitted rest with a 0.3-point extreme-score adjustment.
 *   Rasch difficulties get the usual (L − 1)/L bias correction. The scale is pinned to θ mean 0 (and sd 1 for 2pl/3pl).
 * - map: joint MAP with priors θ ~ N(0, 1), d ~ N(0, 3²), log a ~ N(0, 1), c ~ Beta(5, 17) (the py-irt way):
 *   every estimate is finite and nothing sits out. The priors alone do not pin the scale: the likelihood is unchanged
 *   by (θ·s, a/s), and the θ prior pulls s below 1 (slopes came out ~1.9× too large in a probe, after ~500 slow
 *   sweeps). So, as for jml, θ is standardized after every sweep, and the priors only keep estimates finite.
 */
import { byItem, byModel, type ResponseMatrix, type SparseView } from '../responses/matrix.js';
import { balancedRanges, f64, u8 } from '../parallel/shared.js';
import { serialRunner, type Runner } from '../parallel/runner.js';
import { solveSpd } from '../util/linalg.js';
import { JOINT_ITEM_INFO, JOINT_ITEMS, JOINT_MODEL_INFO, JOINT_MODELS, jointLoglik, modelScore, type JointCtx } from './jointKernels.js';
import { SLOPE_BOUND } from './itemStep.js';
import { phase } from '../util/phase.js';
import { sigmoid, type ItemModel } from './model.js';

export interface JointOptions {
  model: ItemModel;
  method: 'jml' | 'map';
  tol?: number;
  maxIter?: number;
  guessing?: number;
  onIteration?: (it: number, loglik: number, change: number) => void;
}

export interface JointResult {
  a: Float64Array;
  d: Float64Array;
  c: Float64Array;
  theta: Float64Array;
  thetaSe: Float64Array;
  /** per item: the inverse Fisher information of (a?, d, g?) in the joint model, for SEs */
  itemCov: Float64Array[];
  itemFree: { a: boolean; g: boolean };
  loglik: number;
  iterations: number;
  converged: boolean;
  lastChange: number;
  lastLoglikChange: number;
  /** indices held finite by the extreme-score adjustment (jml) */
  extremeItems: number[];
  extremeModels: number[];
}

export const MAP_PRIORS = { thetaSd: 1, dSd: 3, logASd: 1, cAlpha: 5, cBeta: 17 };
const ADJ = 0.3;

export async function fitJoint(m: ResponseMatrix, o: JointOptions, views?: { bm: SparseView; bi: SparseView }, runner: Runner = serialRunner): Promise<JointResult> {
  const nM = m.models.length;
  const nI = m.items.length;
  const bm = views?.bm ?? byModel(m);
  const bi = views?.bi ?? byItem(m);
  const isMap = o.method === 'map';
  const freeA = o.model === '2pl' || o.model === '3pl';
  const freeG = o.model === '3pl' && o.guessing === undefined;
  const tol = o.tol ?? 1e-4;
  const maxIter = o.maxIter ?? 500;

  const a = f64(nI).fill(1);
  const d = f64(nI);
  const g = f64(nI).fill(o.model === '3pl' ? logit(o.guessing ?? 5 / 22) : -Infinity);
  const theta = f64(nM);
  const activeM = u8(nM).fill(1);
  const activeI = u8(nI).fill(1);
  const common = o.model === 'rasch' || o.model === '1pl';
  const eInv = f64(common ? nM : 0);
  const fInv = f64(common ? nI : 0);
  /** the common-slope kernels' tables at the current θ and d */
  const tabulateE = () => {
    for (let j = 0; j < nM; j++) eInv[j] = Math.exp(-a[0] * theta[j]);
  };
  const tabulateF = () => {
    for (let i = 0; i < nI; i++) fInv[i] = Math.exp(-d[i]);
  };
  const ctx: JointCtx = {
    biOff: bi.offsets, biIdx: bi.index, biVal: bi.value,
    bmOff: bm.offsets, bmIdx: bm.index, bmVal: bm.value,
    a, d, g, theta, activeI, activeM,
    common, eInv, fInv,
    freeA, freeG, is3pl: o.model === '3pl', isMap,
    wantLL: false,
    itemLl: f64(nI),
    step: true,
    ...MAP_PRIORS,
  };

  // Who sits out (jml only): repeat, since dropping an item can leave a model with a perfect score, and back.
  const rowStats = (sp: SparseView, r: number, other: Uint8Array) => {
    let n = 0;
    let s = 0;
    for (let k = sp.offsets[r]; k < sp.offsets[r + 1]; k++) {
      if (!other[sp.index[k]]) continue;
      n++;
      s += sp.value[k];
    }
    return { n, s };
  };
  if (!isMap) {
    /** Set aside the rows of `sp` that have no variation against the other side's active entries. */
    const sitOut = (sp: SparseView, active: Uint8Array, other: Uint8Array): boolean => {
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
    };
    for (let changed = true; changed; ) {
      const models = sitOut(bm, activeM, activeI);
      const items = sitOut(bi, activeI, activeM);
      changed = models || items;
    }
  }
  for (let j = 0; j < nM; j++) {
    const { n, s } = rowStats(bm, j, activeI);
    theta[j] = Math.log((s + 0.5) / (n - s + 0.5));
  }
  for (let i = 0; i < nI; i++) {
    const { n, s } = rowStats(bi, i, activeM);
    d[i] = Math.log((s + 0.5) / (n - s + 0.5));
  }
  if (o.model === '3pl') {
    // The 3pl's joint objective has poor local optima: from the plain start values MATH ended with a joint
    // log-likelihood 16,000 below the 2pl's and a held-out AUC of 0.73. Started from the 2pl's joint fit (with
    // the same method), and c small, it climbs from a point that already fits.
    const two = await fitJoint(m, { model: '2pl', method: o.method, tol: Math.max(tol, 1e-3), maxIter: 200 }, { bm, bi }, runner);
    a.set(two.a);
    d.set(two.d);
    theta.set(two.theta);
    if (freeG) g.fill(logit(0.05));
  }

  phase('joint: extremes and start values');
  const itemRanges = balancedRanges(bi.offsets, runner.size);
  const modelRanges = balancedRanges(bm.offsets, runner.size);
  const commonA = o.model === '1pl';
  const prevA = new Float64Array(nI);
  const prevD = new Float64Array(nI);
  const prevG = new Float64Array(nI);
  const prevT = new Float64Array(nM);
  let iterations = 0;
  let converged = false;
  let lastChange = Infinity;
  let loglik = -Infinity;
  let lastLlChange = Infinity;
  pinScale();
  let damp = false;
  while (iterations < maxIter) {
    iterations++;
    prevA.set(a);
    prevD.set(d);
    prevG.set(g);
    prevT.set(theta);
    // The log-likelihood costs a log1p per answer: it is computed once the parameters are nearly still.
    ctx.wantLL = lastChange < 100 * tol;
    if (common) tabulateE();
    await runner.run(JOINT_ITEMS, itemRanges, () => ctx);
    const ll = ctx.wantLL ? jointLoglik(ctx) : -Infinity;
    if (commonA) updateCommonSlope();
    if (common) tabulateF();
    await runner.run(JOINT_MODELS, modelRanges, () => ctx);
    pinScale();
    if (damp || (o.model === '3pl' && iterations > 10)) {
      // The sweeps can settle into a 2-cycle: the 3pl's priors pull against the pinned scale, and items that
      // separate the models perfectly have a flat likelihood between two models' θ. Half steps (averaging with
      // the previous sweep) damp it out without moving the fixed point.
      for (let i = 0; i < nI; i++) {
        a[i] = (a[i] + prevA[i]) / 2;
        d[i] = (d[i] + prevD[i]) / 2;
        if (freeG) g[i] = (g[i] + prevG[i]) / 2;
      }
      for (let j = 0; j < nM; j++) theta[j] = (theta[j] + prevT[j]) / 2;
    }
    // judged on where the sweep left the parameters, after the scale is pinned again
    // Only the active parameters count: those sitting out are moved by pinScale alone, and are estimated afresh after.
    const change = Math.max(maxDiff(a, prevA, activeI), maxDiff(d, prevD, activeI), freeG ? maxDiff(g, prevG, activeI) : 0, maxDiff(theta, prevT, activeM));
    // sweeps that stop contracting turn damping on for the rest of the fit
    if (iterations > 20 && change > 0.5 * lastChange) damp = true;
    lastLlChange = Number.isFinite(ll) && Number.isFinite(loglik) ? Math.abs(ll - loglik) : Infinity;
    loglik = ll;
    lastChange = change;
    o.onIteration?.(iterations, ll, change);
    if (change < tol && lastLlChange < 1e-6 * Math.max(1, nM)) {
      converged = true;
      break;
    }
  }
  phase(`joint: ${iterations} sweeps`);
  // The log-likelihood where the sweeps stopped. After convergence the last sweep's value (taken before a step
  // smaller than tol) stands; otherwise one more pass measures it.
  if (!converged || !Number.isFinite(loglik)) {
    ctx.wantLL = true;
    ctx.step = false;
    if (common) tabulateE();
    await runner.run(JOINT_ITEMS, itemRanges, () => ctx);
    loglik = jointLoglik(ctx);
    ctx.step = true;
  }

  function updateCommonSlope(): void {
    let gr = 0;
    let h = 0;
    for (let i = 0; i < nI; i++) {
      if (!activeI[i]) continue;
      for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
        const j = bi.index[kk];
        if (!activeM[j]) continue;
        const P = sigmoid(a[i] * theta[j] + d[i]);
        gr += (bi.value[kk] - P) * theta[j];
        h += P * (1 - P) * theta[j] * theta[j];
      }
    }
    if (isMap) {
      const la = Math.log(a[0]);
      gr -= la / (MAP_PRIORS.logASd ** 2 * a[0]);
      h += 1 / (MAP_PRIORS.logASd ** 2 * a[0] * a[0]);
    }
    const step = Math.max(-0.5, Math.min(0.5, gr / Math.max(h, 1e-12)));
    a.fill(Math.max(0.05, a[0] + step));
  }

  /** θ mean 0 over active models (and sd 1 where slopes are free or common), items moved to match. */
  function pinScale(): void {
    let n = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < nM; j++)
      if (activeM[j]) {
        n++;
        s1 += theta[j];
        s2 += theta[j] * theta[j];
      }
    if (!n) return;
    const mean = s1 / n;
    const sd = freeA || commonA ? Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12)) : 1;
    for (let j = 0; j < nM; j++) theta[j] = (theta[j] - mean) / sd;
    // z = aθ + d = (a·sd)θ' + (d + a·mean)
    for (let i = 0; i < nI; i++) {
      d[i] += a[i] * mean;
      a[i] = Math.min(SLOPE_BOUND, a[i] * sd);
    }
  }

  const extremeItems: number[] = [];
  const extremeModels: number[] = [];
  if (!isMap) {
    // Rasch JML bias correction on difficulties b = −d/a: multiply by (L − 1)/L.
    if (o.model === 'rasch') {
      let L = 0;
      for (let i = 0; i < nI; i++) L += activeI[i];
      if (L > 1) for (let i = 0; i < nI; i++) if (activeI[i]) d[i] *= (L - 1) / L;
    }
    for (let i = 0; i < nI; i++) if (!activeI[i] && bi.offsets[i + 1] > bi.offsets[i]) extremeItems.push(i);
    for (let j = 0; j < nM; j++) if (!activeM[j]) extremeModels.push(j);
    // Extreme items against the active models' θ: solve Σ P = score ∓ 0.3 for d (slope and c kept at their start).
    for (const i of extremeItems) {
      let n = 0;
      let s = 0;
      for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
        n++;
        s += bi.value[kk];
      }
      const target = s === 0 ? ADJ : s === n ? n - ADJ : s;
      for (let it = 0; it < 100; it++) {
        let sum = 0;
        let der = 0;
        for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
          const P = sigmoid(a[i] * theta[bi.index[kk]] + d[i]);
          sum += P;
          der += P * (1 - P);
        }
        const step = Math.max(-2, Math.min(2, (target - sum) / Math.max(der, 1e-12)));
        d[i] += step;
        if (Math.abs(step) < 1e-10) break;
      }
    }
    // Extreme models against all items: Newton on Σ a(x − P) ∓ 0.3·mean(a) = 0.
    for (const j of extremeModels) {
      let n = 0;
      let s = 0;
      let sa = 0;
      for (let kk = bm.offsets[j]; kk < bm.offsets[j + 1]; kk++) {
        n++;
        s += bm.value[kk];
        sa += a[bm.index[kk]];
      }
      if (!n) continue;
      const shift = s === n ? -ADJ * (sa / n) : s === 0 ? ADJ * (sa / n) : 0;
      for (let it = 0; it < 200; it++) {
        const r = modelScore(ctx, j, theta[j], true, shift);
        const step = Math.max(-1, Math.min(1, r.f / Math.max(r.info, 1e-12)));
        theta[j] += step;
        if (Math.abs(step) < 1e-10) break;
      }
    }
  }

  phase('joint: final log-likelihood, extremes');
  const thetaSe = f64(nM);
  if (common) {
    // the final θ and d, extremes and bias correction included
    tabulateE();
    tabulateF();
  }
  await runner.run(JOINT_MODEL_INFO, modelRanges, () => ({ ...ctx, thetaSe }));
  const k = (freeA ? 1 : 0) + 1 + (freeG ? 1 : 0);
  const info = f64(nI * k * k);
  await runner.run(JOINT_ITEM_INFO, itemRanges, () => ({ ...ctx, info, k }));
  const itemCov = invertBlocks(info, nI, k);
  phase('joint: standard errors');
  const c = Float64Array.from(g, (x) => (x === -Infinity ? 0 : sigmoid(x)));
  return { a: Float64Array.from(a), d: Float64Array.from(d), c, theta: Float64Array.from(theta), thetaSe, itemCov, itemFree: { a: freeA, g: freeG }, loglik, iterations, converged, lastChange, lastLoglikChange: lastLlChange, extremeItems, extremeModels };
}

/** Inverse of each item's k × k information block, for standard errors (NaN where singular). */
function invertBlocks(info: Float64Array, nI: number, k: number): Float64Array[] {
  const out: Float64Array[] = [];
  const e = new Float64Array(k);
  for (let i = 0; i < nI; i++) {
    const block = info.slice(i * k * k, (i + 1) * k * k);
    const inv = new Float64Array(k * k);
    for (let p = 0; p < k; p++) {
      e.fill(0);
      e[p] = 1;
      const x = solveSpd(block, e, k);
      if (x) for (let q = 0; q < k; q++) inv[q * k + p] = x[q];
      else inv.fill(NaN);
    }
    out.push(inv);
  }
  return out;
}

function maxDiff(x: Float64Array, y: Float64Array, active: Uint8Array): number {
  let m = 0;
  for (let k = 0; k < x.length; k++) {
    if (!active[k]) continue;
    const v = Math.abs(x[k] - y[k]);
    if (v > m) m = v;
  }
  return m;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
