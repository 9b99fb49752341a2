/**
 * A Newton step on the latent location and scale for plain EM, on the grid likelihood itself.
 * With thousands of answers per model the complete data pin every item down hard, while the observed data pin the
 * latent scale (a common shift μ of θ, d += a·μ, and where slopes are free a common stretch τ, a ×= τ) only through
 * the N(0, σ²) prior and the grid: plain EM moves along these directions at a rate near 1 (one minus the ratio of
 * the prior's information to the items'), and on a grid coarser than the posteriors their profile is bumpy (its
 * curvature at the maximum several times the prior's), which defeats SQUAREM's single step length and a Newton step
 * on the prior's curvature alike. PX-EM moves them fast but maps back as if the grid moved with θ, so it stops ~0.05 in b off the
 * grid maximum. So here both the gradient and the curvature along (μ, log τ) are exact: with h_jq = ∂ log L_j(θ_q)/∂μ
 * = Σ_i a_i (y_ij − P_i(θ_q)) and w_jq model j's posterior, ℓ'' = Σ_j (E_w[∂² log L] + Var_w[∂ log L]); the first
 * term comes from the E-step's expected counts, the second from one pass over the answers on each model's window.
 * The 3pl (c > 0) takes plain EM as before.
 */
import type { Kernel, Runner } from '../parallel/runner.js';
import { balancedRanges, f64 } from '../parallel/shared.js';
import { nOffset, rOffset, type EStepData, type EStepSums, type Posteriors } from './estep.js';
import { itemScore, type Free } from './itemStep.js';
import type { MmlState } from './layout.js';
import { sigmoid } from './model.js';
import type { MmlSetup } from './mstep.js';
import { SLOPE_BOUND } from './priors.js';

export interface LatentMove {
  /** shift of θ: d += a·mu */
  mu: number;
  /** log of the stretch of θ: a ×= exp(logTau) (0 where slopes are not free) */
  logTau: number;
}

const NO_MOVE: LatentMove = { mu: 0, logTau: 0 };
/** per model: E[h], E[θh], E[h²], E[θh²], E[θ²h²] under its posterior */
const WIDTH = 5;
/** the longest move taken in one step, in θ (μ) and in log τ: the grid likelihood is not quadratic beyond */
const MAX_MU = 0.1;
const MAX_LOG_TAU = 0.05;
/**
 * Where the curvature along μ exceeds the prior's this many times, the data pin the latent scale themselves (items
 * at the slope bound, the priors of items without variation, as on MATH Level 5): there the profile has kinks, a
 * Newton step can lead into a lower maximum than plain EM's, and EM is not slow along it. No move.
 */
const PINNED = 10;
/**
 * Fewer models than this take plain EM: their prior pins the latent scale weakly against the grid's bumps, the
 * likelihood can have several maxima along it (ChemBench's 22 models, 1pl), and a Newton step jumps between them;
 * with so few models plain EM costs little anyway.
 */
export const LATENT_MIN_MODELS = 100;

export interface LatentCtx extends EStepData, Posteriors {
  /** a_i (y − P_i(θ_q)) at [(2i + y)·Q + q] */
  h: Float64Array;
  nodes: Float64Array;
  out: Float64Array;
}

/** Each model's posterior moments of h (see WIDTH), on its posterior's significant points; any split of models gives the same bits. */
function latentMomentsKernel(c: LatentCtx, from: number, to: number): number {
  const { Q, offsets, index, value, w, span, h, nodes, out } = c;
  const hq = new Float64Array(Q);
  for (let j = from; j < to; j++) {
    const l = span[4 * j + 2];
    const u = span[4 * j + 3];
    hq.fill(0);
    for (let k = offsets[j]; k < offsets[j + 1]; k++) {
      const base = (2 * index[k] + value[k]) * Q;
      for (let q = l; q <= u; q++) hq[q] += h[base + q];
    }
    let m0 = 0;
    let m1 = 0;
    let m00 = 0;
    let m01 = 0;
    let m11 = 0;
    for (let q = l; q <= u; q++) {
      const x = w[j * Q + q];
      const t = nodes[q];
      const v = hq[q];
      m0 += x * v;
      m1 += x * t * v;
      m00 += x * v * v;
      m01 += x * t * v * v;
      m11 += x * t * t * v * v;
    }
    out.set([m0, m1, m00, m01, m11], WIDTH * j);
  }
  return 0;
}

