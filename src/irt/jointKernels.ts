/**
 * The two sweeps of joint estimation as pure kernels over shared arrays, so that worker threads can each take
 * a range of items (or of models). The logistic models (c = 0) take a fast path with scalar accumulators: one exp
 * per answer (and the log-likelihood, when wanted, from one log per product of many factors, see LOG_FLUSH); the
 * 3pl takes the general Fisher-scoring path with step halving.
 * With one slope for all items (rasch, 1pl) exp(−aθ − d) = exp(−aθ)·exp(−d): the caller tabulates both factors once
 * a pass (`eInv` per model, `fInv` per item), and an answer then costs a multiply and a divide instead of an exp.
 */
import type { Kernel } from '../parallel/runner.js';
import { solveSpd } from '../util/linalg.js';
import { itemPoint, logLik, newItemPoint, sigmoid, type ItemPoint } from './model.js';
import { SLOPE_BOUND } from './priors.js';

export interface JointCtx {
  biOff: Int32Array;
  biIdx: Int32Array | Uint16Array;
  biVal: Uint8Array;
  bmOff: Int32Array;
  bmIdx: Int32Array | Uint16Array;
  bmVal: Uint8Array;
  a: Float64Array;
  d: Float64Array;
  g: Float64Array;
  theta: Float64Array;
  activeI: Uint8Array;
  activeM: Uint8Array;
  /** one slope for all items: the factorized path below applies */
  common: boolean;
  /** exp(−a·θ_j) per model, for the item pass of the common-slope path */
  eInv: Float64Array;
  /** exp(−d_i) per item, for the model pass of the common-slope path */
  fInv: Float64Array;
  /** per item: slope free (2pl/3pl) */
  freeA: boolean;
  freeG: boolean;
  is3pl: boolean;
  isMap: boolean;
  /** compute the joint log-likelihood in the item sweep (a sizeable part of a sweep's cost; only wanted near convergence) */
  wantLL: boolean;
  /** per item: its part of the joint log-likelihood, from the last item sweep with wantLL (added up in item order by the caller) */
  itemLl: Float64Array;
  /** false: only compute the log-likelihood, move nothing */
  step: boolean;
  thetaSd: number;
  dSd: number;
  logASd: number;
  cAlpha: number;
  cBeta: number;
}

/** One Fisher-scoring step for each active item in [from, to); each item's joint log-likelihood before the step into c.itemLl; returns the largest step. */
function jointItemsKernel(c: JointCtx, from: number, to: number): number {
  let change = 0;
  for (let i = from; i < to; i++) {
    if (!c.activeI[i]) continue;
    const r = c.is3pl ? item3pl(c, i) : c.common ? itemCommon(c, i) : itemLogistic(c, i);
    c.itemLl[i] = r.ll;
    if (r.change > change) change = r.change;
  }
  return change;
}

/** The joint log-likelihood of the last item sweep: the active items' parts added in item order, whatever the threads. */
export function jointLoglik(c: JointCtx): number {
  let ll = 0;
  for (let i = 0; i < c.itemLl.length; i++) if (c.activeI[i]) ll += c.itemLl[i];
  return ll;
}

