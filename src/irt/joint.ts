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
import { solveSpd } from '../util/linalg.js';
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

export function fitJoint(m: ResponseMatrix, o: JointOptions): JointResult {
  const nM = m.models.length;
  const nI = m.items.length;
  const bm = byModel(m);
  const bi = byItem(m);
  const isMap = o.method === 'map';
  const freeA = o.model === '2pl' || o.model === '3pl';
  const freeG = o.model === '3pl' && o.guessing === undefined;
  const tol = o.tol ?? 1e-4;
  const maxIter = o.maxIter ?? 500;

  const a = new Float64Array(nI).fill(1);
  const d = new Float64Array(nI);
  const g = new Float64Array(nI).fill(o.model === '3pl' ? logit(o.guessing ?? 5 / 22) : -Infinity);
  const theta = new Float64Array(nM);
  const activeM = new Uint8Array(nM).fill(1);
  const activeI = new Uint8Array(nI).fill(1);

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
    for (let changed = true; changed; ) {
      changed = false;
      for (let j = 0; j < nM; j++) {
        if (!activeM[j]) continue;
        const { n, s } = rowStats(bm, j, activeI);
        if (n === 0 || s === 0 || s === n) {
          activeM[j] = 0;
          changed = true;
        }
      }
      for (let i = 0; i < nI; i++) {
        if (!activeI[i]) continue;
        const { n, s } = rowStats(bi, i, activeM);
        if (n === 0 || s === 0 || s === n) {
          activeI[i] = 0;
          changed = true;
        }
      }
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

  const k = (freeA ? 1 : 0) + 1 + (freeG ? 1 : 0);
  const commonAModel = o.model === '1pl';
  const grad = new Float64Array(3);
  const info = new Float64Array(9);
  const dP = new Float64Array(3);

  /** Fisher-scoring system of item i against current θ (active models only); returns the joint log-likelihood part. */
  const itemSystem = (i: number): number => {
    grad.fill(0);
    info.fill(0);
    const c = g[i] === -Infinity ? 0 : sigmoid(g[i]);
    let ll = 0;
    for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
      const j = bi.index[kk];
      if (!activeM[j]) continue;
      const th = theta[j];
      const s = sigmoid(a[i] * th + d[i]);
      const P = c + (1 - c) * s;
      const x = bi.value[kk];
      ll += Math.log(Math.max(x ? P : 1 - P, 1e-300));
      const pq = Math.max(P * (1 - P), 1e-300);
      const dz = (1 - c) * s * (1 - s);
      let u = 0;
      if (freeA) dP[u++] = dz * th;
      dP[u++] = dz;
      if (freeG) dP[u++] = c * (1 - c) * (1 - s);
      const w = (x - P) / pq;
      for (let p = 0; p < k; p++) {
        grad[p] += w * dP[p];
        for (let q = 0; q <= p; q++) info[p * k + q] += (dP[p] * dP[q]) / pq;
      }
    }
    if (isMap) {
      let u = 0;
      if (freeA) {
        const la = Math.log(a[i]);
        const v = MAP_PRIORS.logASd ** 2;
        grad[u] -= la / (v * a[i]);
        info[u * k + u] += 1 / (v * a[i] * a[i]);
        u++;
      }
      grad[u] -= d[i] / MAP_PRIORS.dSd ** 2;
      info[u * k + u] += 1 / MAP_PRIORS.dSd ** 2;
      u++;
      if (freeG) {
        grad[u] += MAP_PRIORS.cAlpha * (1 - c) - MAP_PRIORS.cBeta * c;
        info[u * k + u] += (MAP_PRIORS.cAlpha + MAP_PRIORS.cBeta) * c * (1 - c);
      }
    } else if (o.model === '3pl') {
      // Even jml keeps the 3pl's priors on c and log a: neither has a finite joint ML in general, and without
      // them slopes of separable items run off and the sweeps never settle.
      const la = Math.log(a[i]);
      const v = MAP_PRIORS.logASd ** 2;
      grad[0] -= la / (v * a[i]);
      info[0] += 1 / (v * a[i] * a[i]);
      if (freeG) {
        const u = k - 1;
        grad[u] += MAP_PRIORS.cAlpha * (1 - c) - MAP_PRIORS.cBeta * c;
        info[u * k + u] += (MAP_PRIORS.cAlpha + MAP_PRIORS.cBeta) * c * (1 - c);
      }
    }
    for (let p = 0; p < k; p++) for (let q = 0; q < p; q++) info[q * k + p] = info[p * k + q];
    return ll;
  };

  const itemUpdate = (i: number): number => {
    const before = itemSystem(i) + itemLogPrior(i);
    for (let p = 0; p < k; p++) info[p * k + p] += 1e-9;
    const step = solveSpd(info, grad, k);
    if (!step) return 0;
    let big = 0;
    for (let p = 0; p < k; p++) big = Math.max(big, Math.abs(step[p]));
    let scale = big > 1 ? 1 / big : 1;
    const a0 = a[i], d0 = d[i], g0 = g[i];
    // The 3pl objective is not concave: Fisher steps can overshoot and cycle, so they are halved until they climb.
    // For the logistic models the step is Newton's on a concave function and is taken as it is.
    for (let h = 0; h < (o.model === '3pl' ? 20 : 1); h++) {
      let u = 0;
      if (freeA) a[i] = Math.max(0.05, a0 + scale * step[u++]);
      d[i] = d0 + scale * step[u++];
      if (freeG) g[i] = Math.min(logit(0.5), g0 + scale * step[u++]);
      if (o.model !== '3pl' || itemSystem(i) + itemLogPrior(i) >= before - 1e-10) break;
      scale /= 2;
      if (h === 19) {
        a[i] = a0;
        d[i] = d0;
        g[i] = g0;
      }
    }
    return big * scale;
  };

  const itemLogPrior = (i: number): number => {
    if (!isMap && o.model !== '3pl') return 0;
    let f = 0;
    if (freeA || (isMap && commonAModel)) f -= Math.log(a[i]) ** 2 / (2 * MAP_PRIORS.logASd ** 2);
    if (isMap) f -= d[i] ** 2 / (2 * MAP_PRIORS.dSd ** 2);
    if (freeG) {
      const c = sigmoid(g[i]);
      f += MAP_PRIORS.cAlpha * Math.log(c) + MAP_PRIORS.cBeta * Math.log1p(-c);
    }
    return f;
  };

  /** one Newton step for model j's θ; returns |Δθ| */
  const modelUpdate = (j: number, skipItem: Uint8Array | null, shift = 0): { change: number; info: number } => {
    let f = shift;
    let inf = 0;
    for (let kk = bm.offsets[j]; kk < bm.offsets[j + 1]; kk++) {
      const i = bm.index[kk];
      if (skipItem && !skipItem[i]) continue;
      const c = g[i] === -Infinity ? 0 : sigmoid(g[i]);
      const s = sigmoid(a[i] * theta[j] + d[i]);
      const P = c + (1 - c) * s;
      const deriv = a[i] * (1 - c) * s * (1 - s);
      const pq = Math.max(P * (1 - P), 1e-300);
      f += ((bm.value[kk] - P) * deriv) / pq;
      inf += (deriv * deriv) / pq;
    }
    if (isMap) {
      f -= theta[j] / MAP_PRIORS.thetaSd ** 2;
      inf += 1 / MAP_PRIORS.thetaSd ** 2;
    }
    let step = Math.max(-1, Math.min(1, f / Math.max(inf, 1e-12)));
    if (o.model === '3pl' && shift === 0) {
      // not concave in θ either: halve until the model's objective climbs
      const t0 = theta[j];
      const before = modelObjective(j, skipItem);
      for (let h = 0; h < 20; h++) {
        theta[j] = t0 + step;
        if (modelObjective(j, skipItem) >= before - 1e-10) break;
        step /= 2;
        if (h === 19) {
          theta[j] = t0;
          step = 0;
        }
      }
      return { change: Math.abs(step), info: inf };
    }
    theta[j] += step;
    return { change: Math.abs(step), info: inf };
  };

  const modelObjective = (j: number, skipItem: Uint8Array | null): number => {
    let f = isMap ? -(theta[j] ** 2) / (2 * MAP_PRIORS.thetaSd ** 2) : 0;
    for (let kk = bm.offsets[j]; kk < bm.offsets[j + 1]; kk++) {
      const i = bm.index[kk];
      if (skipItem && !skipItem[i]) continue;
      const c = g[i] === -Infinity ? 0 : sigmoid(g[i]);
      const P = c + (1 - c) * sigmoid(a[i] * theta[j] + d[i]);
      f += Math.log(Math.max(bm.value[kk] ? P : 1 - P, 1e-300));
    }
    return f;
  };

  let iterations = 0;
  let converged = false;
  let lastChange = Infinity;
  let loglik = -Infinity;
  let lastLlChange = Infinity;
  const commonA = o.model === '1pl';
  const prevA = new Float64Array(nI);
  const prevD = new Float64Array(nI);
  const prevG = new Float64Array(nI);
  const prevT = new Float64Array(nM);
  while (iterations < maxIter) {
    iterations++;
    let ll = 0;
    prevA.set(a);
    prevD.set(d);
    prevG.set(g);
    prevT.set(theta);
    for (let i = 0; i < nI; i++) if (activeI[i]) itemUpdate(i);
    if (commonA) updateCommonSlope();
    for (let j = 0; j < nM; j++) if (activeM[j]) modelUpdate(j, activeI);
    pinScale(false);
    if (o.model === '3pl' && iterations > 10) {
      // The 3pl's priors and the pinned scale pull against each other and the sweeps can settle into a 2-cycle;
      // half steps (averaging with the previous sweep) damp it out without moving the fixed point.
      for (let i = 0; i < nI; i++) {
        a[i] = (a[i] + prevA[i]) / 2;
        d[i] = (d[i] + prevD[i]) / 2;
        if (freeG) g[i] = (g[i] + prevG[i]) / 2;
      }
      for (let j = 0; j < nM; j++) theta[j] = (theta[j] + prevT[j]) / 2;
    }
    // judged on where the sweep left the parameters, after the scale is pinned again
    const change = Math.max(maxDiff(a, prevA), maxDiff(d, prevD), freeG ? maxDiff(g, prevG) : 0, maxDiff(theta, prevT));
    for (let i = 0; i < nI; i++) if (activeI[i]) ll += itemSystem(i);
    lastLlChange = Math.abs(ll - loglik);
    loglik = ll;
    lastChange = change;
    o.onIteration?.(iterations, ll, change);
    if (change < tol && lastLlChange < 1e-6 * Math.max(1, nM)) {
      converged = true;
      break;
    }
  }

  function updateCommonSlope(): number {
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
    return Math.abs(step);
  }

  /** jml: θ mean 0 over active models (and sd 1 for models with free slopes), items moved to match. */
  function pinScale(final: boolean): number {
    let n = 0;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < nM; j++)
      if (activeM[j] || final) {
        n++;
        s1 += theta[j];
        s2 += theta[j] * theta[j];
      }
    if (!n) return 0;
    const mean = s1 / n;
    const sd = freeA || commonA ? Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12)) : 1;
    for (let j = 0; j < nM; j++) theta[j] = (theta[j] - mean) / sd;
    // z = aθ + d = (a·sd)θ' + (d + a·mean)
    for (let i = 0; i < nI; i++) {
      d[i] += a[i] * mean;
      a[i] *= sd;
    }
    return Math.abs(mean) + Math.abs(sd - 1);
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
    const all = new Uint8Array(nI).fill(1);
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
      for (let it = 0; it < 200; it++) if (modelUpdate(j, all, shift).change < 1e-10) break;
    }
  }

  const thetaSe = new Float64Array(nM);
  const allItems = new Uint8Array(nI).fill(1);
  for (let j = 0; j < nM; j++) {
    const saved = theta[j];
    const { info: inf } = modelUpdate(j, allItems);
    theta[j] = saved;
    thetaSe[j] = 1 / Math.sqrt(Math.max(inf, 1e-300));
  }
  const keepM = activeM.slice();
  activeM.fill(1);
  const itemCov: Float64Array[] = [];
  for (let i = 0; i < nI; i++) {
    itemSystem(i);
    const inv = new Float64Array(k * k);
    const e = new Float64Array(k);
    for (let p = 0; p < k; p++) {
      e.fill(0);
      e[p] = 1;
      const x = solveSpd(info.slice(0, k * k), e, k);
      if (x) for (let q = 0; q < k; q++) inv[q * k + p] = x[q];
      else inv.fill(NaN);
    }
    itemCov.push(inv);
  }
  activeM.set(keepM);
  const c = Float64Array.from(g, (x) => (x === -Infinity ? 0 : sigmoid(x)));
  return { a, d, c, theta, thetaSe, itemCov, itemFree: { a: freeA, g: freeG }, loglik, iterations, converged, lastChange, lastLoglikChange: lastLlChange, extremeItems, extremeModels };
}

function maxDiff(x: Float64Array, y: Float64Array): number {
  let m = 0;
  for (let k = 0; k < x.length; k++) {
    const v = Math.abs(x[k] - y[k]);
    if (v > m) m = v;
  }
  return m;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
