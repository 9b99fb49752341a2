/**
 * The E-step as the EM loop calls it: over a runner's threads, on per-model grid windows guessed before the first
 * step and kept between steps.
 */
import type { Runner } from '../parallel/runner.js';
import { balancedRanges, f64, i32 } from '../parallel/shared.js';
import type { SparseView } from '../responses/matrix.js';
import { ESTEP_POSTERIORS, ESTEP_SCATTER, newPosteriors, sumModels, type ByItem, type EStepData, type EStepSums, type EStepTables, type PosteriorMoments } from './estep.js';
import { sigmoid } from './model.js';
import type { ItemVariation } from './variation.js';

/** The E-step over all models, for the item tables given; `moments` asks for each model's posterior mean and sd. */
export type EStepRunner = (tables: EStepTables, moments?: PosteriorMoments) => Promise<EStepSums>;

/**
 * The E-step's two kernels spread over a runner's threads: posteriors by model ranges, expected counts by item
 * ranges; the sums over models are added here in model order, so the result does not depend on the runner's size.
 * The posteriors of the last E-step stay in `post` (for latentStep's pass).
 */
export function runnerEStep(runner: Runner, data: EStepData & ByItem, win?: Int32Array, post = newPosteriors(data.offsets.length - 1, data.Q)): EStepRunner {
  const nM = data.offsets.length - 1;
  const modelRanges = balancedRanges(data.offsets, runner.size);
  const itemRanges = balancedRanges(data.iOffsets, runner.size);
  return async (t, moments) => {
    await runner.run(ESTEP_POSTERIORS, modelRanges, () => ({ ...data, ...t, ...post, ...(moments ?? {}), win }));
    const sums: EStepSums = { loglik: 0, rn: f64(2 * data.nItems * data.Q), nq: new Float64Array(data.Q) };
    sums.loglik = sumModels(post, data.Q, nM, sums.nq);
    await runner.run(ESTEP_SCATTER, itemRanges, () => ({ ...data, ...post, rn: sums.rn }));
    return sums;
  };
}

/** Grid windows per model (see estep), starting on the whole grid. The logistic models' posteriors are log-concave; the 3pl's are close to it for the small c its prior allows. */
export function fullWindows(nModels: number, Q: number): Int32Array {
  const w = i32(2 * nModels);
  for (let j = 0; j < nModels; j++) w[2 * j + 1] = Q - 1;
  return w;
}

/** Start value of each item's intercept, as mirt does: the logit of its share correct (kept off 0 and 1). */
export function startIntercept(pCorrect: number): number {
  const p = Math.min(Math.max(pCorrect, 0.02), 0.98);
  return Number.isFinite(p) ? Math.log(p / (1 - p)) : 0;
}

/**
 * Grid windows for the first E-step, guessed from each model's share correct. On the whole grid that E-step costs
 * as much as three windowed ones (leaderboard scale: 9 s of 50). With the start values (a = 1, d from the items'
 * shares) a model's posterior sits near the θ at which the mean item would be right as often as the model was, with
 * an sd near 1/√(n·I), I the mean item's information there; the window covers 9.5 of those sds (the edge check
 * asks for a drop of 40 in the log-posterior, 8.9 sds) and 0.4 of slack either side. A guess that
 * misses fails the E-step's edge check, and that model is redone on the whole grid, so a poor guess costs time only.
 */
export function guessWindows(sp: SparseView, variation: ItemVariation, nodes: Float64Array): Int32Array {
  const Q = nodes.length;
  const nM = sp.offsets.length - 1;
  const win = fullWindows(nM, Q);
  // the mean item's chance of a right answer, and its information, at each node
  const mean = new Float64Array(Q);
  const info = new Float64Array(Q);
  let nItems = 0;
  for (let i = 0; i < variation.n.length; i++) {
    if (!variation.n[i]) continue;
    nItems++;
    const d = startIntercept(variation.pCorrect[i]);
    for (let q = 0; q < Q; q++) {
      const P = sigmoid(nodes[q] + d);
      mean[q] += P;
      info[q] += P * (1 - P);
    }
  }
  if (!nItems || Q < 2) return win;
  for (let q = 0; q < Q; q++) {
    mean[q] /= nItems;
    info[q] /= nItems;
  }
  const step = nodes[1] - nodes[0];
  for (let j = 0; j < nM; j++) {
    const n = sp.offsets[j + 1] - sp.offsets[j];
    let s = 0;
    for (let k = sp.offsets[j]; k < sp.offsets[j + 1]; k++) s += sp.value[k];
    const p = (s + 0.5) / (n + 1);
    let q0 = 0;
    while (q0 < Q - 1 && mean[q0 + 1] <= p) q0++;
    const margin = Math.ceil((0.4 + 9.5 / Math.sqrt(n * info[q0] + 1)) / step);
    win[2 * j] = Math.max(0, q0 - margin);
    win[2 * j + 1] = Math.min(Q - 1, q0 + 1 + margin);
  }
  return win;
}
