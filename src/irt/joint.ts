/**
 * Joint estimation: θ for every model and item parameters together, by alternating one Fisher-scoring step
 * for every item (θ fixed) and one Newton step for every model (items fixed).
 * - jml: joint maximum likelihood. Models and items without variation have no finite estimate: they sit out the
 *   iterations and are estimated afterwards against the fitted rest with an extreme-score adjustment (jointSetup.ts).
 *   Rasch difficulties get the usual (L − 1)/L bias correction. The scale is pinned to θ mean 0 (and sd 1 for 2pl/3pl).
 * - map: joint MAP with the priors of MAP_PRIORS (the py-irt way): every estimate is finite and nothing sits out.
 *   The priors alone do not pin the scale: the likelihood is unchanged by (θ·s, a/s), and the θ prior pulls s below 1
 *   (slopes came out ~1.9× too large in a probe, after ~500 slow sweeps). So, as for jml, θ is standardized after
 *   every sweep, and the priors only keep estimates finite.
 */
import { byItem, byModel, type ResponseMatrix, type SparseView } from '../responses/matrix.js';
import { balancedRanges, f64, u8 } from '../parallel/shared.js';
import { serialRunner, type Runner } from '../parallel/runner.js';
import { invertSpd } from '../util/linalg.js';
import { phase } from '../util/phase.js';
import { largestMoves, type Estimate, type Moving } from './estimate.js';
import { JOINT_ITEM_INFO, JOINT_ITEMS, JOINT_MODEL_INFO, JOINT_MODELS, jointLoglik, type JointCtx } from './jointKernels.js';
import { fitExtremeItem, fitExtremeModel, sitOutExtremes, startValues } from './jointSetup.js';
import { sigmoid, type ItemModel } from './model.js';
import { extremeIndices, itemVariation } from './variation.js';
import { DEFAULTS, heldFiniteText, MAP_PRIORS, PLATEAU_CYCLES, PLATEAU_PARAM, priorsText, SLOPE_BOUND } from './priors.js';
import { ChangeTrail } from './changeTrail.js';

export interface JointOptions {
  model: ItemModel;
  method: 'jml' | 'map';
  tol?: number;
  maxIter?: number;
  guessing?: number;
  onIteration?: (it: number, loglik: number, change: number) => void;
}

/** The state of one joint fit: the kernels' context and what the driver's steps share. */
interface Work {
  o: JointOptions;
  ctx: JointCtx;
  bm: SparseView;
  bi: SparseView;
  /** one slope for all items (rasch, 1pl), and whether it is estimated (1pl) */
  common: boolean;
  commonA: boolean;
  itemRanges: Array<[number, number]>;
  modelRanges: Array<[number, number]>;
}

interface Sweeps {
  iterations: number;
  converged: boolean;
  lastChange: number;
  lastLoglikChange: number;
  loglik: number;
  plateau: boolean;
  moving: Moving[];
  contraction: number;
}

export async function fitJoint(m: ResponseMatrix, o: JointOptions, views?: { bm: SparseView; bi: SparseView }, runner: Runner = serialRunner): Promise<Estimate> {
  const w = setUp(m, o, views?.bm ?? byModel(m), views?.bi ?? byItem(m), runner);
  const c = w.ctx;
  const models = { view: w.bm, ranges: w.modelRanges };
  const items = { view: w.bi, ranges: w.itemRanges };
  const counts = c.isMap ? undefined : await sitOutExtremes(models, items, c.activeM, c.activeI, runner);
  await startValues(models, items, c, runner, counts);
  if (o.model === '3pl') {
    // The 3pl's joint objective has poor local optima: from the plain start values MATH ended with a joint
    // log-likelihood 16,000 below the 2pl's and a held-out AUC of 0.73. Started from the 2pl's joint fit (with
    // the same method), and c small, it climbs from a point that already fits.
    const two = await fitJoint(m, { model: '2pl', method: o.method, tol: Math.max(o.tol ?? DEFAULTS.tol, 1e-3), maxIter: 200 }, { bm: w.bm, bi: w.bi }, runner);
    c.a.set(two.a);
    c.d.set(two.d);
    c.theta.set(two.theta);
    if (c.freeG) c.g.fill(logit(0.05));
  }
  phase('joint: extremes and start values');
  const sweeps = await sweep(w, runner);
  phase(`joint: ${sweeps.iterations} sweeps`);
  const held = c.isMap ? { items: extremeIndices(itemVariation(m, w.bi).extreme), models: [] as number[] } : finishSatOut(w);
  phase('joint: final log-likelihood, extremes');
  return { ...(await standardErrors(w, runner)), ...sweeps, ...describe(w, held, m.models.length) };
}