export const LATENT_MOMENTS: Kernel<LatentCtx, number> = { name: 'latentMoments', run: latentMomentsKernel };

/** The posterior moments of h for every model (WIDTH per model), over a runner's threads, from the last E-step's posteriors. */
export type LatentPass = (h: Float64Array, nodes: Float64Array) => Promise<Float64Array>;

export function latentPass(runner: Runner, data: EStepData, post: Posteriors): LatentPass {
  const nM = data.offsets.length - 1;
  const ranges = balancedRanges(data.offsets, runner.size);
  const out = f64(WIDTH * nM);
  return async (h, nodes) => {
    await runner.run(LATENT_MOMENTS, ranges, () => ({ ...data, ...post, h, nodes, out }));
    return out;
  };
}

/**
 * The Newton step (μ, log τ) at s, from `sums`, the E-step's counts at s, and `pass` over that E-step's posteriors
 * (rasch: μ only, its spread is the latent variance, which EM moves fast). Far from the maximum, on the grid's
 * bumps, the exact curvature may be useless, and the prior's stands in (priorCurvature); a move that still lowers
 * the objective is undone by runEm's guard.
 */
export async function latentNewton(c: MmlSetup, s: MmlState, sums: EStepSums, pass: LatentPass): Promise<LatentMove> {
  if (c.model === '3pl') return NO_MOVE;
  const { g, exact, prior } = await latentDerivatives(c, s, sums, pass);
  const definite = exact[0] >= prior[0] && (c.model === 'rasch' || exact[0] * exact[2] > exact[1] * exact[1]);
  if (definite && exact[0] > PINNED * prior[0]) return NO_MOVE;
  const H = definite ? exact : prior;
  if (c.model === 'rasch') return { mu: clamp(g.mu / H[0], MAX_MU), logTau: 0 };
  const det = H[0] * H[2] - H[1] * H[1];
  return { mu: clamp((H[2] * g.mu - H[1] * g.tau) / det, MAX_MU), logTau: clamp((H[0] * g.tau - H[1] * g.mu) / det, MAX_LOG_TAU) };
}

export interface LatentDerivatives {
  /** the objective's gradient along μ and log τ */
  g: { mu: number; tau: number };
  /** minus its Hessian there, [∂μμ, ∂μτ, ∂ττ] (rasch: ∂μμ alone is meaningful) */
  exact: number[];
  /** the same from the prior alone (priorCurvature) */
  prior: number[];
}

/** The objective's derivatives along (μ, log τ) at s (c = 0 models), from the E-step's counts and posteriors at s. */
export async function latentDerivatives(c: MmlSetup, s: MmlState, sums: EStepSums, pass: LatentPass): Promise<LatentDerivatives> {
  const { Q, nodes, nI } = c;
  const stretch = c.model !== 'rasch';
  const g = objectiveGradient(c, s, sums, stretch);
  // the expected part of ℓ'': −Σ_i a_i² Σ_q n_iq P(1 − P) θ_q^k, k = 0, 1, 2
  const h = f64(2 * nI * Q);
  let k0 = 0;
  let k1 = 0;
  let k2 = 0;
  for (let i = 0; i < nI; i++) {
    const a = s.a[i];
    for (let q = 0; q < Q; q++) {
      const P = sigmoid(a * nodes[q] + s.d[i]);
      h[nOffset(i, Q) + q] = -a * P;
      h[rOffset(i, Q) + q] = a * (1 - P);
      const e = sums.rn[nOffset(i, Q) + q] * a * a * P * (1 - P);
      k0 += e;
      k1 += e * nodes[q];
      k2 += e * nodes[q] * nodes[q];
    }
  }
  const m = await pass(h, nodes);
  let v00 = 0;
  let v01 = 0;
  let v11 = 0;
  let eTh = 0;
  for (let j = 0; j < m.length; j += WIDTH) {
    v00 += m[j + 2] - m[j] * m[j];
    v01 += m[j + 3] - m[j] * m[j + 1];
    v11 += m[j + 4] - m[j + 1] * m[j + 1];
    eTh += m[j + 1];
  }
  // minus the Hessian of ℓ along (μ, log τ); log τ's second derivative has the term Σ E[θh] as z is linear in τ, not log τ
  const p = itemPriorCurvature(c, s, stretch);
  return { g, exact: [k0 - v00 + p.mu, k1 - v01, k2 - eTh - v11 + p.tau], prior: priorCurvature(sums, nodes, Math.exp(s.logVar)) };
}

