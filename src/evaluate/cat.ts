/**
 * `runCat`: computerized adaptive testing over a Responder. Each step picks an unused item (MFI, KL or random, with
 * randomesque exposure control and content balancing), asks it, updates θ and its SE, and stops (after the minimum
 * length) at the SE target or once θ's uncertainty no longer moves the full-bank accuracy by more than the accuracy
 * target, at the maximum length, or when the model's usable items run out. The accuracy rule serves whoever wants
 * the accuracy, not θ, to a precision: θ's SE says little about it where the bank's mean curve is flat (a weak
 * model on MATH Level 5 is surely near 0 with a wide SE) and much where it is steep. ML and WLE start
 * from the Bayes-modal estimate and take over only once the answers are mixed, so θ is never infinite early.
 * Start anchors (`startAnchors`), when given, are asked first, in their order, whatever the stop rules say.
 * An item is asked at most once per model: it leaves the usable set before it is asked. Steps replayed from a
 * previous run (`resume`) rebuild the state without asking again.
 */
import { GradusError, option, type Place } from '../errors.js';
import { permutation, rng } from '../util/rng.js';
import { addToPosterior, eapFrom, estimateTheta, mixed, posteriorWeights, priorGrid, type Answers, type Estimator, type ThetaEstimate } from './ability.js';
import type { ItemBank } from './bank.js';
import { bankCurves, type BankCurves } from './curves.js';
import { predictAccuracy } from './accuracy.js';
import { modelRows, type BinAssignment, type BinEstimateRow, type EstimateRow } from './estimate.js';
import type { Responder } from './responder.js';
import { selectNext, type Balance, type Selection } from './select.js';
import { anchorMean, fitCorrection, probability, residualCarry, subsetWeights, type Correction } from './correction.js';
import type { Subset } from './subset.js';
import { replayResponder } from './responder.js';
import { MISSING, subsetMatrix, type ResponseMatrix } from '../responses/matrix.js';
import { ConditionedResiduals, learnResidualCorrelation, type ResidualCorrelation } from './residualCorrelation.js';

export interface CatOptions {
  select?: Selection;
  /** θ at which the first item is chosen */
  start?: number;
  estimator?: Estimator;
  stopSe?: number;
  /**
   * stop once θ's uncertainty moves the full-bank accuracy by at most ± this (1.96 × the SD of the expected score
   * over θ's posterior); 0: off
   */
  stopAccuracy?: number;
  minItems?: number;
  maxItems?: number;
  randomesque?: number;
  balance?: Balance;
  bins?: BinAssignment;
  seed?: number;
  /**
   * starting items (catR's start items, mirtCAT's preCAT): anchors asked first, in their order, before adaptive
   * selection; their weighted mean enters the accuracy by the correction's λ blend, as in `estimate`
   */
  startAnchors?: Subset;
  /**
   * the calibration models' residual correlations (learnResidualCorrelation), for `select: 'accuracy'`: its item
   * choice and the kriged residuals in its accuracy; without them the residuals are taken as independent
   */
  correlation?: ResidualCorrelation;
}

export const CAT_DEFAULTS = { select: 'mfi', start: 0, estimator: 'eap', stopSe: 0.2, stopAccuracy: 0, minItems: 10, maxItems: 100, randomesque: 1, seed: 1 } as const;

export interface CatStep {
  model: string;
  step: number;
  item: number;
  correct: number;
  theta: number;
  se_theta: number;
}

export type StopReason = 'se' | 'accuracy' | 'max-items' | 'bank';

export interface CatHooks {
  /** steps already taken per model (bank index, answer), from an earlier run */
  resume?: ReadonlyMap<string, ReadonlyArray<{ item: number; correct: number }>>;
  onStep?(s: CatStep): void;
  onModel?(model: string, stop: StopReason, resumed: number): void;
}

export interface CatResult {
  rows: EstimateRow[];
  binRows: BinEstimateRow[];
  /** per model: why it stopped, after how many items, the SE then, and the uncorrected SD of the accuracy */
  stops: Array<{ model: string; stop: StopReason; n: number; se_theta: number; sd_accuracy: number }>;
}