/** One Fisher-scoring step in (a, d) for a 2pl item (the common-slope models take itemCommon). */
function itemLogistic(c: JointCtx, i: number): { ll: number; change: number } {
  const a = c.a[i];
  const d = c.d[i];
  let ga = 0, gd = 0, iaa = 0, iad = 0, idd = 0;
  // log P(x) = x·z − max(z, 0) − log(1 + e), e = exp(−|z|): the logs come as one log of a product (see LOG_FLUSH)
  let lin = 0, logs = 0, prod = 1;
  const { biOff, biIdx, biVal, theta, activeM, wantLL } = c;
  for (let k = biOff[i]; k < biOff[i + 1]; k++) {
    const j = biIdx[k];
    if (!activeM[j]) continue;
    const th = theta[j];
    const z = a * th + d;
    const e = Math.exp(-Math.abs(z));
    const x = biVal[k];
    const s = z >= 0 ? 1 / (1 + e) : e / (1 + e);
    if (wantLL) {
      lin += x * z - (z > 0 ? z : 0);
      prod *= 1 + e;
      if (prod > LOG_FLUSH) {
        logs += Math.log(prod);
        prod = 1;
      }
    }
    const w = x - s;
    const v = s * (1 - s);
    gd += w;
    idd += v;
    ga += w * th;
    iad += v * th;
    iaa += v * th * th;
  }
  const ll = wantLL ? lin - logs - Math.log(prod) : 0;
  if (!c.step) return { ll, change: 0 };
  if (c.isMap) {
    gd -= d / (c.dSd * c.dSd);
    idd += 1 / (c.dSd * c.dSd);
    const v2 = c.logASd * c.logASd;
    ga -= Math.log(a) / (v2 * a);
    iaa += 1 / (v2 * a * a);
  }
  iaa += 1e-9;
  idd += 1e-9;
  if (a >= SLOPE_BOUND && ga * idd - iad * gd > 0) {
    // The slope sits at its bound and the joint step would push it further: the joint step's d assumes a moves, and
    // with a held it overshoots, so that d and the models' θ chase each other for hundreds of sweeps. Step d alone.
    const step = clamp(gd / idd, 1);
    c.d[i] = d + step;
    return { ll, change: Math.abs(step) };
  }
  const det = iaa * idd - iad * iad;
  if (!(det > 0)) return { ll, change: 0 };
  let sa = (idd * ga - iad * gd) / det;
  let sd = (iaa * gd - iad * ga) / det;
  const big = Math.max(Math.abs(sa), Math.abs(sd));
  if (big > 1) {
    sa /= big;
    sd /= big;
  }
  c.a[i] = Math.max(0.05, Math.min(SLOPE_BOUND, a + sa));
  c.d[i] = d + sd;
  return { ll, change: Math.min(big, 1) };
}

/** The d step of one item when all slopes are one common a: σ(z) = 1 / (1 + exp(−aθ)·exp(−d)). */
function itemCommon(c: JointCtx, i: number): { ll: number; change: number } {
  const d = c.d[i];
  const fi = Math.exp(-d);
  let gd = 0, idd = 0;
  // log P(x) = −log(1 + u) for x = 1, log(u) − log(1 + u) for x = 0, with log u = −a·θ − d: the wrong answers'
  // θ and count carry the second part, and the logs come as one log of a product (see LOG_FLUSH)
  let thetaWrong = 0, nWrong = 0, logs = 0, prod = 1;
  const { biOff, biIdx, biVal, eInv, theta, activeM, wantLL } = c;
  for (let k = biOff[i]; k < biOff[i + 1]; k++) {
    const j = biIdx[k];
    if (!activeM[j]) continue;
    const u = eInv[j] * fi;
    const s = 1 / (1 + u);
    const x = biVal[k];
    if (wantLL) {
      thetaWrong += (1 - x) * theta[j];
      nWrong += 1 - x;
      // 1 + u has no bound (a hard item, a weak model): a factor that could overflow the product is logged alone
      const f = 1 + u;
      if (f > LOG_ALONE) logs += Math.log(f);
      else {
        prod *= f;
        if (prod > LOG_FLUSH) {
          logs += Math.log(prod);
          prod = 1;
        }
      }
    }
    gd += x - s;
    idd += s * (1 - s);
  }
  const ll = wantLL ? -c.a[0] * thetaWrong - d * nWrong - logs - Math.log(prod) : 0;
  if (!c.step) return { ll, change: 0 };
  if (c.isMap) {
    gd -= d / (c.dSd * c.dSd);
    idd += 1 / (c.dSd * c.dSd);
  }
  const step = clamp(gd / Math.max(idd, 1e-12), 1);
  c.d[i] = d + step;
  return { ll, change: Math.abs(step) };
}

const clamp = (x: number, m: number) => (x > m ? m : x < -m ? -m : x);

/**
 * A log per answer is most of an item sweep's cost when the log-likelihood is wanted. A sum of logs is the log of
 * a product, so the factors (each ≥ 1) are multiplied up and their log taken only when the product nears the
 * top of the double range: one log per hundreds of answers, with rounding far below the 6 digits reported.
 */
const LOG_FLUSH = 1e250;
/** a factor above this times a product below LOG_FLUSH could pass the double range; it is logged on its own */
const LOG_ALONE = 1e50;