/**
 * The items' own priors (on items without variation: d ~ N(0, σ_d²), log a ~ N(0, σ_a²)) are not invariant under
 * the shift and stretch: they add a²/σ_d² and 1/σ_a² to the curvature.
 */
function itemPriorCurvature(c: MmlSetup, s: MmlState, stretch: boolean): { mu: number; tau: number } {
  let mu = 0;
  let tau = 0;
  for (let i = 0; i < c.nI; i++) {
    const p = c.priors[i];
    if (!c.variation.n[i]) continue;
    if (p.dSd) mu += (s.a[i] * s.a[i]) / (p.dSd * p.dSd);
    if (stretch && p.logASd) tau += 1 / (p.logASd * p.logASd);
  }
  return { mu, tau };
}

/**
 * Where the grid's bumps make ℓ'' useless (not negative definite, or flatter than the prior alone), the prior's
 * curvature: for sharp posteriors θ̂_j, ℓ(μ, τ) ≈ Σ_j −(θ̂_j − μ)² / (2σ²τ²) − N log τ, at (0, 1) minus its Hessian
 * in (μ, log τ) is [[N, 2Σθ̂], [2Σθ̂, 2Σθ̂²]] / σ², the posteriors' moments standing in for θ̂.
 */
function priorCurvature(sums: EStepSums, nodes: Float64Array, v: number): number[] {
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  for (let q = 0; q < nodes.length; q++) {
    n += sums.nq[q];
    s1 += sums.nq[q] * nodes[q];
    s2 += sums.nq[q] * nodes[q] * nodes[q];
  }
  return [n / v, (2 * s1) / v, (2 * s2) / v];
}

/** The objective's gradient along μ and log τ (Fisher's identity: the items' scores, priors included, against the counts at s). */
function objectiveGradient(c: MmlSetup, s: MmlState, sums: EStepSums, stretch: boolean): { mu: number; tau: number } {
  const free: Free = { a: stretch, d: true, g: false };
  const grad = new Float64Array(3);
  const info = new Float64Array(9);
  let mu = 0;
  let tau = 0;
  for (let i = 0; i < c.nI; i++) {
    if (!c.variation.n[i]) continue;
    itemScore(sums.rn, rOffset(i, c.Q), nOffset(i, c.Q), c.nodes, c.Q, { a: s.a[i], d: s.d[i], g: s.g[i] }, c.priors[i], free, grad, info);
    if (stretch) {
      tau += s.a[i] * grad[0];
      mu += s.a[i] * grad[1];
    } else mu += grad[0];
  }
  return { mu, tau };
}

const clamp = (x: number, bound: number) => Math.max(-bound, Math.min(bound, x));

/** Moves state t (in place) along the latent location and scale, the move scaled by `scale`: z = aθ + d becomes a·τ·θ + d + a·μ. */
export function moveLatent(t: MmlState, m: LatentMove, scale = 1): MmlState {
  const tau = Math.exp(scale * m.logTau);
  const mu = scale * m.mu;
  for (let i = 0; i < t.a.length; i++) {
    t.d[i] += t.a[i] * mu;
    if (m.logTau !== 0) t.a[i] = Math.max(-SLOPE_BOUND, Math.min(SLOPE_BOUND, t.a[i] * tau));
  }
  return t;
}
