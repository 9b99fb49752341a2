/**
 * The residual model of anchor subsets. What the IRT reconstruction still misses on a model is partly predictable from
 * where the model beat or fell short of θ̂'s predictions on each anchor: a one-dimensional 2PL cannot tell MuSR's
 * three subtasks apart, and a model that does better than θ̂ says on one subtask's anchors does so on the rest of
 * that subtask. Ridge regression of the remaining error on the anchors' residuals y − P(θ̂), over the calibration
 * models, with its penalty chosen by 5-fold cross-validation among them; no model at all (an infinite penalty) is
 * one of the choices, so it is used only where it clearly lowers the error on calibration models it was not fitted
 * on.
 */
import { solveSpd } from '../util/linalg.js';

export interface ResidualModel {
  /** weight of each feature (anchor residual); all 0 when no model won */
  beta: Float64Array;
  /** the chosen penalty over the number of models (Infinity: no model) */
  penalty: number;
  /** each calibration row's prediction by the model fitted on the other folds (0 when no model won) */
  outOfFold: Float64Array;
}

/** Penalties tried, as multiples of the number of training rows, so that the grid means the same for any count. */
const PENALTIES = [0.01, 0.03, 0.1, 0.3, 1, 3];
const FOLDS = 5;

/** X is row-major (rows × p), target one value per row. Folds are row k mod 5: the same data, the same model. */
export function fitResidualModel(X: Float64Array, target: Float64Array, rows: number, p: number): ResidualModel {
  const none: ResidualModel = { beta: new Float64Array(p), penalty: Infinity, outOfFold: new Float64Array(rows) };
  // fewer calibration models than anchors per fold: too few to learn a weight per anchor
  if (!p || rows * (1 - 1 / FOLDS) < p) return none;
  const gram = Array.from({ length: FOLDS }, () => new Float64Array(p * p));
  const xty = Array.from({ length: FOLDS }, () => new Float64Array(p));
  for (let r = 0; r < rows; r++) addRow(gram[r % FOLDS], xty[r % FOLDS], X, r, p, target[r]);
  const total = sum(gram), totalXty = sum(xty);
  // one-standard-error rule (Breiman et al.): the most penalised choice whose cross-validated error is within one
  // standard error of the smallest, so that a gain the folds cannot tell from noise does not switch the model on
  const candidates: Array<{ rho: number; err: Float64Array; oof: Float64Array }> = [{ rho: Infinity, err: target.map((t) => t * t), oof: none.outOfFold }];
  for (const rho of PENALTIES) {
    const oof = new Float64Array(rows);
    let ok = true;
    for (let f = 0; f < FOLDS && ok; f++) {
      const n = rows - Math.ceil((rows - f) / FOLDS);
      const beta = ridge(minus(total, gram[f]), minus(totalXty, xty[f]), p, rho * n);
      if (!beta) ok = false;
      else for (let r = f; r < rows; r += FOLDS) oof[r] = dot(beta, X, r, p);
    }
    if (ok) candidates.push({ rho, err: oof.map((o, r) => (target[r] - o) ** 2), oof });
  }
  const mean = (e: Float64Array) => e.reduce((s, x) => s + x, 0) / rows;
  const lowest = candidates.reduce((b, c) => (mean(c.err) < mean(b.err) ? c : b));
  const m = mean(lowest.err);
  const se = Math.sqrt(lowest.err.reduce((s, x) => s + (x - m) ** 2, 0) / (rows - 1) / rows);
  const chosen = [candidates[0], ...candidates.slice(1).reverse()].find((c) => mean(c.err) <= m + se)!;
  const best = chosen.rho, bestOof = chosen.oof;
  if (best === Infinity) return none;
  return { beta: ridge(total, totalXty, p, best * rows)!, penalty: best, outOfFold: bestOof };
}

function addRow(g: Float64Array, xty: Float64Array, X: Float64Array, r: number, p: number, t: number): void {
  const o = r * p;
  for (let i = 0; i < p; i++) {
    const xi = X[o + i];
    if (!xi) continue;
    xty[i] += xi * t;
    for (let j = 0; j < p; j++) g[i * p + j] += xi * X[o + j];
  }
}

function ridge(g: Float64Array, xty: Float64Array, p: number, penalty: number): Float64Array | null {
  const A = g.slice();
  for (let i = 0; i < p; i++) A[i * p + i] += penalty;
  return solveSpd(A, xty, p);
}

function dot(beta: Float64Array, X: Float64Array, r: number, p: number): number {
  let s = 0;
  for (let i = 0; i < p; i++) s += beta[i] * X[r * p + i];
  return s;
}

function sum(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts[0].length);
  for (const x of parts) for (let i = 0; i < x.length; i++) out[i] += x[i];
  return out;
}

function minus(a: Float64Array, b: Float64Array): Float64Array {
  return a.map((x, i) => x - b[i]);
}
