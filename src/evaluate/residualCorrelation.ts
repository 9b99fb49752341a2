/**
 * Residual correlations: how a model's answers to two items err together beyond what its one ability explains. Items
 * that share a passage, a story or a template (MuSR asks several questions of one story) are right or wrong together
 * more often than the 2PL says; a one-dimensional model cannot see it, and neither can an adaptive test that asks
 * only for θ. The correlations are learned on the calibration models, from each model's standardised residuals
 * z = (y − P(θ̂)) / √(P(1 − P)) at its whole-bank EAP θ̂, shrunk towards independence.
 *
 * Given them, the whole-bank count of right answers is, to first order, Gaussian around the IRT reconstruction:
 * its variance is θ's part, (Σ P′)²·SE², plus the residual part, Dᵀ R̃ D, with D = √(P(1 − P)) at θ̂ over the items
 * not yet asked and R̃ the correlations conditioned on the items asked (their Schur complement). `--select accuracy`
 * asks the item whose answer lowers that variance most, and the accuracy adds the kriged residuals of the rest:
 * Σ_rest D_k · R_kS R_SS⁻¹ z_S (simple kriging, as Gaussian-process regression on the items).
 */
import { GradusError } from '../errors.js';
import { MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { solveSpd } from '../util/linalg.js';
import { estimateTheta, type Answers } from './ability.js';
import type { ItemBank } from './bank.js';
import { probability } from './correction.js';
import { fisherInfo } from './information.js';

export interface ResidualCorrelation {
  /** N × N, row-major, unit diagonal */
  R: Float64Array;
  /** calibration models it was learned on */
  models: number;
  shrink: number;
}

/**
 * The share by which off-diagonal correlations are pulled towards 0: a sample of a few hundred models puts noise of
 * about 1/√models on every pair, and summed over a bank that noise would steer the test; a half kept every fold of
 * the leaderboard matrices (MATH Level 5, MuSR) within a few per cent of its best.
 */
export const RESIDUAL_SHRINK = 0.5;
/**
 * Banks larger than this keep independent residuals: the matrix takes 8·N² bytes (32 MiB here), each step a pass over
 * it, and the correction replays the test on up to 1,000 calibration models.
 */
export const MAX_CORRELATED_ITEMS = 2048;
/** P is kept inside this margin when residuals are standardised, so that one surprise cannot weigh without bound. */
const P_FLOOR = 0.01;

/**
 * The calibration models' residual correlations, or undefined where they cannot be learned: a bank above
 * MAX_CORRELATED_ITEMS, or fewer than 3 models answering at least half of it.
 */
export function learnResidualCorrelation(bank: ItemBank, calibration: ResponseMatrix, shrink = RESIDUAL_SHRINK): ResidualCorrelation | undefined {
  const N = bank.ids.length, J = calibration.items.length;
  if (N > MAX_CORRELATED_ITEMS) return undefined;
  const col = Int32Array.from(calibration.items, (id) => bank.index.get(id) ?? -1);
  const S = new Float64Array(N * N);
  const z = new Float64Array(N);
  const ans: Answers = { idx: new Int32Array(N), y: new Uint8Array(N), n: 0 };
  let models = 0;
  for (let m = 0; m < calibration.models.length; m++) {
    ans.n = 0;
    for (let j = 0; j < J; j++) {
      const v = calibration.data[m * J + j];
      if (v === MISSING || col[j] < 0) continue;
      ans.idx[ans.n] = col[j];
      ans.y[ans.n++] = v;
    }
    if (ans.n < N / 2) continue;
    models++;
    const theta = estimateTheta(bank, ans, 'eap').theta;
    z.fill(0);
    for (let k = 0; k < ans.n; k++) z[ans.idx[k]] = standardised(ans.y[k], probability(bank, ans.idx[k], theta));
    // the upper triangle only; mirrored below
    for (let i = 0; i < N; i++) {
      const zi = z[i];
      if (!zi) continue;
      const o = i * N;
      for (let j = i; j < N; j++) S[o + j] += zi * z[j];
    }
  }
  if (models < 3) return undefined;
  const scale = Float64Array.from({ length: N }, (_, i) => (S[i * N + i] > 0 ? 1 / Math.sqrt(S[i * N + i]) : 0));
  for (let i = 0; i < N; i++) {
    S[i * N + i] = 1;
    for (let j = i + 1; j < N; j++) {
      const r = (1 - shrink) * S[i * N + j] * scale[i] * scale[j];
      S[i * N + j] = r;
      S[j * N + i] = r;
    }
  }
  return { R: S, models, shrink };
}

/**
 * One model's residual correlations conditioned on the items asked so far: the Schur complement of R, updated in
 * place by one rank-one downdate per item (rows of items already asked are left stale: nothing reads them again).
 * Without correlations the residuals are independent and nothing is stored.
 */
export class ConditionedResiduals {
  private readonly R: Float64Array | undefined;
  private readonly done: Uint8Array;
  /** P at `theta` of every item, D = √(P(1 − P)) over the items not asked, and v = R̃ D */
  private readonly P: Float64Array;
  private readonly D: Float64Array;
  private readonly v: Float64Array;
  private theta = NaN;

  /** `scratch` (N² numbers) holds the conditioned copy, so that a test of many models allocates it once. */
  constructor(private readonly bank: ItemBank, private readonly corr?: ResidualCorrelation, scratch?: Float64Array) {
    const N = bank.ids.length;
    if (corr && corr.R.length !== N * N) {
      throw new GradusError(`residual correlations of ${Math.round(Math.sqrt(corr.R.length))} items for a bank of ${N}`, 'Learn the correlations on the same bank (learnResidualCorrelation with this fit).');
    }
    this.R = corr ? (scratch && scratch.length === corr.R.length ? scratch : new Float64Array(corr.R.length)) : undefined;
    this.R?.set(corr!.R);
    this.done = new Uint8Array(N);
    this.P = new Float64Array(N);
    this.D = new Float64Array(N);
    this.v = new Float64Array(N);
  }

  /**
   * Conditions on bank item i having been asked, and readies D and R̃ D at θ̂ after its answer: the downdate and the
   * product share one pass over the matrix, which is what a step costs.
   */
  condition(i: number, theta: number): void {
    this.done[i] = 1;
    this.at(theta, false);
    const { R, D, v } = this;
    if (!R) { v.set(D); return; }
    const N = D.length, o = i * N, rii = R[o + i];
    const row = R.slice(o, o + N);
    const live = rii > 1e-12;
    for (let k = 0; k < N; k++) {
      if (this.done[k]) { v[k] = 0; continue; }
      const f = live ? row[k] / rii : 0;
      const ok = k * N;
      v[k] = f ? downdateDot(R, ok, row, f, D, N) : dot(R, ok, D, N);
    }
  }

  /** P and D at θ, and (unless the caller is about to compute it) v = R̃ D; nothing when all already hold there. */
  private at(theta: number, spread = true): void {
    const { bank, P, D, v, R } = this;
    if (theta === this.theta && spread) return;
    const N = D.length;
    for (let k = 0; k < N; k++) {
      const p = (P[k] = probability(bank, k, theta));
      D[k] = this.done[k] ? 0 : Math.sqrt(p * (1 - p));
    }
    this.theta = theta;
    if (!spread) return;
    if (!R) { v.set(D); return; }
    for (let j = 0; j < N; j++) {
      if (this.done[j]) { v[j] = 0; continue; }
      v[j] = dot(R, j * N, D, N);
    }
  }

  /**
   * For every usable item, how much its answer would lower the error variance of the whole-bank count of right answers
   * (over all items not asked, usable or not) as gradus estimates it: θ̂ by EAP on independent answers, then the kriged
   * residuals. To first order in θ − θ̂ that error is Σ_rest P′_k·(θ − θ̂) + Σ_rest D_k·(z_k − ẑ_k), its θ part S²·SE²
   * (S = Σ P′ over the items not asked) and its residual part Dᵀ R̃ D. Asking j takes j out of the sum and adds its
   * Fisher information to θ's: θ's part falls to (S − P′_j)² / (1/SE² + I_j), and the residual part by
   * (R̃D)_j² / R̃_jj. (A joint Gaussian update would also let correlated answers sharpen θ; the EAP does not, so the
   * gain does not count it.)
   */
  gains(theta: number, se: number, usable: Uint8Array, out: Float64Array): void {
    this.at(theta);
    const { bank, P, v, R } = this;
    const N = v.length;
    let S = 0;
    for (let k = 0; k < N; k++) if (!this.done[k]) S += slope(bank, k, P[k]);
    const se2 = se * se;
    for (let j = 0; j < N; j++) {
      if (!usable[j] || this.done[j]) { out[j] = -Infinity; continue; }
      const rjj = R ? R[j * N + j] : 1;
      const pj = slope(bank, j, P[j]);
      const residual = rjj > 1e-12 ? (v[j] * v[j]) / rjj : 0;
      const after = 1 / (1 / se2 + fisherInfo(theta, bank.a[j], bank.b[j], bank.c[j]));
      out[j] = residual + S * S * se2 - (S - pj) ** 2 * after;
    }
  }

  /**
   * The kriged residual count of the items not asked, Σ_rest D_k · R_kS R_SS⁻¹ z_S at θ̂, and the variance left,
   * D_rᵀ R̃ D_r (the unanswered items' noise, which the correlations narrow); per row: 0 the bank, `binRow[k]` (> 0) the
   * row of item k's bin, as the bank's curves number them.
   */
  kriged(ans: Answers, theta: number, binRow?: Int32Array, rows = 1): { shift: Float64Array; variance: Float64Array } {
    this.at(theta);
    const { P, D, R, corr } = this;
    const N = D.length;
    const shift = new Float64Array(rows), variance = new Float64Array(rows);
    // one pass: each row of R̃ against D split by the bins of the columns
    const part = new Float64Array(rows);
    for (let j = 0; j < N; j++) {
      if (!D[j]) continue;
      const rj = binRow?.[j] ?? 0;
      if (!R) {
        variance[0] += D[j] * D[j];
        if (rj) variance[rj] += D[j] * D[j];
        continue;
      }
      const o = j * N;
      if (!binRow) { variance[0] += D[j] * dot(R, o, D, N); continue; }
      part.fill(0);
      for (let k = 0; k < N; k++) part[binRow[k]] += R[o + k] * D[k];
      let all = 0;
      for (let r = 0; r < rows; r++) all += part[r];
      variance[0] += D[j] * all;
      if (rj) variance[rj] += D[j] * part[rj];
    }
    const s = ans.n;
    if (!corr || !s) return { shift, variance };
    const C = corr.R;
    const A = new Float64Array(s * s), z = new Float64Array(s);
    for (let x = 0; x < s; x++) {
      const i = ans.idx[x];
      z[x] = standardised(ans.y[x], P[i]);
      for (let y = 0; y < s; y++) A[x * s + y] = C[i * N + ans.idx[y]];
      // R_SS is positive definite for any shrink > 0 (its eigenvalues are at least the shrink); the ridge keeps an
      // unshrunk matrix solvable where two items were answered alike by every calibration model
      A[x * s + x] += 1e-6;
    }
    const alpha = solveSpd(A, z, s);
    if (!alpha) return { shift, variance };
    for (let k = 0; k < N; k++) {
      if (!D[k]) continue;
      let t = 0;
      for (let x = 0; x < s; x++) t += C[k * N + ans.idx[x]] * alpha[x];
      shift[0] += D[k] * t;
      const r = binRow?.[k] ?? 0;
      if (r) shift[r] += D[k] * t;
    }
    return { shift, variance };
  }
}

// four running sums: one would chain every add on the last, and the pass over R would wait on the adder, not memory
/** Σ_l R[o + l] · D[l]. */
function dot(R: Float64Array, o: number, D: Float64Array, N: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, l = 0;
  for (; l + 3 < N; l += 4) {
    s0 += R[o + l] * D[l];
    s1 += R[o + l + 1] * D[l + 1];
    s2 += R[o + l + 2] * D[l + 2];
    s3 += R[o + l + 3] * D[l + 3];
  }
  for (; l < N; l++) s0 += R[o + l] * D[l];
  return s0 + s1 + s2 + s3;
}

/** R[o + l] −= f · row[l] for every l, and the new row's product with D. */
function downdateDot(R: Float64Array, o: number, row: Float64Array, f: number, D: Float64Array, N: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, l = 0;
  for (; l + 3 < N; l += 4) {
    const x0 = R[o + l] - f * row[l], x1 = R[o + l + 1] - f * row[l + 1], x2 = R[o + l + 2] - f * row[l + 2], x3 = R[o + l + 3] - f * row[l + 3];
    R[o + l] = x0;
    R[o + l + 1] = x1;
    R[o + l + 2] = x2;
    R[o + l + 3] = x3;
    s0 += x0 * D[l];
    s1 += x1 * D[l + 1];
    s2 += x2 * D[l + 2];
    s3 += x3 * D[l + 3];
  }
  for (; l < N; l++) {
    const x = R[o + l] - f * row[l];
    R[o + l] = x;
    s0 += x * D[l];
  }
  return s0 + s1 + s2 + s3;
}

/** An answer's residual over its Bernoulli SD, P kept inside P_FLOOR of 0 and 1: the z correlations are learned on. */
function standardised(y: number, P: number): number {
  const p = Math.min(1 - P_FLOOR, Math.max(P_FLOOR, P));
  return (y - p) / Math.sqrt(p * (1 - p));
}

/** dP/dθ of a bank item at P. */
function slope(bank: ItemBank, i: number, p: number): number {
  const c = bank.c[i];
  return c === 0 ? bank.a[i] * p * (1 - p) : (bank.a[i] * (p - c) * (1 - p)) / (1 - c);
}
