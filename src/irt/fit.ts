/**
 * The estimator's one face (scikit-learn style): hyperparameters in, fitted parameters out, nothing global.
 * fitIrt(matrix, options) → item parameters in the IRT parameterisation (b is a difficulty, not the intercept),
 * model abilities with SEs, fit statistics, and what was held finite or dropped and why. It is also the composition
 * root of the engine's threads: it starts the worker pool on worker.ts, whose registry names the kernels.
 */
import { GradusError, option } from '../errors.js';
import { MISSING, rowOffsets, type ResponseMatrix, type SparseView } from '../responses/matrix.js';
import { buildViews } from '../responses/views.js';
import { phase } from '../util/phase.js';
import { rng } from '../util/rng.js';
import { balancedRanges, f64, sharedCopy } from '../parallel/shared.js';
import { runnerFor } from '../parallel/pool.js';
import type { Runner } from '../parallel/runner.js';
import { abilities, type AbilityMethod } from './abilities.js';
import { toIrt, type Estimate } from './estimate.js';
import { newPosteriors } from './estep.js';
import { guessWindows, runnerEStep } from './estepRunner.js';
import { LATENT_MIN_MODELS, latentPass } from './latentStep.js';
import { heldOutMetrics, ITEM_FIT } from './fitStats.js';
import { fitJoint } from './joint.js';
import { fitMml } from './mml.js';
import { ITEM_MODELS, METHODS, prob, type ItemModel, type ItemParams, type Method } from './model.js';
import { DEFAULTS, SLOPE_BOUND } from './priors.js';
import { convergenceOf, fmt, type Convergence } from './convergence.js';
import { grid } from './quadrature.js';
import { itemVariation, type ItemVariation } from './variation.js';

/** each worker thread of the pool starts here, with the registry of the engine's kernels */
const WORKER = new URL('./worker.js', import.meta.url);

export interface FitOptions {
  model?: ItemModel;
  method?: Method;
  /** 3pl only: fix every c at this value instead of estimating it */
  guessing?: number;
  /** how model abilities are reported; default eap after mml, the joint estimate after jml/map */
  abilities?: AbilityMethod | 'joint';
  /** hide this share of observed responses before fitting, and score the fit on them */
  holdout?: number;
  seed?: number;
  tol?: number;
  maxIter?: number;
  quadpts?: number;
  /** mml: finish at the grid maximum (plain) or at the PX-EM fixed point (px); default by size */
  finish?: 'plain' | 'px';
  /** threads to spread the work over; by default a worker pool on big data, this thread on small */
  runner?: Runner;
  onIteration?: (it: number, loglik: number, change: number) => void;
}

export interface ItemTableOut {
  item: readonly string[];
  b: Float64Array;
  a: Float64Array;
  c: Float64Array;
  se_b: Float64Array;
  se_a: Float64Array;
  n: Int32Array;
  p_correct: Float64Array;
  infit: Float64Array;
  outfit: Float64Array;
}

export interface ModelTableOut {
  model: readonly string[];
  theta: Float64Array;
  se_theta: Float64Array;
  n: Int32Array;
  p_correct: Float64Array;
}

export interface FitInfo {
  model: ItemModel;
  method: Method;
  loglik: number;
  loglik_kind: 'marginal' | 'joint' | 'joint (with log-priors excluded)';
  aic: number;
  bic: number;
  n_parameters: number;
  n_models: number;
  n_items: number;
  n_responses: number;
  iterations: number;
  converged: boolean;
  last_change: number;
  last_loglik_change: number;
  tol: number;
  seconds: number;
  latent_var: number;
  abilities: string;
  se_method: string;
  /** mml: how EM ended */
  em: string | null;
  guessing: number | null;
  priors: Record<string, string>;
  dropped_items: string[];
  held_finite: { items: string[]; models: string[]; how: string };
  holdout: null | { share: number; seed: number; n: number; logloss: number; accuracy: number; auc: number };
  warnings: string[];
  /** present only where the parameters did not settle: how the fit ended, who was still moving, what to do */
  convergence?: Convergence;
}