function setUp(m: ResponseMatrix, o: JointOptions, bm: SparseView, bi: SparseView, runner: Runner): Work {
  const nM = m.models.length;
  const nI = m.items.length;
  const common = o.model === 'rasch' || o.model === '1pl';
  const ctx: JointCtx = {
    biOff: bi.offsets, biIdx: bi.index, biVal: bi.value,
    bmOff: bm.offsets, bmIdx: bm.index, bmVal: bm.value,
    a: f64(nI).fill(1),
    d: f64(nI),
    g: f64(nI).fill(o.model === '3pl' ? logit(o.guessing ?? 5 / 22) : -Infinity),
    theta: f64(nM),
    activeI: u8(nI).fill(1),
    activeM: u8(nM).fill(1),
    common, eInv: f64(common ? nM : 0), fInv: f64(common ? nI : 0),
    freeA: o.model === '2pl' || o.model === '3pl',
    freeG: o.model === '3pl' && o.guessing === undefined,
    is3pl: o.model === '3pl',
    isMap: o.method === 'map',
    wantLL: false,
    itemLl: f64(nI),
    step: true,
    ...MAP_PRIORS,
  };
  return { o, ctx, bm, bi, common, commonA: o.model === '1pl', itemRanges: balancedRanges(bi.offsets, runner.size), modelRanges: balancedRanges(bm.offsets, runner.size) };
}

/** The common-slope kernels' tables at the current θ (eInv) and d (fInv). */
function tabulateE(c: JointCtx): void {
  for (let j = 0; j < c.theta.length; j++) c.eInv[j] = Math.exp(-c.a[0] * c.theta[j]);
}
function tabulateF(c: JointCtx): void {
  for (let i = 0; i < c.d.length; i++) c.fInv[i] = Math.exp(-c.d[i]);
}

/** Item and model sweeps until nothing moves more than tol and the joint log-likelihood settles. */
async function sweep(w: Work, runner: Runner): Promise<Sweeps> {
  const c = w.ctx;
  const tol = w.o.tol ?? DEFAULTS.tol;
  const maxIter = w.o.maxIter ?? DEFAULTS.maxIterJoint;
  const prev = { a: new Float64Array(c.a.length), d: new Float64Array(c.d.length), g: new Float64Array(c.g.length), theta: new Float64Array(c.theta.length) };
  const out: Sweeps = { iterations: 0, converged: false, lastChange: Infinity, lastLoglikChange: Infinity, loglik: -Infinity, plateau: false, moving: [], contraction: NaN };
  const trail = new ChangeTrail();
  const tolLl = DEFAULTS.tolJointLoglikPerModel * Math.max(1, c.theta.length);
  pinScale(w);
  let damp = false;
  let flat = 0;
  while (out.iterations < maxIter) {
    out.iterations++;
    prev.a.set(c.a);
    prev.d.set(c.d);
    prev.g.set(c.g);
    prev.theta.set(c.theta);
    // The log-likelihood adds to a sweep's cost: it is computed once the parameters are nearly still.
    c.wantLL = out.lastChange < 100 * tol;
    if (w.common) tabulateE(c);
    await runner.run(JOINT_ITEMS, w.itemRanges, () => c);
    const ll = c.wantLL ? jointLoglik(c) : -Infinity;
    if (w.commonA) updateCommonSlope(w);
    if (w.common) tabulateF(c);
    await runner.run(JOINT_MODELS, w.modelRanges, () => c);
    pinScale(w);
    if (damp || (w.o.model === '3pl' && out.iterations > 10)) halfStep(c, prev);
    // judged on where the sweep left the parameters, after the scale is pinned again
    // Only the active parameters count: those sitting out are moved by pinScale alone, and are estimated afresh after.
    const change = Math.max(maxDiff(c.a, prev.a, c.activeI), maxDiff(c.d, prev.d, c.activeI), c.freeG ? maxDiff(c.g, prev.g, c.activeI) : 0, maxDiff(c.theta, prev.theta, c.activeM));
    // sweeps that stop contracting turn damping on for the rest of the fit
    if (out.iterations > 20 && change > 0.5 * out.lastChange) damp = true;
    out.lastLoglikChange = Number.isFinite(ll) && Number.isFinite(out.loglik) ? Math.abs(ll - out.loglik) : Infinity;
    out.loglik = ll;
    out.lastChange = change;
    trail.push(change);
    w.o.onIteration?.(out.iterations, ll, change);
    if (change < tol && out.lastLoglikChange < tolLl) {
      out.converged = true;
      break;
    }
    // a plateau (see PLATEAU_CYCLES): the joint log-likelihood settled while parameters creep along a ridge
    flat = out.lastLoglikChange < tolLl && change < PLATEAU_PARAM * tol ? flat + 1 : 0;
    if (flat >= PLATEAU_CYCLES) {
      out.converged = out.plateau = true;
      break;
    }
  }
  out.moving = itemMoves(c, prev);
  if (!out.converged) out.contraction = trail.contraction();
  // The log-likelihood where the sweeps stopped. After convergence the last sweep's value (taken before a step
  // smaller than tol) stands; otherwise one more pass measures it.
  if (!out.converged || !Number.isFinite(out.loglik)) {
    c.wantLL = true;
    c.step = false;
    if (w.common) tabulateE(c);
    await runner.run(JOINT_ITEMS, w.itemRanges, () => c);
    out.loglik = jointLoglik(c);
    c.step = true;
  }
  return out;
}

