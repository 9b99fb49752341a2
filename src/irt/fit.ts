/**
 * The estimator's one face (scikit-learn style): hyperparameters in, fitted parameters out, nothing global.
 * fitIrt(matrix, options) → item parameters in the IRT parameterisation (b is a difficulty, not the intercept),
 * model abilities with SEs, fit statistics, and what was held finite or dropped and why.
 */
import { GradusError, option } from '../errors.js';
import { countObserved, MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { buildViews } from '../responses/views.js';
import { phase } from '../util/phase.js';
import { rng } from '../util/rng.js';
import { abilities, type AbilityMethod } from './abilities.js';
import { heldOutMetrics, ITEM_FIT } from './fitStats.js';
import { balancedRanges, f64, sharedCopy } from '../parallel/shared.js';
import { fitJoint, MAP_PRIORS } from './joint.js';
import { slots } from './layout.js';
import { grid } from './quadrature.js';
import { fitMml, guessWindows, THREE_PL_D_SD, runnerEStep } from './mml.js';
import { runnerFor } from '../parallel/pool.js';
import type { Runner } from '../parallel/runner.js';
import { ITEM_MODELS, METHODS, prob, sigmoid, type ItemModel, type ItemParams, type Method } from './model.js';
import { itemVariation } from './variation.js';
import { SLOPE_BOUND } from './itemStep.js';

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
  validate(input, o, model, method);
  const warnings: string[] = [];

  // Holdout: hide a seeded share of the observed responses; the fit never sees them.
  let m = input;
  let hidden: { cell: Int32Array; y: Uint8Array } | null = null;
  if (o.holdout) {
    const r = rng(o.seed ?? 1);
    const data = input.data.slice();
    const cells: number[] = [];
    for (let k = 0; k < data.length; k++) if (data[k] !== MISSING && r.next() < o.holdout) cells.push(k);
    const y = new Uint8Array(cells.length);
    cells.forEach((k, t) => {
      y[t] = data[k];
      data[k] = MISSING;
    });
    m = { models: input.models, items: input.items, data };
    hidden = { cell: Int32Array.from(cells), y };
  }

  const nM = m.models.length;
  const nI = m.items.length;
  // The sparse views are built once and shared by every stage (and, on shared memory, by the worker threads).
  const runner = o.runner ?? runnerFor(WORKER, fitWork(countObserved(m), method));
  try {
    phase('start');
    const { bm, bi } = await buildViews(m, runner);
    phase('sparse views');
    const variation = itemVariation(m, bi);
    phase('item variation');
    const params: ItemParams = { a: new Float64Array(nI), b: new Float64Array(nI), c: new Float64Array(nI) };
    const se_a = new Float64Array(nI).fill(NaN);
    const se_b = new Float64Array(nI).fill(NaN);
    let theta: Float64Array;
    let thetaSe: Float64Array;
    let loglik: number;
    let iterations: number;
    let converged: boolean;
    let lastChange: number;
    let lastLlChange: number;
    let latentVar = 1;
    let seMethod: string;
    let emKind: string | null = null;
    let abilityKind: string;
    const heldItems: string[] = [];
    const heldModels: string[] = [];
    let heldHow = '';
    let priors: Record<string, string> = {};
    let nParams: number;
    let llKind: FitInfo['loglik_kind'];
    const dropped: string[] = [];
    for (let i = 0; i < nI; i++) if (variation.n[i] === 0) dropped.push(m.items[i]);

    if (method === 'mml') {
      const Q = o.quadpts ?? 61;
      const windows = guessWindows(bm, variation, grid(Q, 6));
      const estep = runnerEStep(runner, { nItems: nI, Q, offsets: bm.offsets, index: bm.index, value: bm.value, iOffsets: bi.offsets, iIndex: bi.index, iValue: bi.value }, windows);
      const r = await fitMml(m, variation, { model, guessing: o.guessing, tol: o.tol, maxIter: o.maxIter, quadpts: Q, estep, nResponses: bm.index.length, onIteration: o.onIteration, finish: o.finish });
      emKind = r.em;
      const s = r.state;
      for (let i = 0; i < nI; i++) {
        params.a[i] = s.a[i];
        params.b[i] = -s.d[i] / s.a[i];
        params.c[i] = s.g[i] === -Infinity ? 0 : sigmoid(s.g[i]);
      }
      latentVar = Math.exp(s.logVar);
      // SEs in the IRT parameterisation by the delta method: b = −d/a.
      const L = r.layout;
      for (let i = 0; i < nI; i++) {
        if (variation.n[i] === 0) continue;
        const sl = slots(L, i);
        const a = s.a[i];
        const d = s.d[i];
        let vdd: number, vaa = NaN, vad = 0;
        if (r.cov) {
          const P = L.size;
          vdd = r.cov[sl.d * P + sl.d];
          const aSlot = L.freeA ? sl.a : model === '1pl' ? P - 1 : -1;
          if (aSlot >= 0) {
            const scale = L.freeA ? 1 : a; // 1pl stores log a
            vaa = r.cov[aSlot * P + aSlot] * scale * scale;
            vad = r.cov[aSlot * P + sl.d] * scale;
          }
        } else {
          const info = r.itemInfo[i];
          const k = Math.round(Math.sqrt(info.length));
          const inv = invertSmall(info, k);
          const dIdx = L.freeA ? 1 : 0;
          vdd = inv[dIdx * k + dIdx];
          if (L.freeA) {
            vaa = inv[0];
            vad = inv[1];
          }
        }
        if (model === 'rasch' || (model !== '1pl' && !L.freeA)) {
          se_b[i] = Math.sqrt(vdd) / a;
        } else {
          se_b[i] = deltaSeB(a, d, vaa, vad, vdd);
          se_a[i] = Math.sqrt(vaa);
        }
      }
      seMethod = r.covKind;
      ({ loglik, iterations, converged, lastChange, lastLoglikChange: lastLlChange } = r);
      llKind = 'marginal';
      const wanted = o.abilities && o.abilities !== 'joint' ? o.abilities : 'eap';
      if (wanted === 'eap') {
        theta = r.eap;
        thetaSe = r.eapSd;
      } else {
        ({ theta, se: thetaSe } = abilities(bm, params, { method: wanted, variance: latentVar }));
      }
      abilityKind = wanted === 'eap' ? `eap (posterior mean and sd on the ${r.nodes.length}-point grid)` : wanted;
      const extreme = m.items.filter((_, i) => variation.extreme[i]);
      if (extreme.length) {
        heldItems.push(...extreme);
        heldHow = 'priors d ~ N(0, 3²)' + (model === '2pl' || model === '3pl' ? ' and log a ~ N(0, 0.5²)' : '') + ' on items that every model answering them got right (or wrong)';
      }
      if (model === '3pl') priors = { ...(o.guessing === undefined ? { c: 'Beta(5, 17)', log_a: 'N(0, 0.5²)' } : {}), d: `N(0, ${THREE_PL_D_SD}²) (d = −a·b; N(0, 3²) on items without variation)` };
      nParams = r.layout.size;
    } else {
      const r = await fitJoint(m, { model, method, tol: o.tol, maxIter: o.maxIter, guessing: o.guessing, onIteration: o.onIteration }, { bm, bi }, runner);
      const k = (r.itemFree.a ? 1 : 0) + 1 + (r.itemFree.g ? 1 : 0);
      for (let i = 0; i < nI; i++) {
        params.a[i] = r.a[i];
        params.b[i] = -r.d[i] / r.a[i];
        params.c[i] = r.c[i];
        if (variation.n[i] === 0) continue;
        const cov = r.itemCov[i];
        const dIdx = r.itemFree.a ? 1 : 0;
        const vdd = cov[dIdx * k + dIdx];
        if (r.itemFree.a) {
          se_b[i] = deltaSeB(r.a[i], r.d[i], cov[0], cov[1], vdd);
          se_a[i] = Math.sqrt(cov[0]);
        } else se_b[i] = Math.sqrt(vdd) / r.a[i];
      }
      seMethod = 'inverse Fisher information of each item given the fitted abilities (per-item blocks)';
      ({ loglik, iterations, converged, lastChange, lastLoglikChange: lastLlChange } = r);
      llKind = 'joint';
      const wanted = o.abilities ?? 'joint';
      if (wanted === 'joint') {
        theta = r.theta;
        thetaSe = r.thetaSe;
        abilityKind = `${method} (the joint estimate)`;
      } else {
        ({ theta, se: thetaSe } = abilities(bm, params, { method: wanted }));
        abilityKind = wanted;
      }
      if (method === 'jml') {
        heldItems.push(...r.extremeItems.map((i) => m.items[i]));
        heldModels.push(...r.extremeModels.map((j) => m.models[j]));
        heldHow = 'estimated after the fit against the other parameters with a 0.3-point extreme-score adjustment (no finite ML exists)';
        if (model === 'rasch') warnings.push('Rasch JML difficulties carry the (L − 1)/L bias correction.');
        if (model === '3pl') priors = { log_a: `N(0, ${MAP_PRIORS.logASd}²)`, ...(o.guessing === undefined ? { c: `Beta(${MAP_PRIORS.cAlpha}, ${MAP_PRIORS.cBeta})` } : {}) };
      } else {
        priors = { theta: `N(0, ${MAP_PRIORS.thetaSd}²)`, d: `N(0, ${MAP_PRIORS.dSd}²) (d = −a·b)` };
        if (model === '2pl' || model === '3pl' || model === '1pl') priors.log_a = `N(0, ${MAP_PRIORS.logASd}²)`;
        if (model === '3pl' && o.guessing === undefined) priors.c = `Beta(${MAP_PRIORS.cAlpha}, ${MAP_PRIORS.cBeta})`;
        const extreme = m.items.filter((_, i) => variation.extreme[i]);
        heldItems.push(...extreme);
        if (extreme.length) heldHow = 'the MAP priors (items every model got right or wrong have no finite ML)';
      }
      nParams = nI * k + (model === '1pl' ? 1 : 0) + nM;
    }

    const atBound = Array.from(params.a).filter((a) => Math.abs(a) >= SLOPE_BOUND - 1e-9).length;
    if (atBound && (model === '2pl' || model === '3pl')) {
      warnings.push(`${atBound} item(s) reached the slope bound |a| = ${SLOPE_BOUND}: they separate the models perfectly (strong right, weak wrong), so their slope has no finite estimate.`);
    }
    if (!converged) {
      warnings.push(`did not converge in ${iterations} iterations (last largest parameter change ${fmt(lastChange)}, last log-likelihood change ${fmt(lastLlChange)}); the estimates reached are written, marked converged: false. Raise --max-iter or loosen --tol.`);
    }
    if (model === 'rasch' && method === 'mml' && latentVar < 0.05) warnings.push(`the latent variance is ${fmt(latentVar)}: the models barely differ in ability.`);

    phase('estimation');
    const infit = f64(nI);
    const outfit = f64(nI);
    const shared = { a: sharedCopy(params.a), b: sharedCopy(params.b), c: sharedCopy(params.c), theta: sharedCopy(theta) };
    // Rasch and 1pl: one slope, no guessing, so P factors into a per-model and a per-item exp
    const eInv = model === 'rasch' || model === '1pl' ? sharedCopy(theta.map((t) => Math.exp(-params.a[0] * t))) : undefined;
    await runner.run(ITEM_FIT, balancedRanges(bi.offsets, runner.size), () => ({ offsets: bi.offsets, index: bi.index, value: bi.value, ...shared, infit, outfit, eInv }));
    for (let i = 0; i < nI; i++) {
      if (variation.n[i] === 0) {
        params.a[i] = NaN;
        params.b[i] = NaN;
        params.c[i] = NaN;
      }
    }
    if (model === 'rasch' || model === '1pl') se_a.fill(NaN, 0, model === 'rasch' ? nI : 0);

    const mn = new Int32Array(nM);
    const mp = new Float64Array(nM);
    for (let j = 0; j < nM; j++) {
      let s = 0;
      for (let k = bm.offsets[j]; k < bm.offsets[j + 1]; k++) s += bm.value[k];
      mn[j] = bm.offsets[j + 1] - bm.offsets[j];
      mp[j] = mn[j] ? s / mn[j] : NaN;
    }

    phase('item fit, model stats');
    let holdout: FitInfo['holdout'] = null;
    if (hidden) {
      const p = new Float64Array(hidden.cell.length);
      for (let t = 0; t < p.length; t++) {
        const cell = hidden.cell[t];
        const j = Math.floor(cell / nI);
        const i = cell % nI;
        p[t] = Number.isFinite(params.b[i]) ? prob(theta[j], params.a[i], params.b[i], params.c[i]) : 0.5;
      }
      holdout = { share: o.holdout!, seed: o.seed ?? 1, ...heldOutMetrics(p, hidden.y) };
    }

    const nResp = bm.index.length;
    const info: FitInfo = {
      model,
      method,
      loglik,
      loglik_kind: llKind,
      aic: -2 * loglik + 2 * nParams,
      bic: -2 * loglik + nParams * Math.log(nM),
      n_parameters: nParams,
      n_models: nM,
      n_items: nI,
      n_responses: nResp,
      iterations,
      converged,
      last_change: lastChange,
      last_loglik_change: lastLlChange,
      tol: o.tol ?? 1e-4,
      seconds: (performance.now() - t0) / 1000,
      latent_var: latentVar,
      abilities: abilityKind,
      se_method: seMethod,
      em: emKind,
      guessing: o.guessing ?? null,
      priors,
      dropped_items: dropped,
      held_finite: { items: heldItems, models: heldModels, how: heldHow },
      holdout,
      warnings,
    };
    return {
      items: { item: m.items, b: params.b, a: params.a, c: params.c, se_b, se_a, n: variation.n, p_correct: variation.pCorrect, infit, outfit },
      models: { model: m.models, theta, se_theta: thetaSe, n: mn, p_correct: mp },
      info,
    };
  } finally {
    if (!o.runner) await runner.close();
  }
}

