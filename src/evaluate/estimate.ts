/**
 * `estimateAccuracy`: for every model of a response matrix, θ and its SE from the answers it has (to subset items
 * only, when a subset is given), and its accuracy on the whole bank and per difficulty bin, with 95% intervals.
 * Answers to items the bank does not know are ignored and counted; a model with no usable answer gets a row with
 * n_answered = 0 and empty numbers, never a made-up estimate.
 */
import { GradusError, option } from '../errors.js';
import { MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { estimateTheta, ESTIMATORS, type Answers, type Estimator, type ThetaEstimate } from './ability.js';
import { interval, predictAccuracy, type RowAccuracy } from './accuracy.js';
import type { ItemBank } from './bank.js';
import { anchorMean, residualCarry, residualShift, subsetWeights, type Correction } from './correction.js';
import { bankCurves, type BankCurves } from './curves.js';
import type { Subset } from './subset.js';

export interface BinAssignment {
  /** bin of each bank item, −1 when it has none */
  bin: Int32Array;
  k: number;
}

export interface EstimateOptions {
  method?: Estimator;
  bins?: BinAssignment;
  subset?: Subset;
  /** learned by learnCorrection on calibration models; used with `subset` */
  correction?: Correction;
}

/**
 * An adaptive test's kriged residuals (residualCorrelation.ts), in counts of right answers, per row of the bank's
 * curves (0 the bank, 1 + k bin k): their shift of the count and the variance left of it.
 */
export interface Kriged {
  shift: Float64Array;
  variance: Float64Array;
}

export interface EstimateRow {
  model: string;
  n_answered: number;
  theta: number;
  se_theta: number;
  accuracy: number;
  ci_low: number;
  ci_high: number;
}

export interface BinEstimateRow {
  model: string;
  bin: number;
  n_answered: number;
  accuracy: number;
  ci_low: number;
  ci_high: number;
}

export interface EstimateResult {
  rows: EstimateRow[];
  binRows: BinEstimateRow[];
  /** response-file items the bank does not know (ignored) */
  unknownItems: number;
  /** answers left out because their item is not in the subset */
  outsideSubset: number;
  /** models with no usable answer */
  empty: string[];
  /** models whose ML estimate fell back to MAP (all right or all wrong) */
  fallback: string[];
}

export function checkEstimator(method: string): Estimator {
  if (!ESTIMATORS.includes(method as Estimator)) throw new GradusError(`unknown estimator "${method}"`, `${option('method')} is one of ${ESTIMATORS.join(', ')}.`);
  return method as Estimator;
}

export function estimateAccuracy(bank: ItemBank, matrix: ResponseMatrix, o: EstimateOptions = {}): EstimateResult {
  const method = checkEstimator(o.method ?? 'eap');
  const J = matrix.items.length;
  const inSubset = o.subset ? subsetWeights(bank, o.subset) : undefined;
  const col = new Int32Array(J);
  let unknownItems = 0, outside = 0;
  matrix.items.forEach((id, j) => {
    const i = bank.index.get(id);
    if (i === undefined) unknownItems++;
    col[j] = i === undefined ? -1 : inSubset && !(inSubset[i] > 0) ? -2 : i;
  });
  if (unknownItems === J) {
    throw new GradusError(`none of the ${J} items in the responses is in the bank (e.g. ${JSON.stringify(matrix.items[0] ?? '')}; the bank has e.g. ${JSON.stringify(bank.ids[0] ?? '')})`, 'Give responses to the benchmark the fit was made on, with the same item ids.');
  }
  const curves = bankCurves(bank, o.bins?.bin, o.bins?.k ?? 0);
  const result: EstimateResult = { rows: [], binRows: [], unknownItems, outsideSubset: 0, empty: [], fallback: [] };
  const ans: Answers = { idx: new Int32Array(J), y: new Uint8Array(J), n: 0 };
  for (let m = 0; m < matrix.models.length; m++) {
    ans.n = 0;
    for (let j = 0; j < J; j++) {
      const v = matrix.data[m * J + j];
      if (v === MISSING || col[j] === -1) continue;
      if (col[j] === -2) { outside++; continue; }
      ans.idx[ans.n] = col[j];
      ans.y[ans.n++] = v;
    }
    const model = matrix.models[m];
    if (!ans.n) result.empty.push(model);
    const r = modelRows(model, bank, curves, ans, method, o, inSubset);
    if (r.fallback) result.fallback.push(model);
    result.rows.push(r.row);
    result.binRows.push(...r.bins);
  }
  result.outsideSubset = outside;
  return result;
}

/** The estimates.csv row (and estimates.bins.csv rows) of one model from its answers; shared with adaptive testing. */
export function modelRows(model: string, bank: ItemBank, curves: BankCurves, ans: Answers, method: Estimator, o: Pick<EstimateOptions, 'correction'> & { kriged?: Kriged } = {}, weights?: Float64Array, est?: ThetaEstimate): { row: EstimateRow; bins: BinEstimateRow[]; fallback: boolean; sd: number } {
  const bins: BinEstimateRow[] = [];
  if (!ans.n) {
    for (let r = 1; r < curves.rows; r++) bins.push({ model, bin: r - 1, n_answered: 0, accuracy: NaN, ci_low: NaN, ci_high: NaN });
    return { row: { model, n_answered: 0, theta: NaN, se_theta: NaN, accuracy: NaN, ci_low: NaN, ci_high: NaN }, bins, fallback: false, sd: NaN };
  }
  const e = est ?? estimateTheta(bank, ans, method);
  const acc = predictAccuracy(bank, curves, ans, e);
  if (o.kriged) {
    // the kriged residuals of the items not asked join the reconstruction, and their conditional variance replaces
    // the independent Bernoulli noise, for the bank and every bin alike
    for (let r = 0; r < curves.rows; r++) {
      const N = curves.count[r];
      if (!N) continue;
      acc.accuracy[r] = Math.min(1, Math.max(0, acc.accuracy[r] + o.kriged.shift[r] / N));
      acc.sd[r] = Math.sqrt(acc.sdTheta[r] ** 2 + Math.max(0, o.kriged.variance[r]) / (N * N));
    }
  }
  let overall = acc.accuracy[0];
  const irtSd = acc.sd[0];
  let sd = irtSd;
  if (o.correction) {
    const anchors = weights ? anchorMean(ans, weights) : NaN;
    if (Number.isFinite(anchors)) overall = o.correction.lambda * overall + (1 - o.correction.lambda) * anchors;
    if (o.correction.residual) overall += residualShift(bank, ans, e.theta, o.correction.residual);
    if (o.correction.gamma) overall += o.correction.gamma * residualCarry(bank, ans, e.theta);
    overall = Math.min(1, Math.max(0, overall));
    sd *= Math.sqrt(o.correction.kappa);
  }
  const [lo, hi] = interval(overall, sd);
  for (let r = 1; r < curves.rows; r++) bins.push(binRow(model, r, acc));
  return { row: { model, n_answered: ans.n, theta: e.theta, se_theta: e.se, accuracy: overall, ci_low: lo, ci_high: hi }, bins, fallback: e.fallback, sd: irtSd };
}

function binRow(model: string, r: number, acc: RowAccuracy): BinEstimateRow {
  const [lo, hi] = interval(acc.accuracy[r], acc.sd[r]);
  return { model, bin: r - 1, n_answered: acc.nAnswered[r], accuracy: acc.accuracy[r], ci_low: lo, ci_high: hi };
}
