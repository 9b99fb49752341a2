/**
 * One item's M-step: maximize Σ_q r_q log P(θ_q) + (n_q − r_q) log(1 − P(θ_q)) (+ log priors) over its free
 * parameters in slope–intercept form, z = aθ + d, P = c + (1 − c)σ(z), c = σ(γ), by Fisher scoring with step
 * halving. For c = 0 Fisher scoring is Newton's method (the logit link is canonical).
 * MML calls it with θ_q the grid nodes and r/n the E-step's expected counts.
 */
import { solveSpd } from '../util/linalg.js';
import { itemPoint, logLikCounts, newItemPoint, sigmoid } from './model.js';
import { SLOPE_BOUND } from './priors.js';

export interface ItemPriors {
  /** d ~ N(0, dSd²); keeps items without variation finite */
  dSd?: number;
  /** log a ~ N(logAMean, logASd²) */
  logASd?: number;
  logAMean?: number;
  /** c ~ Beta(cAlpha, cBeta) */
  cAlpha?: number;
  cBeta?: number;
}

export interface ItemState {
  a: number;
  d: number;
  /** logit of c; −Infinity for c = 0 */
  g: number;
}

export interface Free {
  a: boolean;
  d: boolean;
  g: boolean;
}

/** The item's part of the (expected) log-likelihood plus log priors. */
export function itemObjective(rn: ArrayLike<number>, offR: number, offN: number, theta: ArrayLike<number>, len: number, s: ItemState, p: ItemPriors, free: Free): number {
  const c = s.g === -Infinity ? 0 : sigmoid(s.g);
  let f = 0;
  for (let q = 0; q < len; q++) {
    const nq = rn[offN + q];
    if (nq === 0) continue;
    f += logLikCounts(rn[offR + q], nq, c + (1 - c) * sigmoid(s.a * theta[q] + s.d));
  }
  return f + logPrior(s, p, free);
}

function logPrior(s: ItemState, p: ItemPriors, free: Free): number {
  let f = 0;
  if (free.d && p.dSd) f -= (s.d * s.d) / (2 * p.dSd * p.dSd);
  if (free.a && p.logASd) {
    const z = Math.log(Math.max(s.a, 1e-12)) - (p.logAMean ?? 0);
    f -= (z * z) / (2 * p.logASd * p.logASd);
  }
  if (free.g && p.cAlpha) {
    const c = sigmoid(s.g);
    f += p.cAlpha * Math.log(c) + (p.cBeta ?? 1) * Math.log1p(-c);
  }
  return f;
}

/**
 * Gradient and Fisher information of the item objective with respect to the free parameters (order a, d, g),
 * written into grad and info (k × k). Returns k.
 */
export function itemScore(rn: ArrayLike<number>, offR: number, offN: number, theta: ArrayLike<number>, len: number, s: ItemState, p: ItemPriors, free: Free, grad: Float64Array, info: Float64Array): number {
  const k = (free.a ? 1 : 0) + (free.d ? 1 : 0) + (free.g ? 1 : 0);
  grad.fill(0, 0, k);
  info.fill(0, 0, k * k);
  const hasC = s.g !== -Infinity;
  const c = hasC ? sigmoid(s.g) : 0;
  const dP = new Float64Array(3);
  const pt = newItemPoint();
  for (let q = 0; q < len; q++) {
    const nq = rn[offN + q];
    if (nq === 0) continue;
    const rq = rn[offR + q];
    const th = theta[q];
    const { P, pq, dz, dg } = itemPoint(s.a * th + s.d, c, pt);
    let m = 0;
    if (free.a) dP[m++] = dz * th;
    if (free.d) dP[m++] = dz;
    if (free.g) dP[m++] = dg;
    const w = (rq - nq * P) / pq;
    const wi = nq / pq;
    for (let u = 0; u < k; u++) {
      grad[u] += w * dP[u];
      for (let v = 0; v <= u; v++) info[u * k + v] += wi * dP[u] * dP[v];
    }
  }
  let m = 0;
  if (free.a) {
    if (p.logASd) {
      const la = Math.log(Math.max(s.a, 1e-12)) - (p.logAMean ?? 0);
      const v2 = p.logASd * p.logASd;
      grad[m] -= la / (v2 * s.a);
      info[m * k + m] += 1 / (v2 * s.a * s.a);
    }
    m++;
  }
  if (free.d) {
    if (p.dSd) {
      grad[m] -= s.d / (p.dSd * p.dSd);
      info[m * k + m] += 1 / (p.dSd * p.dSd);
    }
    m++;
  }
  if (free.g && p.cAlpha) {
    grad[m] += p.cAlpha * (1 - c) - (p.cBeta ?? 1) * c;
    info[m * k + m] += (p.cAlpha + (p.cBeta ?? 1)) * c * (1 - c);
  }
  for (let u = 0; u < k; u++) for (let v = 0; v < u; v++) info[v * k + u] = info[u * k + v];
  return k;
}

const grad = new Float64Array(3);
const info = new Float64Array(9);

/** Fisher scoring from s, at most `iters` steps; returns the improved state (s is updated in place). */
export function itemStep(rn: ArrayLike<number>, offR: number, offN: number, theta: ArrayLike<number>, len: number, s: ItemState, p: ItemPriors, free: Free, iters = 20, tol = 1e-9): ItemState {
  let f0 = itemObjective(rn, offR, offN, theta, len, s, p, free);
  for (let it = 0; it < iters; it++) {
    const k = itemScore(rn, offR, offN, theta, len, s, p, free, grad, info);
    if (k === 0) break;
    for (let u = 0; u < k; u++) info[u * k + u] += 1e-10;
    const step = solveSpd(info, grad, k);
    if (!step) break;
    let big = 0;
    for (let u = 0; u < k; u++) big = Math.max(big, Math.abs(step[u]));
    let scale = big > 2 ? 2 / big : 1;
    let accepted = false;
    for (let h = 0; h < 30; h++) {
      const t = apply(s, step, free, scale);
      const f1 = itemObjective(rn, offR, offN, theta, len, t, p, free);
      if (f1 >= f0 - 1e-12 * Math.abs(f0)) {
        s.a = t.a;
        s.d = t.d;
        s.g = t.g;
        f0 = f1;
        accepted = true;
        break;
      }
      scale /= 2;
    }
    if (!accepted || big * scale < tol) break;
  }
  return s;
}

function apply(s: ItemState, step: Float64Array, free: Free, scale: number): ItemState {
  let m = 0;
  const t = { ...s };
  if (free.a) t.a = Math.max(-SLOPE_BOUND, Math.min(SLOPE_BOUND, s.a + scale * step[m++]));
  if (free.d) t.d = s.d + scale * step[m++];
  if (free.g) t.g = s.g + scale * step[m++];
  return t;
}