export interface FitResult {
  items: ItemTableOut;
  models: ModelTableOut;
  info: FitInfo;
}

/** the work a fit spreads over threads: an MML answer costs a grid's worth of terms per E-step, a joint one a term */
export function fitWork(nResponses: number, method: Method): number {
  return nResponses * (method === 'mml' ? 20 : 1);
}

export async function fitIrt(input: ResponseMatrix, o: FitOptions = {}): Promise<FitResult> {
  const t0 = performance.now();
  const model = o.model ?? 'rasch';
  const method = o.method ?? 'mml';
  // each model's answers, counted once: for the checks, the size of the work, and (without a holdout) the views
  const offsets = rowOffsets(input.data, input.models.length, input.items.length);
  const observed = offsets[input.models.length];
  validate(input, o, model, method, observed);
  const { m, hidden } = o.holdout ? hideShare(input, o.holdout, o.seed ?? 1) : { m: input, hidden: null };
  const nM = m.models.length;
  const nI = m.items.length;
  // The sparse views are built once and shared by every stage (and, on shared memory, by the worker threads);
  // the work is judged on the input's answers (a holdout hides a share of them).
  const runner = o.runner ?? runnerFor(WORKER, fitWork(observed, method));
  try {
    phase('fit set-up');
    const { bm, bi } = await buildViews(m, runner, hidden ? undefined : offsets);
    phase('sparse views');
    const variation = itemVariation(m, bi);
    phase('item variation');
    const est = await estimate(m, o, model, method, { bm, bi }, variation, runner);
    phase('estimation');
    const irt = toIrt(est, variation.n);
    const params: ItemParams = { a: irt.a, b: irt.b, c: irt.c };
    const wanted = o.abilities ?? (method === 'mml' ? 'eap' : 'joint');
    const own = wanted === 'joint' || (method === 'mml' && wanted === 'eap');
    const { theta, se: thetaSe } = own ? { theta: est.theta, se: est.thetaSe } : abilities(bm, params, { method: wanted as AbilityMethod, ...(method === 'mml' ? { variance: est.latentVar } : {}) });
    const convergence = convergenceOf(est, m.items, model, o.guessing !== undefined);
    const warnings = [...est.warnings, ...fitWarnings(est, irt.a, model, method, convergence)];

    const { infit, outfit } = await itemFit(runner, bi, params, theta, model);
    for (let i = 0; i < nI; i++) {
      if (variation.n[i] === 0) {
        params.a[i] = NaN;
        params.b[i] = NaN;
        params.c[i] = NaN;
      }
    }
    if (model === 'rasch') irt.se_a.fill(NaN);
    const mstats = modelStats(bm);
    phase('item fit, model stats');
    const holdout: FitInfo['holdout'] = hidden ? { share: o.holdout!, seed: o.seed ?? 1, ...heldOutMetrics(predict(hidden.cell, nI, params, theta), hidden.y) } : null;
    const nParams = est.nParameters;
    const info: FitInfo = {
      model,
      method,
      loglik: est.loglik,
      loglik_kind: est.loglikKind,
      aic: -2 * est.loglik + 2 * nParams,
      bic: -2 * est.loglik + nParams * Math.log(nM),
      n_parameters: nParams,
      n_models: nM,
      n_items: nI,
      n_responses: bm.index.length,
      iterations: est.iterations,
      converged: est.converged,
      last_change: est.lastChange,
      last_loglik_change: est.lastLoglikChange,
      tol: o.tol ?? DEFAULTS.tol,
      seconds: (performance.now() - t0) / 1000,
      latent_var: est.latentVar,
      abilities: own ? est.thetaKind : wanted,
      se_method: est.seMethod,
      em: est.em,
      guessing: o.guessing ?? null,
      priors: est.priors,
      dropped_items: m.items.filter((_, i) => variation.n[i] === 0),
      held_finite: { items: est.held.items.map((i) => m.items[i]), models: est.held.models.map((j) => m.models[j]), how: est.held.how },
      holdout,
      warnings,
      ...(convergence ? { convergence } : {}),
    };
    return {
      items: { item: m.items, b: params.b, a: params.a, c: params.c, se_b: irt.se_b, se_a: irt.se_a, n: variation.n, p_correct: variation.pCorrect, infit, outfit },
      models: { model: m.models, theta, se_theta: thetaSe, n: mstats.n, p_correct: mstats.p },
      info,
    };
  } finally {
    if (!o.runner) await runner.close();
  }
}

