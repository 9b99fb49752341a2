/**
 * The M-step of MML: each item's parameters against the E-step's expected counts (itemStep), the common slope of
 * the 1pl, and the latent scale, either plainly or parameter-expanded (PX-EM); with the priors that enter the
 * objective EM climbs.
 */
import { nOffset, rOffset, type EStepSums } from './estep.js';
import type { Free, ItemPriors } from './itemStep.js';
import { cloneState, type Layout, type MmlState } from './layout.js';
import { sigmoid, type ItemModel } from './model.js';
import { MML_PRIORS, SLOPE_BOUND } from './priors.js';
import type { ItemVariation } from './variation.js';
import type { ItemSteps } from './mstepItems.js';

/** What the M-step needs to know of the fit, fixed for its whole run. */
export interface MmlSetup {
  model: ItemModel;
  nI: number;
  Q: number;
  nodes: Float64Array;
  L: Layout;
  variation: ItemVariation;
  priors: ItemPriors[];
  /** the items' Fisher scoring over the fit's threads (mstepItems) */
  items: ItemSteps;
}

/** Each item's priors in the MML objective (MML_PRIORS: the 3pl's, and those holding items without variation finite). */
export function mmlItemPriors(model: ItemModel, L: Layout, variation: ItemVariation): ItemPriors[] {
  return Array.from({ length: L.nItems }, (_, i) => {
    const p: ItemPriors = {};
    if (model === '3pl') p.dSd = MML_PRIORS.d3pl.sd;
    if (variation.extreme[i]) {
      p.dSd = MML_PRIORS.extremeD.sd;
      if (L.freeA) p.logASd = MML_PRIORS.extremeLogA.sd;
    }
    if (L.freeG) {
      p.cAlpha = MML_PRIORS.c.alpha;
      p.cBeta = MML_PRIORS.c.beta;
      p.logASd = MML_PRIORS.logA3pl.sd;
    }
    return p;
  });
}

/** The items' free parameters: a, d and c as the layout frees them, or d alone. */
export function freeOf(L: Layout): Free {
  return L.freeA || L.freeG ? { a: L.freeA, d: true, g: L.freeG } : { a: false, d: true, g: false };
}

/**
 * M-step, parameter-expanded (PX-EM, Liu, Rubin & Wu 1998) when `px`. With thousands of answers per model the
 * posterior hardly depends on the prior, so plain EM moves the latent scale (Rasch variance, 1pl slope, 2pl slopes)
 * at a rate near 1: hundreds of cycles. The expanded M-step also fits the latent mean and spread (and, for Rasch, a
 * common slope) to the expected counts, then maps them back onto the identified scale.
 * On a fixed grid the expanded model is not exactly the original one, so PX-EM's fixed point sits a little off
 * the grid likelihood's maximum (and its steps need not climb): once the parameters move less than PX_UNTIL per
 * step, the fit finishes with plain EM (still accelerated), whose fixed point is the maximum mirt finds.
 */
export async function mstep(c: MmlSetup, s: MmlState, sums: EStepSums, px: boolean): Promise<MmlState> {
  const t = await itemsStep(c, s, sums, px);
  const { Q, nodes } = c;
  let s0 = 0;
  let s1 = 0;
  for (let q = 0; q < Q; q++) {
    s0 += sums.nq[q];
    s1 += sums.nq[q] * nodes[q];
  }
  const mu = s1 / s0;
  let s2 = 0;
  for (let q = 0; q < Q; q++) s2 += sums.nq[q] * (nodes[q] - mu) ** 2;
  const tau = Math.sqrt(s2 / s0);
  if (!px) {
    // plain EM: only the Rasch latent variance is estimated, about the fixed mean 0
    if (c.model === 'rasch') {
      let v = 0;
      for (let q = 0; q < Q; q++) v += sums.nq[q] * nodes[q] * nodes[q];
      t.logVar = Math.log(v / s0);
    }
    return t;
  }
  if (!(tau > 0) || !Number.isFinite(mu)) return t;
  // θ_grid = μ + τ·θ': z = aθ + d = (aτ)θ' + (d + aμ)
  for (let i = 0; i < c.nI; i++) {
    t.d[i] += t.a[i] * mu;
    t.a[i] = Math.max(-SLOPE_BOUND, Math.min(SLOPE_BOUND, t.a[i] * tau));
  }
  if (c.model === 'rasch') {
    // back to a = 1 with the spread carried by the latent variance
    const alpha = t.a[0];
    t.logVar = 2 * Math.log(alpha);
    t.a.fill(1);
  }
  return t;
}

/** Every item's step; with one slope for all (1pl, and rasch under PX), alternated with the common slope's. */
async function itemsStep(c: MmlSetup, s: MmlState, sums: EStepSums, px: boolean): Promise<MmlState> {
  const t = cloneState(s);
  const common = c.model === '1pl' || (c.model === 'rasch' && px);
  for (let round = 0; round < (common ? 3 : 1); round++) {
    await c.items(t, sums.rn);
    if (common) t.a.fill(commonSlope(c, t, sums));
  }
  return t;
}

/** Σ over items and nodes of (r − n·P)·θ: the score of a common slope (with its information when `info` is given). */
export function commonSlopeScore(c: MmlSetup, t: MmlState, sums: EStepSums, a: number, info?: { h: number }): number {
  let g = 0;
  let h = 0;
  for (let i = 0; i < c.nI; i++) {
    for (let q = 0; q < c.Q; q++) {
      const nq = sums.rn[nOffset(i, c.Q) + q];
      if (nq === 0) continue;
      const P = sigmoid(a * c.nodes[q] + t.d[i]);
      g += (sums.rn[rOffset(i, c.Q) + q] - nq * P) * c.nodes[q];
      h += nq * P * (1 - P) * c.nodes[q] * c.nodes[q];
    }
  }
  if (info) info.h = h;
  return g;
}

/** 1pl: the common slope maximizes the summed item objectives, a 1-D Newton problem. */
function commonSlope(c: MmlSetup, t: MmlState, sums: EStepSums): number {
  let a = t.a[0];
  const info = { h: 0 };
  for (let it = 0; it < 20; it++) {
    const g = commonSlopeScore(c, t, sums, a, info);
    const step = Math.max(-0.5, Math.min(0.5, g / info.h));
    a += step;
    if (Math.abs(step) < 1e-10) break;
  }
  return a;
}

/** The log priors in the objective that EM climbs (the reported log-likelihood excludes them). */
export function logPriorTotal(c: MmlSetup, s: MmlState): number {
  let f = 0;
  for (let i = 0; i < c.nI; i++) {
    const p = c.priors[i];
    if (p.dSd) f -= (s.d[i] * s.d[i]) / (2 * p.dSd * p.dSd);
    if (p.logASd && c.L.freeA) f -= Math.log(Math.max(s.a[i], 1e-12)) ** 2 / (2 * p.logASd * p.logASd);
    if (p.cAlpha && c.L.freeG) {
      const cc = sigmoid(s.g[i]);
      f += p.cAlpha * Math.log(cc) + (p.cBeta ?? 1) * Math.log1p(-cc);
    }
  }
  return f;
}