function item3plObjective(c: JointCtx, i: number, a: number, d: number, g: number): number {
  const cc = c.freeG || c.g[i] !== -Infinity ? sigmoid(g) : 0;
  let f = 0;
  for (let k = c.biOff[i]; k < c.biOff[i + 1]; k++) {
    const j = c.biIdx[k];
    if (!c.activeM[j]) continue;
    f += logLik(c.biVal[k], cc + (1 - cc) * sigmoid(a * c.theta[j] + d));
  }
  return f;
}

function prior3pl(c: JointCtx, a: number, d: number, g: number): number {
  // Even jml keeps the 3pl's priors on c and log a: neither has a finite joint ML in general.
  let f = -(Math.log(a) ** 2) / (2 * c.logASd * c.logASd);
  if (c.isMap) f -= (d * d) / (2 * c.dSd * c.dSd);
  if (c.freeG) {
    const cc = sigmoid(g);
    f += c.cAlpha * Math.log(cc) + c.cBeta * Math.log1p(-cc);
  }
  return f;
}

function item3pl(c: JointCtx, i: number): { ll: number; change: number } {
  const a = c.a[i];
  const d = c.d[i];
  const g = c.g[i];
  const cc = sigmoid(g);
  const k = c.freeG ? 3 : 2;
  const grad = new Float64Array(k);
  const info = new Float64Array(k * k);
  const dP = new Float64Array(3);
  const pt = newItemPoint();
  let ll = 0;
  for (let kk = c.biOff[i]; kk < c.biOff[i + 1]; kk++) {
    const j = c.biIdx[kk];
    if (!c.activeM[j]) continue;
    const th = c.theta[j];
    const { P, pq, dz, dg } = itemPoint(a * th + d, cc, pt);
    const x = c.biVal[kk];
    ll += logLik(x, P);
    dP[0] = dz * th;
    dP[1] = dz;
    dP[2] = dg;
    const w = (x - P) / pq;
    for (let p = 0; p < k; p++) {
      grad[p] += w * dP[p];
      for (let q = 0; q <= p; q++) info[p * k + q] += (dP[p] * dP[q]) / pq;
    }
  }
  const v = c.logASd * c.logASd;
  grad[0] -= Math.log(a) / (v * a);
  info[0] += 1 / (v * a * a);
  if (c.isMap) {
    grad[1] -= d / (c.dSd * c.dSd);
    info[k + 1] += 1 / (c.dSd * c.dSd);
  }
  if (c.freeG) {
    grad[2] += c.cAlpha * (1 - cc) - c.cBeta * cc;
    info[8] += (c.cAlpha + c.cBeta) * cc * (1 - cc);
  }
  for (let p = 0; p < k; p++) {
    info[p * k + p] += 1e-9;
    for (let q = 0; q < p; q++) info[q * k + p] = info[p * k + q];
  }
  if (!c.step) return { ll, change: 0 };
  let step = solveSpd(info, grad, k);
  if (!step) return { ll, change: 0 };
  if (a >= SLOPE_BOUND && step[0] > 0) {
    // the slope is held at its bound (see itemLogistic): the step in the other parameters with a fixed
    const m = k - 1;
    const sub = new Float64Array(m * m);
    for (let p = 0; p < m; p++) for (let q = 0; q < m; q++) sub[p * m + q] = info[(p + 1) * k + q + 1];
    const rest = solveSpd(sub, grad.subarray(1), m);
    if (!rest) return { ll, change: 0 };
    step = new Float64Array(k);
    step.set(rest, 1);
  }
  let big = 0;
  for (let p = 0; p < k; p++) big = Math.max(big, Math.abs(step[p]));
  let scale = big > 1 ? 1 / big : 1;
  // The 3pl objective is not concave: halve the Fisher step until it climbs.
  const before = ll + prior3pl(c, a, d, g);
  for (let h = 0; h < 20; h++) {
    const na = Math.max(0.05, Math.min(SLOPE_BOUND, a + scale * step[0]));
    const nd = d + scale * step[1];
    const ng = c.freeG ? Math.min(0, g + scale * step[2]) : g;
    if (item3plObjective(c, i, na, nd, ng) + prior3pl(c, na, nd, ng) >= before - 1e-10) {
      c.a[i] = na;
      c.d[i] = nd;
      c.g[i] = ng;
      return { ll, change: big * scale };
    }
    scale /= 2;
  }
  return { ll, change: 0 };
}