/** The chosen estimator, in the one contract (Estimate). */
async function estimate(m: ResponseMatrix, o: FitOptions, model: ItemModel, method: Method, views: { bm: SparseView; bi: SparseView }, variation: ItemVariation, runner: Runner): Promise<Estimate> {
  const common = { model, guessing: o.guessing, tol: o.tol, maxIter: o.maxIter, onIteration: o.onIteration };
  if (method !== 'mml') return fitJoint(m, { ...common, method }, views, runner);
  const { bm, bi } = views;
  const Q = o.quadpts ?? DEFAULTS.quadpts;
  const windows = guessWindows(bm, variation, grid(Q, DEFAULTS.thetaLimit));
  const data = { nItems: m.items.length, Q, offsets: bm.offsets, index: bm.index, value: bm.value };
  const post = newPosteriors(m.models.length, Q);
  const estep = runnerEStep(runner, { ...data, iOffsets: bi.offsets, iIndex: bi.index, iValue: bi.value }, windows, post);
  const latent = m.models.length >= LATENT_MIN_MODELS ? latentPass(runner, data, post) : undefined;
  return fitMml(m, variation, { ...common, quadpts: Q, estep, latent, runner, nResponses: bm.index.length, finish: o.finish });
}

/** Hide a seeded share of the observed responses; the fit never sees them. */
function hideShare(input: ResponseMatrix, share: number, seed: number): { m: ResponseMatrix; hidden: { cell: Int32Array; y: Uint8Array } } {
  const r = rng(seed);
  const data = input.data.slice();
  const cells: number[] = [];
  for (let k = 0; k < data.length; k++) if (data[k] !== MISSING && r.next() < share) cells.push(k);
  const y = new Uint8Array(cells.length);
  cells.forEach((k, t) => {
    y[t] = data[k];
    data[k] = MISSING;
  });
  return { m: { models: input.models, items: input.items, data }, hidden: { cell: Int32Array.from(cells), y } };
}

function predict(cell: Int32Array, nI: number, params: ItemParams, theta: Float64Array): Float64Array {
  const p = new Float64Array(cell.length);
  for (let t = 0; t < p.length; t++) {
    const j = Math.floor(cell[t] / nI);
    const i = cell[t] % nI;
    p[t] = Number.isFinite(params.b[i]) ? prob(theta[j], params.a[i], params.b[i], params.c[i]) : 0.5;
  }
  return p;
}

const movesText = (c: Convergence) => c.still_moving.map((x) => `${x.item} ${x.parameter} by ${fmt(x.change)}`).join(', ');

function fitWarnings(est: Estimate, a: Float64Array, model: ItemModel, method: Method, conv: Convergence | undefined): string[] {
  const out: string[] = [];
  const atBound = Array.from(a).filter((x) => Math.abs(x) >= SLOPE_BOUND - 1e-9).length;
  if (atBound && (model === '2pl' || model === '3pl')) {
    out.push(`${atBound} item(s) reached the slope bound |a| = ${SLOPE_BOUND}: they separate the models perfectly (strong right, weak wrong), so their slope has no finite estimate.`);
  }
  if (!est.converged) {
    out.push(`did not converge in ${est.iterations} iterations (last largest parameter change ${fmt(est.lastChange)}, last log-likelihood change ${fmt(est.lastLoglikChange)}); the estimates reached are written, marked converged: false. ${conv?.diagnosis === 'ridge' || conv?.diagnosis === 'cycling' ? `More iterations would not settle it (${conv.diagnosis}): see convergence in fit.json.` : 'Raise --max-iter or loosen --tol.'}`);
  }
  if (est.plateau && conv) {
    out.push(`converged on a plateau after ${est.iterations} iterations: the log-likelihood moved by ${fmt(est.lastLoglikChange)} in the last cycle, but parameters still moved up to ${fmt(est.lastChange)} per cycle (${movesText(conv)}); see convergence in fit.json.`);
  }
  if (model === 'rasch' && method === 'mml' && est.latentVar < 0.05) out.push(`the latent variance is ${fmt(est.latentVar)}: the models barely differ in ability.`);
  return out;
}