function validate(m: ResponseMatrix, o: FitOptions, model: ItemModel, method: Method) {
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
  const n = countObserved(m);
  const perItem = model === '3pl' ? 3 : model === '2pl' ? 2 : 1;
  if (n <= perItem * nI) {
    throw new GradusError(`${n} responses cannot identify ${perItem * nI} item parameters`, `Collect more responses, or fit a simpler model (${option('model')} rasch).`);
  }
}

/** SE of b = −d/a by the delta method: ∂b/∂a = d/a², ∂b/∂d = −1/a. */
function deltaSeB(a: number, d: number, vaa: number, vad: number, vdd: number): number {
  const ga = d / (a * a);
  const gd = -1 / a;
  return Math.sqrt(ga * ga * vaa + 2 * ga * gd * vad + gd * gd * vdd);
}

function invertSmall(info: Float64Array, k: number): Float64Array {
  if (k === 1) return Float64Array.of(1 / info[0]);
  if (k === 2) {
    const det = info[0] * info[3] - info[1] * info[2];
    return Float64Array.of(info[3] / det, -info[1] / det, -info[2] / det, info[0] / det);
  }
  // 3 × 3 by cofactors
  const [a, b, c, d, e, f, g, h, i] = info;
  const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
  const det = a * A + b * B + c * C;
  return Float64Array.of(A / det, -(b * i - c * h) / det, (b * f - c * e) / det, B / det, (a * i - c * g) / det, -(a * f - c * d) / det, C / det, -(a * h - b * g) / det, (a * e - b * d) / det);
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : 'not measured');
