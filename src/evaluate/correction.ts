/**
 * The gp-IRT-style correction (tinyBenchmarks): blend the IRT reconstruction with the anchors' weighted mean,
 * acc = λ·IRT + (1 − λ)·anchors, and widen the interval by κ, both learned on calibration models only — the models
 * the bank was fitted on, each answering just the anchors as a new model would. λ = 1 (pure IRT) is among the
 * choices, so the blend is used only where it lowers the calibration error.
 */
import { MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { estimateTheta, type Answers, type Estimator } from './ability.js';
import { predictAccuracy } from './accuracy.js';
import type { ItemBank } from './bank.js';
import { bankCurves, type BankCurves } from './curves.js';
import type { Subset } from './subset.js';

export interface Correction {
  lambda: number;
  /** adaptive tests: the share of the asked items' residual carried to the rest (0 for anchor subsets) */
  gamma: number;
  /** variance inflation of the interval: mean squared error over mean predicted variance, at least 1 */
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
  for (let k = 0; k < ans.n; k++) {
    const i = ans.idx[k];
    r += ans.y[k] - (bank.c[i] + (1 - bank.c[i]) / (1 + Math.exp(-bank.a[i] * (theta - bank.b[i]))));
  }
  return (r / ans.n) * (1 - ans.n / bank.ids.length);
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
  const ans: Answers = { idx: new Int32Array(subset.items.length), y: new Uint8Array(subset.items.length), n: 0 };
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
    const r = predictAccuracy(bank, curves, ans, estimateTheta(bank, ans, method));
    truth.push(right / seen);
    irt.push(r.accuracy[0]);
    anchors.push(anchorMean(ans, weightOf));
    variance.push(r.sd[0] ** 2);
  }
  return fitCorrection(truth, irt, anchors, variance);
}

/**
 * λ on a grid of 0.05 by least squares over the calibration models (with anchors), or γ in [0, 1] by least squares
 * (with the residual carry of adaptive tests), then κ from the errors left.
 */
export function fitCorrection(truth: number[], irt: number[], anchors: number[], variance: number[], carry: number[] = []): Correction {
  const n = truth.length;
  let gamma = 0;
  if (carry.length) {
    let sxy = 0, sxx = 0;
    for (let k = 0; k < n; k++) { sxy += carry[k] * (truth[k] - irt[k]); sxx += carry[k] * carry[k]; }
    gamma = sxx > 0 ? Math.min(1, Math.max(0, sxy / sxx)) : 0;
  }
  const err = (lambda: number, g = gamma) => {
    let se = 0, ae = 0;
    for (let k = 0; k < n; k++) {
      const d = truth[k] - (lambda === 1 ? irt[k] + (g ? g * carry[k] : 0) : lambda * irt[k] + (1 - lambda) * anchors[k]);
      se += d * d;
      ae += Math.abs(d);
    }
    return { mse: se / Math.max(n, 1), mae: ae / Math.max(n, 1) };
  };
  let best = 1;
  if (anchors.length) for (let l = 0; l <= 20; l++) if (err(l / 20).mse < err(best).mse) best = l / 20;
  const meanVar = variance.reduce((s, v) => s + v, 0) / Math.max(n, 1);
  const kappa = n && meanVar > 0 ? Math.max(1, err(best).mse / meanVar) : 1;
  return { lambda: best, gamma, kappa, models: n, mae: err(best).mae, maeIrt: err(1, 0).mae };
}