async function itemFit(runner: Runner, bi: SparseView, params: ItemParams, theta: Float64Array, model: ItemModel): Promise<{ infit: Float64Array; outfit: Float64Array }> {
  const nI = params.a.length;
  const infit = f64(nI);
  const outfit = f64(nI);
  const shared = { a: sharedCopy(params.a), b: sharedCopy(params.b), c: sharedCopy(params.c), theta: sharedCopy(theta) };
  // Rasch and 1pl: one slope, no guessing, so P factors into a per-model and a per-item exp
  const eInv = model === 'rasch' || model === '1pl' ? sharedCopy(theta.map((t) => Math.exp(-params.a[0] * t))) : undefined;
  await runner.run(ITEM_FIT, balancedRanges(bi.offsets, runner.size), () => ({ offsets: bi.offsets, index: bi.index, value: bi.value, ...shared, infit, outfit, eInv }));
  return { infit, outfit };
}

function modelStats(bm: SparseView): { n: Int32Array; p: Float64Array } {
  const nM = bm.offsets.length - 1;
  const n = new Int32Array(nM);
  const p = new Float64Array(nM);
  for (let j = 0; j < nM; j++) {
    let s = 0;
    for (let k = bm.offsets[j]; k < bm.offsets[j + 1]; k++) s += bm.value[k];
    n[j] = bm.offsets[j + 1] - bm.offsets[j];
    p[j] = n[j] ? s / n[j] : NaN;
  }
  return { n, p };
}

/** Throws on options or data (with n answers) that cannot be fitted. */
function validate(m: ResponseMatrix, o: FitOptions, model: ItemModel, method: Method, n: number): void {
  if (!ITEM_MODELS.includes(model)) throw new GradusError(`unknown ${option('model')} "${model}"`, `Use one of: ${ITEM_MODELS.join(', ')}.`);
  if (!METHODS.includes(method)) throw new GradusError(`unknown ${option('method')} "${method}"`, `Use one of: ${METHODS.join(', ')}.`);
  if (o.guessing !== undefined) {
    if (model !== '3pl') throw new GradusError(`${option('guessing')} goes with ${option('model')} 3pl, not ${model}`, `Drop ${option('guessing')}, or fit ${option('model')} 3pl.`);
    if (!(o.guessing >= 0 && o.guessing < 1)) throw new GradusError(`${option('guessing')} ${o.guessing} is not in [0, 1)`, 'Give the chance of a right guess, e.g. 0.25 for four options.');
  }
  if (o.holdout !== undefined && !(o.holdout > 0 && o.holdout < 1)) {
    throw new GradusError(`${option('holdout')} ${o.holdout} is not a share in (0, 1)`, `Give the share of responses to hide, e.g. ${option('holdout')} 0.1.`);
  }
  const nM = m.models.length;
  const nI = m.items.length;
  if (nM < 2 || nI < 2) {
    throw new GradusError(`${nM} model(s) × ${nI} item(s) is too small to identify an IRT model`, 'Give at least 2 models and 2 items (in practice dozens of each).');
  }
  const perItem = model === '3pl' ? 3 : model === '2pl' ? 2 : 1;
  if (n <= perItem * nI) {
    throw new GradusError(`${n} responses cannot identify ${perItem * nI} item parameters`, `Collect more responses, or fit a simpler model (${option('model')} rasch).`);
  }
}

