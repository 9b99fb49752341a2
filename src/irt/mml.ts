/**
 * Marginal maximum likelihood by Bock–Aitkin EM on a fixed grid (mirt's defaults: 61 points on [−6, 6]),
 * with the SQUAREM accelerator and a monotonicity guard (squarem.ts), so that a fit is both mirt-exact on classic
 * data and quick on leaderboard data. The driver: start values, the EM loop, the posterior means, the SEs.
 */
import type { ResponseMatrix } from '../responses/matrix.js';
import { evenRanges, f64 } from '../parallel/shared.js';
import { serialRunner, type Runner } from '../parallel/runner.js';
import { phase } from '../util/phase.js';
import { ESTEP_TABLES, type EStepSums, type EStepTables } from './estep.js';
import { startIntercept, type EStepRunner } from './estepRunner.js';
import { largestMoves, type Estimate, type Moving } from './estimate.js';
import { layoutFor, pack, slots, unpack, cloneState, type Layout, type MmlState } from './layout.js';
import type { ItemModel } from './model.js';
import { mmlCovariance } from './mmlInfo.js';
import { freeOf, logPriorTotal, mmlItemPriors, mstep, type MmlSetup } from './mstep.js';
import { itemSteps } from './mstepItems.js';
import { DEFAULTS, heldFiniteText, MML_PRIORS, PLAIN_FINISH_WORK, priorsText } from './priors.js';
import { grid, logNormalWeights } from './quadrature.js';
import { runEm } from './squarem.js';
import { latentNewton, moveLatent, type LatentPass } from './latentStep.js';
import { extremeIndices, type ItemVariation } from './variation.js';

export interface MmlOptions {
  model: ItemModel;
  quadpts?: number;
  thetaLimit?: number;
  /** stop when no parameter moves more than tol in one EM step and the log-likelihood moves less than tolLoglik */
  tol?: number;
  tolLoglik?: number;
  maxIter?: number;
  /** fixed c for 3pl */
  guessing?: number;
  accelerate?: boolean;
  /** full observed information (numerical Hessian) when the model has at most this many parameters */
  fullInfoMax?: number;
  /** the E-step, over the fit's threads (see runnerEStep) */
  estep: EStepRunner;
  /** the threads of the item tables and the items' M-step (the E-step's own are in `estep`); default this thread */
  runner?: Runner;
  /** plain EM's Newton step on the latent location and scale (latentStep.ts) reads the E-step's posteriors through this */
  latent?: LatentPass;
  /** answers × grid points decide how EM finishes (see PLAIN_FINISH_WORK) */
  nResponses: number;
  onIteration?: (it: number, loglik: number, change: number) => void;
  /** plain: finish with plain EM at the grid maximum (mirt's answer); px: stop at the PX-EM fixed point; default by size */
  finish?: 'plain' | 'px';
}

const EM_PLAIN = 'PX-EM, then plain EM (SQUAREM-accelerated) to the maximum of the grid likelihood, as mirt';
const EM_PX = "PX-EM (SQUAREM-accelerated) fixed point: on grids coarser than the models' posteriors it lies up to ~0.05 in b from the grid maximum; --quadpts 121 narrows both toward the exact MLE, --finish plain reaches the grid maximum (slowly)";

