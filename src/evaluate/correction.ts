/**
 * The gp-IRT-style correction (tinyBenchmarks): blend the IRT reconstruction with the anchors' weighted mean,
 * acc = λ·IRT + (1 − λ)·anchors, and widen the interval by κ, both learned on calibration models only — the models
 * the bank was fitted on, each answering just the anchors as a new model would. λ = 1 (pure IRT) is among the
 * choices, so the blend is used only where it lowers the calibration error. What the blend still misses goes to the
 * residual model (residualModel.ts), learned on the same models.
 */
import { MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { estimateTheta, type Answers, type Estimator } from './ability.js';
import { predictAccuracy } from './accuracy.js';
import type { ItemBank } from './bank.js';
import { bankCurves, type BankCurves } from './curves.js';
import { fitResidualModel } from './residualModel.js';
import type { Subset } from './subset.js';

export interface Correction {
  lambda: number;
  /** adaptive tests: the share of the asked items' residual carried to the rest (0 for anchor subsets) */
  gamma: number;
  /** weight of each bank item's residual y − P(θ̂) in the accuracy (anchor subsets; absent or 0: none) */
  residual?: Float64Array;
  /** the residual model's ridge penalty over the number of models; Infinity when it did not lower the error */
  penalty?: number;
  /** variance inflation of the interval, from the calibration models' standardised errors (calibrateKappa) */
  kappa: number;
  /** calibration models it was learned on */
  models: number;
  /** mean absolute error on them, corrected and by IRT alone */
  mae: number;
  maeIrt: number;
}

/**
 * How much better (or worse) the model did on the items it answered than θ̂ predicts, mean(y − P(θ̂)), scaled by the
 * share of the bank left unanswered: what a carry-over of γ = 1 would add to the accuracy.
 */
export function residualCarry(bank: ItemBank, ans: Answers, theta: number): number {
  if (!ans.n) return 0;
  let r = 0;
  for (let k = 0; k < ans.n; k++) r += ans.y[k] - probability(bank, ans.idx[k], theta);
  return (r / ans.n) * (1 - ans.n / bank.ids.length);
}

/** P_i(θ) of the bank's model. */
export function probability(bank: ItemBank, i: number, theta: number): number {
  return bank.c[i] + (1 - bank.c[i]) / (1 + Math.exp(-bank.a[i] * (theta - bank.b[i])));
}

/** The residual model's shift of the accuracy: Σ weight_i · (y_i − P_i(θ̂)) over the answered items. */
export function residualShift(bank: ItemBank, ans: Answers, theta: number, weight: Float64Array): number {
  let s = 0;
  for (let k = 0; k < ans.n; k++) {
    const i = ans.idx[k];
    if (weight[i]) s += weight[i] * (ans.y[k] - probability(bank, i, theta));
  }
  return s;
}

/** The anchors' weighted mean over those answered; NaN when none was. */
export function anchorMean(ans: Answers, weightOf: Float64Array): number {
  let s = 0, w = 0;
  for (let k = 0; k < ans.n; k++) {
    const x = weightOf[ans.idx[k]];
    s += x * ans.y[k];
    w += x;
  }
  return w > 0 ? s / w : NaN;
}

export function subsetWeights(bank: ItemBank, subset: Subset): Float64Array {
  const w = new Float64Array(bank.ids.length);
  subset.items.forEach((i, k) => (w[i] = subset.weights[k]));
  return w;
}

export function learnCorrection(bank: ItemBank, calibration: ResponseMatrix, subset: Subset, method: Estimator = 'eap', curves: BankCurves = bankCurves(bank)): Correction {
  const weightOf = subsetWeights(bank, subset);
  const col = Int32Array.from(calibration.items, (id) => bank.index.get(id) ?? -1);
  const J = calibration.items.length;
  const truth: number[] = [], irt: number[] = [], anchors: number[] = [], variance: number[] = [];
  const p = subset.items.length;
  const slot = new Int32Array(bank.ids.length).fill(-1);
  subset.items.forEach((i, k) => (slot[i] = k));
  const features: number[] = [];
  const ans: Answers = { idx: new Int32Array(p), y: new Uint8Array(p), n: 0 };
  for (let m = 0; m < calibration.models.length; m++) {
    let right = 0, seen = 0;
    ans.n = 0;
    for (let j = 0; j < J; j++) {
      const v = calibration.data[m * J + j];
      if (v === MISSING || col[j] < 0) continue;
      seen++;
      right += v;
      if (weightOf[col[j]] > 0) {
        ans.idx[ans.n] = col[j];
        ans.y[ans.n++] = v;
      }
    }
    if (!ans.n || seen < bank.ids.length / 2) continue;
    const est = estimateTheta(bank, ans, method);
    const r = predictAccuracy(bank, curves, ans, est);
    truth.push(right / seen);
    irt.push(r.accuracy[0]);
    anchors.push(anchorMean(ans, weightOf));
    variance.push(r.sd[0] ** 2);
    const x = new Float64Array(p);
    for (let k = 0; k < ans.n; k++) x[slot[ans.idx[k]]] = ans.y[k] - probability(bank, ans.idx[k], est.theta);
    features.push(...x);
  }
  const c = fitCorrection(truth, irt, anchors, variance, [], { X: Float64Array.from(features), p });
  if (c.residual) c.residual = Float64Array.from(bank.ids, (_, i) => (slot[i] >= 0 ? c.residual![slot[i]] : 0));
  return c;
}

/**
 * λ on a grid of 0.05 by least squares over the calibration models (with anchors), or γ in [0, 1] by least squares
 * (with the residual carry of adaptive tests); then, given the anchors' residuals (`features`, one row of p per
 * model), the residual model on what is left; then κ from the errors left (out of fold for the residual model, so
 * the intervals are not sized on errors it was fitted to).
 */
export function fitCorrection(truth: number[], irt: number[], anchors: number[], variance: number[], carry: number[] = [], features?: { X: Float64Array; p: number }): Correction {
  const n = truth.length;
  let gamma = 0;
  if (carry.length) {
    let sxy = 0, sxx = 0;
    for (let k = 0; k < n; k++) { sxy += carry[k] * (truth[k] - irt[k]); sxx += carry[k] * carry[k]; }
    gamma = sxx > 0 ? Math.min(1, Math.max(0, sxy / sxx)) : 0;
  }
  const residualOf = (lambda: number, k: number, g = gamma) => truth[k] - (lambda === 1 ? irt[k] + (g ? g * carry[k] : 0) : lambda * irt[k] + (1 - lambda) * anchors[k]);
  const err = (lambda: number, g = gamma) => {
    let se = 0, ae = 0;
    for (let k = 0; k < n; k++) {
      const d = residualOf(lambda, k, g);
      se += d * d;
      ae += Math.abs(d);
    }
    return { mse: se / Math.max(n, 1), mae: ae / Math.max(n, 1) };
  };
  let best = 1;
  if (anchors.length) for (let l = 0; l <= 20; l++) if (err(l / 20).mse < err(best).mse) best = l / 20;
  const predicted = truth.map((t, k) => t - residualOf(best, k));
  let residual: Float64Array | undefined, penalty: number | undefined;
  if (features) {
    const m = fitResidualModel(features.X, Float64Array.from(predicted, (x, k) => truth[k] - x), n, features.p);
    penalty = m.penalty;
    if (m.penalty < Infinity) {
      residual = m.beta;
      m.outOfFold.forEach((d, k) => (predicted[k] += d));
    }
  }
  const errors = predicted.map((x, k) => truth[k] - x);
  const mae = errors.reduce((s, d) => s + Math.abs(d), 0) / Math.max(n, 1);
  return { lambda: best, gamma, residual, penalty, kappa: calibrateKappa(errors, variance), models: n, mae, maeIrt: err(1, 0).mae };
}

/**
 * κ, the factor on the predicted variance that makes 95% of the calibration models' errors fall inside the interval
 * (the 95th percentile of |error| / predicted SD, over 1.96, squared): a split-conformal size, robust to the few
 * models IRT misfits badly, which a mean squared error would let widen every interval. It may be below 1, where the
 * predicted variance is larger than the errors (the Bernoulli noise of the unanswered items is smaller for
 * benchmarks whose items are answered alike by models of one ability).
 */
export function calibrateKappa(errors: number[], variance: number[]): number {
  const z = errors.map((e, k) => Math.abs(e) / Math.sqrt(variance[k])).filter(Number.isFinite).sort((x, y) => x - y);
  if (!z.length) return 1;
  const q = z[Math.min(z.length - 1, Math.ceil(0.95 * (z.length + 1)) - 1)];
  return q > 0 ? (q / 1.96) ** 2 : 1;
}