/**
 * The sweeps can settle into a 2-cycle: the 3pl's priors pull against the pinned scale, and items that separate
 * the models perfectly have a flat likelihood between two models' θ. Half steps (averaging with the previous
 * sweep) damp it out without moving the fixed point.
 */
function halfStep(c: JointCtx, prev: { a: Float64Array; d: Float64Array; g: Float64Array; theta: Float64Array }): void {
  for (let i = 0; i < c.a.length; i++) {
    c.a[i] = (c.a[i] + prev.a[i]) / 2;
    c.d[i] = (c.d[i] + prev.d[i]) / 2;
    if (c.freeG) c.g[i] = (c.g[i] + prev.g[i]) / 2;
  }
  for (let j = 0; j < c.theta.length; j++) c.theta[j] = (c.theta[j] + prev.theta[j]) / 2;
}

/** 1pl: one Newton step for the common slope against all active answers. */
function updateCommonSlope(w: Work): void {
  const { a, d, theta, activeI, activeM } = w.ctx;
  const bi = w.bi;
  let gr = 0;
  let h = 0;
  for (let i = 0; i < a.length; i++) {
    if (!activeI[i]) continue;
    for (let kk = bi.offsets[i]; kk < bi.offsets[i + 1]; kk++) {
      const j = bi.index[kk];
      if (!activeM[j]) continue;
      const P = sigmoid(a[i] * theta[j] + d[i]);
      gr += (bi.value[kk] - P) * theta[j];
      h += P * (1 - P) * theta[j] * theta[j];
    }
  }
  if (w.ctx.isMap) {
    const la = Math.log(a[0]);
    gr -= la / (MAP_PRIORS.logASd ** 2 * a[0]);
    h += 1 / (MAP_PRIORS.logASd ** 2 * a[0] * a[0]);
  }
  const step = Math.max(-0.5, Math.min(0.5, gr / Math.max(h, 1e-12)));
  a.fill(Math.max(0.05, a[0] + step));
}

/** θ mean 0 over active models (and sd 1 where slopes are free or common), items moved to match. */
function pinScale(w: Work): void {
  const { a, d, theta, activeM } = w.ctx;
  let n = 0;
  let s1 = 0;
  let s2 = 0;
  for (let j = 0; j < theta.length; j++)
    if (activeM[j]) {
      n++;
      s1 += theta[j];
      s2 += theta[j] * theta[j];
    }
  if (!n) return;
  const mean = s1 / n;
  const sd = w.ctx.freeA || w.commonA ? Math.sqrt(Math.max(s2 / n - mean * mean, 1e-12)) : 1;
  for (let j = 0; j < theta.length; j++) theta[j] = (theta[j] - mean) / sd;
  // z = aθ + d = (a·sd)θ' + (d + a·mean)
  for (let i = 0; i < a.length; i++) {
    d[i] += a[i] * mean;
    a[i] = Math.min(SLOPE_BOUND, a[i] * sd);
  }
}

