/**
 * θ and its SE from a set of answers to bank items, by EAP (posterior mean and SD on mirt's 61-point grid, in log
 * space), MAP (posterior mode, SE from the curvature), ML and WLE (Warm). ML has no finite answer while every answer
 * is right (or wrong): there it gives the MAP estimate, as catR's Bayes-modal start does, and says so (`fallback`).
 * The log posterior is kept as a typed array that each answer updates in place, so adaptive testing pays O(grid)
 * per step for EAP.
 */
import { grid, logNormalWeights } from '../irt/quadrature.js';
import { modalAbility, type ModalMethod } from '../irt/abilities.js';
import { logSigmoid, sigmoid } from '../irt/model.js';
import type { ItemBank } from './bank.js';

export type Estimator = 'eap' | 'map' | 'ml' | 'wle';
export const ESTIMATORS: readonly Estimator[] = ['eap', 'map', 'ml', 'wle'];

export interface ThetaEstimate {
  theta: number;
  se: number;
  /** true when ML fell back to MAP on an all-right or all-wrong pattern */
  fallback: boolean;
}

/** The answers so far: bank indices and 0/1, the first `n` entries used. */
export interface Answers {
  idx: Int32Array;
  y: Uint8Array;
  n: number;
}

export const NODES = grid(61, 6);

/** log P(y | θ) of one answer. */
export function logLik(theta: number, a: number, b: number, c: number, y: number): number {
  const z = a * (theta - b);
  if (c === 0) return y ? logSigmoid(z) : logSigmoid(-z);
  const s = sigmoid(z);
  return Math.log(y ? c + (1 - c) * s : (1 - c) * (1 - s));
}

export function priorGrid(bank: ItemBank): Float64Array {
  return logNormalWeights(NODES, bank.mean, bank.variance);
}

const NODE_STEP = NODES[1] - NODES[0];

/**
 * Adds one answer to a log posterior on NODES, in place. Without guessing, e = exp(−a(θ − b)) runs along the grid by
 * one multiplication a node, and log σ = −log(1 + e), log(1 − σ) = log σ − a(θ − b): the hot loop of `estimate`.
 */
export function addToPosterior(logPost: Float64Array, bank: ItemBank, i: number, y: number): void {
  const a = bank.a[i], b = bank.b[i], c = bank.c[i];
  const Q = NODES.length;
  if (c !== 0 || Math.abs(a) * (Math.abs(NODES[0]) + Math.abs(b)) > 600) {
    for (let q = 0; q < Q; q++) logPost[q] += logLik(NODES[q], a, b, c, y);
    return;
  }
  let e = Math.exp(-a * (NODES[0] - b));
  const f = Math.exp(-a * NODE_STEP);
  for (let q = 0; q < Q; q++, e *= f) {
    const lp = -Math.log(1 + e);
    logPost[q] += y ? lp : lp - a * (NODES[q] - b);
  }
}

/** Normalised posterior weights from a log posterior (into `out`). */
export function posteriorWeights(logPost: Float64Array, out = new Float64Array(logPost.length)): Float64Array {
  let max = -Infinity;
  for (let q = 0; q < logPost.length; q++) if (logPost[q] > max) max = logPost[q];
  let s = 0;
  for (let q = 0; q < logPost.length; q++) s += out[q] = Math.exp(logPost[q] - max);
  for (let q = 0; q < logPost.length; q++) out[q] /= s;
  return out;
}

export function eapFrom(logPost: Float64Array): ThetaEstimate {
  const w = posteriorWeights(logPost);
  let m = 0;
  for (let q = 0; q < w.length; q++) m += w[q] * NODES[q];
  let v = 0;
  for (let q = 0; q < w.length; q++) v += w[q] * (NODES[q] - m) ** 2;
  return { theta: m, se: Math.sqrt(v), fallback: false };
}

/** Whether the answers hold both a right and a wrong one (ML is finite only then). */
export function mixed(ans: Answers): boolean {
  let right = 0;
  for (let k = 0; k < ans.n; k++) right += ans.y[k];
  return right > 0 && right < ans.n;
}

export function estimateTheta(bank: ItemBank, ans: Answers, method: Estimator, logPost?: Float64Array): ThetaEstimate {
  if (method === 'eap') {
    let lp = logPost;
    if (!lp) {
      lp = priorGrid(bank);
      for (let k = 0; k < ans.n; k++) addToPosterior(lp, bank, ans.idx[k], ans.y[k]);
    }
    return eapFrom(lp);
  }
  if (method === 'ml' && !mixed(ans)) return { ...modal(bank, ans, 'map'), fallback: true };
  return modal(bank, ans, method);
}

/** ML, MAP and WLE: the fit's own modal estimator, on the answered items, from the calibration mean. */
function modal(bank: ItemBank, ans: Answers, method: ModalMethod): ThetaEstimate {
  const r = modalAbility(bank, ans.idx.subarray(0, ans.n), ans.y.subarray(0, ans.n), { method, mean: bank.mean, variance: bank.variance, start: bank.mean, bound: 12 });
  return { ...r, fallback: false };
}