/** One Newton step for each active model's θ in [from, to); returns the largest step. */
function jointModelsKernel(c: JointCtx, from: number, to: number): { change: number } {
  let change = 0;
  for (let j = from; j < to; j++) {
    if (!c.activeM[j]) continue;
    const step = modelStep(c, j);
    if (step > change) change = step;
  }
  return { change };
}

/** Score, information and (3pl only) objective of model j's θ at t. */
export function modelScore(c: JointCtx, j: number, t: number, useInactive: boolean, shift = 0): { f: number; info: number; obj: number } {
  let f = shift;
  let info = 0;
  let obj = 0;
  const { bmOff, bmIdx, bmVal, a, d, g, activeI } = c;
  const pt: ItemPoint = newItemPoint();
  for (let k = bmOff[j]; k < bmOff[j + 1]; k++) {
    const i = bmIdx[k];
    if (!useInactive && !activeI[i]) continue;
    const x = bmVal[k];
    if (!c.is3pl) {
      // the logistic models' θ step needs σ only (one exp); their objective is not asked for
      const sg = sigmoid(a[i] * t + d[i]);
      f += a[i] * (x - sg);
      info += a[i] * a[i] * sg * (1 - sg);
    } else {
      const { P, pq, dz } = itemPoint(a[i] * t + d[i], g[i] === -Infinity ? 0 : sigmoid(g[i]), pt);
      const deriv = a[i] * dz;
      f += ((x - P) * deriv) / pq;
      info += (deriv * deriv) / pq;
      obj += logLik(x, P);
    }
  }
  if (c.isMap) {
    f -= t / (c.thetaSd * c.thetaSd);
    info += 1 / (c.thetaSd * c.thetaSd);
    obj -= (t * t) / (2 * c.thetaSd * c.thetaSd);
  }
  return { f, info, obj };
}

/** The θ step of one model when all slopes are one common a, from the tabulated exp(−d). */
function modelStepCommon(c: JointCtx, j: number): number {
  const t = c.theta[j];
  const a = c.a[0];
  const ej = Math.exp(-a * t);
  let f = 0;
  let info = 0;
  const { bmOff, bmIdx, bmVal, fInv, activeI } = c;
  for (let k = bmOff[j]; k < bmOff[j + 1]; k++) {
    const i = bmIdx[k];
    if (!activeI[i]) continue;
    const s = 1 / (1 + ej * fInv[i]);
    f += bmVal[k] - s;
    info += s * (1 - s);
  }
  return thetaStep(c, j, t, f * a, info * a * a);
}

/**
 * The θ step of one model under the 2pl: modelScore's sums for the logistic item, in the same order and so the same
 * numbers, in a loop of its own with σ from one inline exp. Inside modelScore, beside the 3pl's path, the same loop
 * ran at half the speed.
 */
function modelStepLogistic(c: JointCtx, j: number): number {
  const t = c.theta[j];
  let f = 0;
  let info = 0;
  const { bmOff, bmIdx, bmVal, a, d, activeI } = c;
  for (let k = bmOff[j]; k < bmOff[j + 1]; k++) {
    const i = bmIdx[k];
    if (!activeI[i]) continue;
    const z = a[i] * t + d[i];
    let sg: number;
    if (z >= 0) sg = 1 / (1 + Math.exp(-z));
    else {
      const e = Math.exp(z);
      sg = e / (1 + e);
    }
    f += a[i] * (bmVal[k] - sg);
    info += a[i] * a[i] * sg * (1 - sg);
  }
  return thetaStep(c, j, t, f, info);
}

/** The Newton step of model j's θ from t, given its score and information from the answers (MAP adds the prior). */
function thetaStep(c: JointCtx, j: number, t: number, f: number, info: number): number {
  if (c.isMap) {
    f -= t / (c.thetaSd * c.thetaSd);
    info += 1 / (c.thetaSd * c.thetaSd);
  }
  const step = clamp(f / Math.max(info, 1e-12), 1);
  c.theta[j] = t + step;
  return Math.abs(step);
}

function modelStep(c: JointCtx, j: number): number {
  if (c.common) return modelStepCommon(c, j);
  if (!c.is3pl) return modelStepLogistic(c, j);
  const t0 = c.theta[j];
  const s0 = modelScore(c, j, t0, false);
  let step = clamp(s0.f / Math.max(s0.info, 1e-12), 1);
  // not concave in θ for the 3pl: halve until the objective climbs
  for (let h = 0; h < 20; h++) {
    if (modelScore(c, j, t0 + step, false).obj >= s0.obj - 1e-10) {
      c.theta[j] = t0 + step;
      return Math.abs(step);
    }
    step /= 2;
  }
  return 0;
}