function modelSeed(seed: number, model: string, step: number): number {
  let h = 2166136261 ^ seed;
  for (let k = 0; k < model.length; k++) h = Math.imul(h ^ model.charCodeAt(k), 16777619);
  return (Math.imul(h ^ step, 2654435761) >>> 0);
}

/** Options a test cannot run with; `place` names where the start anchors came from. */
export function checkCatOptions(options: CatOptions, place?: Place): void {
  const o = { ...CAT_DEFAULTS, ...options };
  for (const [name, v] of [['stopSe', o.stopSe], ['stopAccuracy', o.stopAccuracy]] as const) {
    if (!(v >= 0)) throw new GradusError(`${option(name)} ${v} must be a number ≥ 0`, `Give a target ≥ 0 (0 turns that stop rule off).`);
  }
  const anchors = o.startAnchors?.items.length ?? 0;
  if (anchors > o.maxItems) {
    throw new GradusError(`${anchors} start anchors but at most ${o.maxItems} items per model`, `Raise ${option('maxItems')} above the anchors' count, or make a smaller subset: the anchors' mean stands for the bank only when all are asked.`, place);
  }
}

export async function runCat(bank: ItemBank, responder: Responder, options: CatOptions & { correction?: Correction } = {}, hooks: CatHooks = {}): Promise<CatResult> {
  checkCatOptions(options);
  const o = { ...CAT_DEFAULTS, ...options };
  const curves = bankCurves(bank, o.bins?.bin, o.bins?.k ?? 0);
  const whole = o.stopAccuracy > 0 ? (o.bins ? bankCurves(bank) : curves) : undefined;
  const out: CatResult = { rows: [], binRows: [], stops: [] };
  const weights = o.startAnchors ? subsetWeights(bank, o.startAnchors) : undefined;
  // one conditioned copy of the correlations for every model in turn
  const scratch = o.select === 'accuracy' && o.correlation ? new Float64Array(o.correlation.R.length) : undefined;
  for (const model of responder.models) {
    const { ans, est, stop, resumed, kriged } = await oneModel(bank, responder, model, o, hooks, whole, curves, scratch);
    const r = modelRows(model, bank, curves, ans, o.estimator, { correction: o.correction, kriged }, weights, ans.n ? est : undefined);
    out.rows.push(r.row);
    out.binRows.push(...r.bins);
    out.stops.push({ model, stop, n: ans.n, se_theta: r.row.se_theta, sd_accuracy: r.sd });
    hooks.onModel?.(model, stop, resumed);
  }
  return out;
}

type Settled = Required<Omit<CatOptions, 'balance' | 'bins' | 'startAnchors' | 'correlation'>> & Pick<CatOptions, 'balance' | 'bins' | 'startAnchors' | 'correlation'>;

/** Whether θ's uncertainty no longer moves the whole-bank accuracy by more than ± the target (95%). */
function accuracySettled(bank: ItemBank, curves: BankCurves, ans: Answers, est: ThetaEstimate, target: number): boolean {
  return 1.96 * predictAccuracy(bank, curves, ans, est).sdTheta[0] <= target;
}