/** jml: the Rasch bias correction, then the rows that sat out, against the fitted rest. */
function finishSatOut(w: Work): { items: number[]; models: number[] } {
  const c = w.ctx;
  const nI = c.a.length;
  // Rasch JML bias correction on difficulties b = −d/a: multiply by (L − 1)/L.
  if (w.o.model === 'rasch') {
    let L = 0;
    for (let i = 0; i < nI; i++) L += c.activeI[i];
    if (L > 1) for (let i = 0; i < nI; i++) if (c.activeI[i]) c.d[i] *= (L - 1) / L;
  }
  const items: number[] = [];
  const models: number[] = [];
  for (let i = 0; i < nI; i++) if (!c.activeI[i] && w.bi.offsets[i + 1] > w.bi.offsets[i]) items.push(i);
  for (let j = 0; j < c.theta.length; j++) if (!c.activeM[j]) models.push(j);
  for (const i of items) fitExtremeItem(w.bi, c, i);
  for (const j of models) fitExtremeModel(w.bm, c, j);
  return { items, models };
}

/** θ's SE against all items, and each item's (a, d) covariance from its Fisher information given θ. */
async function standardErrors(w: Work, runner: Runner): Promise<Pick<Estimate, 'a' | 'd' | 'g' | 'theta' | 'thetaSe' | 'varA' | 'covAD' | 'varD'>> {
  const c = w.ctx;
  const nI = c.a.length;
  const thetaSe = f64(c.theta.length);
  if (w.common) {
    // the final θ and d, extremes and bias correction included
    tabulateE(c);
    tabulateF(c);
  }
  await runner.run(JOINT_MODEL_INFO, w.modelRanges, () => ({ ...c, thetaSe }));
  const k = (c.freeA ? 1 : 0) + 1 + (c.freeG ? 1 : 0);
  const info = f64(nI * k * k);
  await runner.run(JOINT_ITEM_INFO, w.itemRanges, () => ({ ...c, info, k }));
  const varA = new Float64Array(nI).fill(NaN);
  const covAD = new Float64Array(nI);
  const varD = new Float64Array(nI).fill(NaN);
  const dIdx = c.freeA ? 1 : 0;
  for (let i = 0; i < nI; i++) {
    const inv = invertSpd(info.subarray(i * k * k, (i + 1) * k * k), k);
    if (!inv) continue;
    varD[i] = inv[dIdx * k + dIdx];
    if (c.freeA) {
      varA[i] = inv[0];
      covAD[i] = inv[1];
    }
  }
  phase('joint: standard errors');
  return { a: Float64Array.from(c.a), d: Float64Array.from(c.d), g: Float64Array.from(c.g), theta: Float64Array.from(c.theta), thetaSe, varA, covAD, varD };
}

/** The words and counts of the Estimate (what was held finite and how, the priors, the parameter count). */
function describe(w: Work, held: { items: number[]; models: number[] }, nM: number): Pick<Estimate, 'thetaKind' | 'seMethod' | 'loglikKind' | 'latentVar' | 'nParameters' | 'priors' | 'held' | 'em' | 'warnings'> {
  const { o, ctx: c } = w;
  const k = (c.freeA ? 1 : 0) + 1 + (c.freeG ? 1 : 0);
  const nI = c.a.length;
  const warnings = !c.isMap && o.model === 'rasch' ? ['Rasch JML difficulties carry the (L − 1)/L bias correction.'] : [];
  let how = '';
  if (!c.isMap) how = heldFiniteText(o.model, o.method);
  const items = held.items;
  if (c.isMap && items.length) how = heldFiniteText(o.model, o.method);
  return {
    thetaKind: `${o.method} (the joint estimate)`,
    seMethod: 'inverse Fisher information of each item given the fitted abilities (per-item blocks)',
    loglikKind: 'joint',
    latentVar: 1,
    nParameters: nI * k + (o.model === '1pl' ? 1 : 0) + nM,
    priors: priorsText(o.model, o.method, o.guessing !== undefined),
    held: { items, models: held.models, how },
    em: null,
    warnings,
  };
}

/** The largest moves of the last sweep, by item and parameter. */
function itemMoves(c: JointCtx, prev: { a: Float64Array; d: Float64Array; g: Float64Array }): Moving[] {
  const out: Moving[] = [];
  for (let i = 0; i < c.a.length; i++) {
    if (!c.activeI[i]) continue;
    out.push({ item: i, parameter: 'a', change: Math.abs(c.a[i] - prev.a[i]) }, { item: i, parameter: 'd', change: Math.abs(c.d[i] - prev.d[i]) });
    if (c.freeG) out.push({ item: i, parameter: 'logit c', change: Math.abs(c.g[i] - prev.g[i]) });
  }
  return largestMoves(out);
}

function maxDiff(x: Float64Array, y: Float64Array, active: Uint8Array): number {
  let m = 0;
  for (let k = 0; k < x.length; k++) {
    if (!active[k]) continue;
    const v = Math.abs(x[k] - y[k]);
    if (v > m) m = v;
  }
  return m;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}