/** Standard errors of θ (1/√information against all items) for models in [from, to), into c.thetaSe. */
function jointModelInfoKernel(c: JointCtx & { thetaSe: Float64Array }, from: number, to: number): number {
  for (let j = from; j < to; j++) c.thetaSe[j] = 1 / Math.sqrt(Math.max(c.common ? modelInfoCommon(c, j) : modelScore(c, j, c.theta[j], true).info, 1e-300));
  return 0;
}

/** Information of model j's θ against all items when the slope is common, from the tabulated exp(−d). */
function modelInfoCommon(c: JointCtx, j: number): number {
  const a = c.a[0];
  const ej = Math.exp(-a * c.theta[j]);
  let info = 0;
  for (let k = c.bmOff[j]; k < c.bmOff[j + 1]; k++) {
    const s = 1 / (1 + ej * c.fInv[c.bmIdx[k]]);
    info += s * (1 - s);
  }
  return info * a * a;
}

/** Per-item Fisher information of (a?, d, g?) against all models' θ, into c.info (k × k per item). */
function jointItemInfoKernel(c: JointCtx & { info: Float64Array; k: number }, from: number, to: number): number {
  const k = c.k;
  if (c.common) {
    // d alone is free (k = 1), and for the logistic item the information of d is Σ P(1 − P)
    for (let i = from; i < to; i++) {
      const fi = Math.exp(-c.d[i]);
      let v = 0;
      for (let kk = c.biOff[i]; kk < c.biOff[i + 1]; kk++) {
        const s = 1 / (1 + c.eInv[c.biIdx[kk]] * fi);
        v += s * (1 - s);
      }
      c.info[i] += v;
    }
    return 0;
  }
  if (!c.is3pl) {
    // the 2pl: with P = σ(z) the information of (a, d) is Σ w·[θ², θ; θ, 1], w = P(1 − P), in scalar sums
    for (let i = from; i < to; i++) {
      const a = c.a[i];
      const d = c.d[i];
      let w0 = 0, w1 = 0, w2 = 0;
      for (let kk = c.biOff[i]; kk < c.biOff[i + 1]; kk++) {
        const th = c.theta[c.biIdx[kk]];
        const z = a * th + d;
        const e = Math.exp(-Math.abs(z));
        const w = e / ((1 + e) * (1 + e));
        w0 += w;
        w1 += w * th;
        w2 += w * th * th;
      }
      // (a, d): k is 2
      const o = 4 * i;
      c.info[o] += w2;
      c.info[o + 1] += w1;
      c.info[o + 2] += w1;
      c.info[o + 3] += w0;
    }
    return 0;
  }
  const dP = new Float64Array(3);
  const pt = newItemPoint();
  for (let i = from; i < to; i++) {
    const o = i * k * k;
    const cc = c.g[i] === -Infinity ? 0 : sigmoid(c.g[i]);
    for (let kk = c.biOff[i]; kk < c.biOff[i + 1]; kk++) {
      const th = c.theta[c.biIdx[kk]];
      const { pq, dz, dg } = itemPoint(c.a[i] * th + c.d[i], cc, pt);
      let u = 0;
      if (c.freeA) dP[u++] = dz * th;
      dP[u++] = dz;
      if (c.freeG) dP[u++] = dg;
      for (let p = 0; p < k; p++) for (let q = 0; q < k; q++) c.info[o + p * k + q] += (dP[p] * dP[q]) / pq;
    }
  }
  return 0;
}

export const JOINT_ITEMS: Kernel<JointCtx, number> = { name: 'jointItems', run: jointItemsKernel };
export const JOINT_MODELS: Kernel<JointCtx, { change: number }> = { name: 'jointModels', run: jointModelsKernel };
export const JOINT_MODEL_INFO: Kernel<JointCtx & { thetaSe: Float64Array }, number> = { name: 'jointModelInfo', run: jointModelInfoKernel };
export const JOINT_ITEM_INFO: Kernel<JointCtx & { info: Float64Array; k: number }, number> = { name: 'jointItemInfo', run: jointItemInfoKernel };