async function oneModel(bank: ItemBank, responder: Responder, model: string, o: Settled, hooks: CatHooks, whole: BankCurves | undefined, curves: BankCurves, scratch?: Float64Array) {
  const N = bank.ids.length;
  const usable = responder.available(model)?.slice() ?? new Uint8Array(N).fill(1);
  const cap = Math.min(o.maxItems, N);
  const ans: Answers = { idx: new Int32Array(cap), y: new Uint8Array(cap), n: 0 };
  const logPost = priorGrid(bank);
  const weights = new Float64Array(logPost.length);
  const asked = o.balance ? new Int32Array(o.balance.share.length) : undefined;
  let est: ThetaEstimate = { theta: o.start, se: Math.sqrt(bank.variance), fallback: false };
  const residuals = o.select === 'accuracy' ? new ConditionedResiduals(bank, o.correlation, scratch) : undefined;
  const gains = residuals ? new Float64Array(N) : undefined;
  const record = (i: number, y: number) => {
    usable[i] = 0;
    ans.idx[ans.n] = i;
    ans.y[ans.n++] = y;
    addToPosterior(logPost, bank, i, y);
    if (asked && o.balance!.groupOf[i] >= 0) asked[o.balance!.groupOf[i]]++;
    // Bayes first: ML and WLE only once the pattern is mixed
    const method = o.estimator === 'eap' ? 'eap' : (o.estimator === 'ml' || o.estimator === 'wle') && !mixed(ans) ? 'map' : o.estimator;
    est = method === 'eap' ? eapFrom(logPost) : estimateTheta(bank, ans, method);
    residuals?.condition(i, est.theta);
  };
  const before = hooks.resume?.get(model) ?? [];
  for (const s of before.slice(0, cap)) record(s.item, s.correct);
  let stop: StopReason = 'bank';
  const first = o.startAnchors?.items ?? new Int32Array(0);
  let next = 0;
  for (;;) {
    // the start anchors are asked before any stop rule but the length may end the test, so that their mean stands
    // for the bank
    while (next < first.length && !usable[first[next]]) next++;
    const free = ans.n >= o.minItems && next >= first.length;
    if (ans.n >= o.maxItems) { stop = 'max-items'; break; }
    if (free && est.se <= o.stopSe) { stop = 'se'; break; }
    if (whole && free && accuracySettled(bank, whole, ans, est, o.stopAccuracy)) { stop = 'accuracy'; break; }
    if (residuals && next >= first.length) residuals.gains(est.theta, est.se, usable, gains!);
    const i = next < first.length ? first[next] : selectNext(bank, { usable, theta: est.theta, weights: o.select === 'kl' ? posteriorWeights(logPost, weights) : undefined, gains, asked, n: ans.n }, o.select, rng(modelSeed(o.seed, model, ans.n)), o.randomesque, o.balance);
    if (i < 0) break;
    usable[i] = 0;
    const y = await responder.ask(model, i);
    record(i, y ? 1 : 0);
    hooks.onStep?.({ model, step: ans.n, item: i, correct: y ? 1 : 0, theta: est.theta, se_theta: est.se });
  }
  if (o.estimator !== 'eap' && ans.n) est = estimateTheta(bank, ans, o.estimator);
  return { ans, est, stop, resumed: before.length, kriged: residuals && ans.n ? residuals.kriged(ans, est.theta, curves.rows > 1 ? curves.binRow : undefined, curves.rows) : undefined };
}

/**
 * The test replayed on calibration models. Residual correlations learned on the models replayed would know their
 * answers: with `accuracy` selection each of CROSS_FOLDS folds is replayed under correlations learned on the others
 * (independent residuals for a fold whose others are too few to learn them from).
 */
const CROSS_FOLDS = 5;

async function replays(bank: ItemBank, cal: ResponseMatrix, options: CatOptions, asked: Map<string, number[]>): Promise<CatResult> {
  const hooks: CatHooks = { onStep: (s) => (asked.get(s.model) ?? asked.set(s.model, []).get(s.model)!).push(s.item) };
  const o = { ...options, bins: undefined };
  if (o.select !== 'accuracy' || !o.correlation) return runCat(bank, replayResponder(bank, cal), o, hooks);
  const all = [...cal.items.keys()], M = cal.models.length;
  const out: CatResult = { rows: new Array(M), binRows: [], stops: new Array(M) };
  for (let f = 0; f < CROSS_FOLDS; f++) {
    const held = [...cal.models.keys()].filter((m) => m % CROSS_FOLDS === f);
    if (!held.length) continue;
    const rest = subsetMatrix(cal, [...cal.models.keys()].filter((m) => m % CROSS_FOLDS !== f), all);
    const correlation = learnResidualCorrelation(bank, rest, o.correlation.shrink);
    const r = await runCat(bank, replayResponder(bank, subsetMatrix(cal, held, all)), { ...o, correlation }, hooks);
    held.forEach((m, k) => { out.rows[m] = r.rows[k]; out.stops[m] = r.stops[k]; });
  }
  return out;
}