export async function fitMml(m: ResponseMatrix, variation: ItemVariation, o: MmlOptions): Promise<Estimate> {
  const nI = m.items.length;
  const Q = o.quadpts ?? DEFAULTS.quadpts;
  const nodes = grid(Q, o.thetaLimit ?? DEFAULTS.thetaLimit);
  const L = layoutFor(o.model, nI, o.guessing !== undefined);
  const runner = o.runner ?? serialRunner;
  const priors = mmlItemPriors(o.model, L, variation);
  const setup: MmlSetup = { model: o.model, nI, Q, nodes, L, variation, priors, items: itemSteps(runner, nodes, variation.n, priors, freeOf(L)) };
  const run = o.estep;
  const state = startState(o, variation, nI);
  const sharedNodes = f64(Q);
  sharedNodes.set(nodes);
  const itemRanges = evenRanges(nI, runner.size);
  const tables = async (s: MmlState): Promise<EStepTables> => {
    const tab = f64(2 * nI * Q);
    const params = { a: f64(nI), d: f64(nI), g: f64(nI) };
    params.a.set(s.a);
    params.d.set(s.d);
    params.g.set(s.g);
    await runner.run(ESTEP_TABLES, itemRanges, () => ({ tab, nodes: sharedNodes, ...params }));
    const logPrior = f64(Q);
    logPrior.set(logNormalWeights(nodes, 0, Math.exp(s.logVar)));
    return { tab, logPrior };
  };

  // Plain EM creeps where posteriors are sharp (rate near 1); at leaderboard scale each step costs seconds, so
  // there the fit stops at the PX-EM fixed point, and fit.json says so.
  const finishPlain = o.finish === 'plain' || (o.finish !== 'px' && o.nResponses * Q <= PLAIN_FINISH_WORK);
  // runEm asks for the same x twice where PX-EM hands over to plain EM: the E-step is the same, so it is kept
  let last: { x: Float64Array; sums: EStepSums } | null = null;
  const em = await runEm(
    pack(L, state),
    async (x, px, boost) => {
      const s = unpack(L, x, cloneState(state));
      const sums = last?.x === x ? last.sums : await run(await tables(s));
      last = { x, sums };
      const t = await mstep(setup, s, sums, px);
      // priors are part of the objective that EM climbs; the reported log-likelihood excludes them (below)
      const loglik = sums.loglik + logPriorTotal(setup, s);
      if (px || !o.latent || !boost) {
        phase('mml: EM step');
        return { next: pack(L, t), loglik };
      }
      const plain = pack(L, t);
      moveLatent(t, await latentNewton(setup, s, sums, o.latent), boost);
      phase('mml: EM step');
      return { next: pack(L, t), loglik, plain };
    },
    {
      tol: o.tol ?? DEFAULTS.tol,
      tolLoglik: o.tolLoglik ?? DEFAULTS.tolLoglikPerModel * Math.max(1, m.models.length),
      maxIter: o.maxIter ?? DEFAULTS.maxIterMml,
      accelerate: o.accelerate ?? true,
      finishPlain,
      onIteration: o.onIteration,
    },
  );

  const final = unpack(L, em.x, cloneState(state));
  const eap = f64(m.models.length);
  const eapSd = f64(m.models.length);
  const sums = await run(await tables(final), { mean: eap, sd: eapSd, nodes: sharedNodes });
  phase('mml: final E-step, EAP');
  const cov = await mmlCovariance(setup, em.x, state, sums, run, tables, o.fullInfoMax ?? DEFAULTS.fullInfoMax);
  phase('mml: standard errors');
  const extreme = extremeIndices(variation.extreme);
  return {
    a: final.a,
    d: final.d,
    g: final.g,
    varA: cov.varA,
    covAD: cov.covAD,
    varD: cov.varD,
    theta: eap,
    thetaSe: eapSd,
    thetaKind: `eap (posterior mean and sd on the ${Q}-point grid)`,
    seMethod: cov.kind,
    loglik: sums.loglik,
    loglikKind: 'marginal',
    iterations: em.iterations,
    converged: em.converged,
    lastChange: em.lastChange,
    lastLoglikChange: em.lastLoglikChange,
    plateau: em.plateau,
    contraction: em.contraction,
    moving: moves(L, em.lastStep),
    latentVar: Math.exp(final.logVar),
    nParameters: L.size,
    priors: priorsText(o.model, 'mml', o.guessing !== undefined),
    held: { items: extreme, models: [], how: extreme.length ? heldFiniteText(o.model, 'mml') : '' },
    em: finishPlain ? EM_PLAIN : EM_PX,
    warnings: [],
  };
}

/** The largest moves of the last EM cycle, by item and parameter (the shared slot counts as item −1). */
function moves(L: Layout, step: Float64Array): Moving[] {
  const out: Moving[] = [];
  for (let i = 0; i < L.nItems; i++) {
    const sl = slots(L, i);
    if (sl.a >= 0) out.push({ item: i, parameter: 'a', change: Math.abs(step[sl.a]) });
    out.push({ item: i, parameter: 'd', change: Math.abs(step[sl.d]) });
    if (sl.g >= 0) out.push({ item: i, parameter: 'logit c', change: Math.abs(step[sl.g]) });
  }
  if (L.model === 'rasch' || L.model === '1pl') out.push({ item: -1, parameter: 'common', change: Math.abs(step[L.size - 1]) });
  return largestMoves(out);
}

/** Start values: d from each item's share correct, as mirt does (a = 1, c at its prior mean or fixed value). */
function startState(o: MmlOptions, variation: ItemVariation, nI: number): MmlState {
  const state: MmlState = { a: new Float64Array(nI).fill(1), d: new Float64Array(nI), g: new Float64Array(nI).fill(-Infinity), logVar: 0 };
  const c = o.guessing ?? MML_PRIORS.c.alpha / (MML_PRIORS.c.alpha + MML_PRIORS.c.beta);
  for (let i = 0; i < nI; i++) {
    state.d[i] = startIntercept(variation.pCorrect[i]);
    if (o.model === '3pl') state.g[i] = c > 0 ? Math.log(c / (1 - c)) : -Infinity;
  }
  return state;
}