/**
 * Adaptive testing's correction, from the same test replayed on (up to `sample`) calibration models, whose whole-bank
 * accuracy is known. The items a CAT picks are not a sample of the bank, so there is no anchor blend (λ = 1) but for
 * start anchors, whose weighted mean is blended by λ as `estimate` blends a subset's; then (at λ = 1) γ, the share of
 * a model's residual on the asked items (mean y − P(θ̂)) that carries to the rest, by least squares, then the
 * residual model (residualModel.ts) on what is left, its features the residuals on the items that at least
 * FEATURE_SHARE of the replays asked (a CAT from one start asks much the same items of models of like ability, so
 * those recur; a rarer item has too few rows to learn a weight from, and its residual stays in γ's mean). κ as for
 * anchor subsets.
 */
const FEATURE_SHARE = 0.1;

export async function learnCatCorrection(bank: ItemBank, calibration: ResponseMatrix, options: CatOptions = {}, sample = 1000): Promise<Correction> {
  const J = calibration.items.length;
  const col = calibration.items.map((id) => bank.index.get(id) ?? -1);
  const full = [...calibration.models.keys()].filter((m) => {
    let seen = 0;
    for (let j = 0; j < J; j++) if (col[j] >= 0 && calibration.data[m * J + j] !== MISSING) seen++;
    return seen >= bank.ids.length / 2;
  });
  const pick = full.length <= sample ? full : Array.from(permutation(full.length, rng(options.seed ?? 1)).slice(0, sample), (k) => full[k]).sort((x, y) => x - y);
  const cal = subsetMatrix(calibration, pick, [...calibration.items.keys()]);
  const calCol = new Int32Array(bank.ids.length);
  col.forEach((i, j) => { if (i >= 0) calCol[i] = j; });
  const asked = new Map<string, number[]>();
  const r = await replays(bank, cal, options, asked);
  const weightOf = options.startAnchors ? subsetWeights(bank, options.startAnchors) : undefined;
  const truth: number[] = [], irt: number[] = [], anchors: number[] = [], variance: number[] = [], carry: number[] = [], residuals: Array<{ idx: Int32Array; d: Float64Array }> = [];
  r.rows.forEach((row, m) => {
    let right = 0, seen = 0;
    for (let j = 0; j < J; j++) {
      const v = cal.data[m * J + j];
      if (col[j] >= 0 && v !== MISSING) { seen++; right += v; }
    }
    if (!row.n_answered) return;
    const idx = Int32Array.from(asked.get(row.model)!);
    const y = Uint8Array.from(idx, (i) => cal.data[m * J + calCol[i]]);
    truth.push(right / seen);
    irt.push(row.accuracy);
    variance.push(r.stops[m].sd_accuracy ** 2);
    carry.push(residualCarry(bank, { idx, y, n: idx.length }, row.theta));
    const mean = weightOf ? anchorMean({ idx, y, n: idx.length }, weightOf) : NaN;
    if (weightOf) anchors.push(Number.isFinite(mean) ? mean : row.accuracy);
    residuals.push({ idx, d: Float64Array.from(idx, (i, k) => y[k] - probability(bank, i, row.theta)) });
  });
  const times = new Int32Array(bank.ids.length);
  for (const steps of asked.values()) for (const i of steps) times[i]++;
  const features = Int32Array.from(times.keys()).filter((i) => times[i] >= FEATURE_SHARE * truth.length);
  const X = new Float64Array(truth.length * features.length);
  const slot = new Int32Array(bank.ids.length).fill(-1);
  features.forEach((i, f) => (slot[i] = f));
  residuals.forEach(({ idx, d }, k) => idx.forEach((i, s) => { if (slot[i] >= 0) X[k * features.length + slot[i]] = d[s]; }));
  const c = fitCorrection(truth, irt, anchors, variance, carry, { X, p: features.length });
  if (c.residual) {
    const w = new Float64Array(bank.ids.length);
    features.forEach((i, f) => (w[i] = c.residual![f]));
    c.residual = w;
  }
  return c;
}
