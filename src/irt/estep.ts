/**
 * The E-step of Bock–Aitkin EM, in log space. LLM benchmarks give each model thousands of answers:
 * multiplying item probabilities (as mirt and TAM do) underflows past ~1,200 answers, so each model's
 * likelihood on the grid is a sum of logs, normalized by log-sum-exp.
 * Two pure kernels, so that workers can share the work and the sums still come out the same whatever their number:
 * the posteriors, model by model (any range of models), then the expected counts, item by item (any range of
 * items), each item's counts added over its models in model order. The few sums over all models (log-likelihood,
 * expected models per node) are added on the calling thread, in model order. So a fit gives the same bits on 1 or
 * 16 threads, the bits the plain one-model-after-another E-step gives.
 */
import type { Kernel } from '../parallel/runner.js';
import { f64, i32 } from '../parallel/shared.js';
import { logSigmoid, sigmoid } from './model.js';

export interface EStepData {
  nItems: number;
  Q: number;
  /** by-model sparse responses */
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
}

/** The same responses by item (models ascending within an item), for the scatter into the expected counts. */
export interface ByItem {
  iOffsets: Int32Array;
  iIndex: Int32Array | Uint16Array;
  iValue: Uint8Array;
}

/** Each model's posterior on the grid, written by the posterior kernel and read by the scatter and the sums. */
export interface Posteriors {
  /** posterior weights of model j at [j·Q + q], set inside its window */
  w: Float64Array;
  /** per model at [4j]: the window (first, last point) and the points within it whose weight is not negligible */
  span: Int32Array;
  /** per model: its log marginal likelihood */
  ll: Float64Array;
}

export interface PosteriorMoments {
  mean: Float64Array;
  sd: Float64Array;
  nodes: Float64Array;
}

export interface EStepTables {
  /** log P(wrong) at [2i·Q + q] and log P(correct) at [(2i + 1)·Q + q]: one array, so the answer picks the row without a branch */
  tab: Float64Array;
  logPrior: Float64Array;
}

export interface EStepSums {
  loglik: number;
  /** expected answers at node q for item i at [2i·Q + q], expected correct answers at [(2i + 1)·Q + q] */
  rn: Float64Array;
  /** expected number of models at each node (for the latent distribution) */
  nq: Float64Array;
}

export function newSums(nItems: number, Q: number): EStepSums {
  return { loglik: 0, rn: new Float64Array(2 * nItems * Q), nq: new Float64Array(Q) };
}

export const nOffset = (i: number, Q: number) => 2 * i * Q;
export const rOffset = (i: number, Q: number) => (2 * i + 1) * Q;

/** Item i's two rows of the E-step table: log P(wrong) and log P(correct) at each node, for z = aθ + d and guessing c. */
export function fillItemRows(tab: Float64Array, i: number, nodes: Float64Array, a: number, d: number, c: number): void {
  const Q = nodes.length;
  const w = nOffset(i, Q);
  const r = rOffset(i, Q);
  for (let q = 0; q < Q; q++) {
    const z = a * nodes[q] + d;
    if (c === 0) {
      tab[r + q] = logSigmoid(z);
      tab[w + q] = logSigmoid(-z);
    } else {
      const P = c + (1 - c) * sigmoid(z);
      tab[r + q] = Math.log(P);
      tab[w + q] = Math.log1p(-P);
    }
  }
}

/** Posterior weights below this share of the largest add nothing measurable and are skipped in the scatter. */
const NEGLIGIBLE = 1e-15;

/**
 * With thousands of answers a model's posterior covers a few grid points, so each model keeps a window of points
 * from the last E-step (its significant points, widened by WINDOW_MARGIN) and the likelihood is summed only there.
 * The window is trusted only if the log-posterior at both of its edges lies EDGE_DROP below the peak; the logistic
 * models' posterior is log-concave, so everything beyond is lower still. Otherwise the model is redone on the whole grid.
 */
const WINDOW_MARGIN = 3;
const EDGE_DROP = 40;

/**
 * At leaderboard scale the item tables are ~20 MB, and each model's answers touch nearly every item: visited model
 * by model, every answer misses the cache. So models go in chunks and items in tiles: a chunk's likelihoods are
 * summed tile by tile (one tile of `tab` stays in cache for every model of the chunk). Each sum still adds its
 * terms in the same order as a plain model-by-model loop, so the results are identical, bit for bit.
 */
const MODEL_CHUNK = 512;
const ITEM_TILE = 256;

export function newPosteriors(nModels: number, Q: number): Posteriors {
  return { w: f64(nModels * Q), span: i32(4 * nModels), ll: f64(nModels) };
}

/** Adds model j's answers on grid points a..b to its row of log-likelihoods (answers from `k` up to index `until`); returns where it stopped. */
function addAnswers(d: EStepData, tab: Float64Array, j: number, k: number, until: number, r: number, a: number, b: number, w: Float64Array): number {
  const { offsets, index, value, Q } = d;
  const end = offsets[j + 1];
  for (; k < end && index[k] < until; k++) {
    const base = (2 * index[k] + value[k]) * Q;
    for (let q = a; q <= b; q++) w[r + q] += tab[base + q];
  }
  return k;
}

/**
 * The posterior of each model in [from, to): its log-likelihood on the grid (within its window, see WINDOW_MARGIN),
 * normalized by log-sum-exp into weights in p.w, its window in p.span and its log marginal likelihood in p.ll.
 */
export function posteriors(d: EStepData, t: EStepTables, p: Posteriors, from: number, to: number, moments?: PosteriorMoments, win?: Int32Array): void {
  const { Q, nItems, offsets } = d;
  const { tab, logPrior } = t;
  const { w, span } = p;
  const chunk = Math.min(MODEL_CHUNK, Math.max(1, to - from));
  const cursor = new Int32Array(chunk);
  for (let j0 = from; j0 < to; j0 += chunk) {
    const n = Math.min(chunk, to - j0);
    for (let j = j0; j < j0 + n; j++) {
      span[4 * j] = win ? win[2 * j] : 0;
      span[4 * j + 1] = win ? win[2 * j + 1] : Q - 1;
      for (let q = span[4 * j]; q <= span[4 * j + 1]; q++) w[j * Q + q] = logPrior[q];
      cursor[j - j0] = offsets[j];
    }
    for (let i1 = ITEM_TILE; i1 < nItems + ITEM_TILE; i1 += ITEM_TILE) {
      for (let j = j0; j < j0 + n; j++) cursor[j - j0] = addAnswers(d, tab, j, cursor[j - j0], i1, j * Q, span[4 * j], span[4 * j + 1], w);
    }
    for (let j = j0; j < j0 + n; j++) normalize(d, t, p, j, moments, win);
  }
}

/** Model j's log-likelihood row into posterior weights (redone on the whole grid when its window was too narrow). */
function normalize(d: EStepData, t: EStepTables, p: Posteriors, j: number, moments?: PosteriorMoments, win?: Int32Array): void {
  const Q = d.Q;
  const { w, span } = p;
  const row = j * Q;
  let a = span[4 * j];
  let b = span[4 * j + 1];
  let max = -Infinity;
  for (let q = a; q <= b; q++) if (w[row + q] > max) max = w[row + q];
  const edgesLow = (a === 0 || w[row + a] < max - EDGE_DROP) && (b === Q - 1 || w[row + b] < max - EDGE_DROP);
  if (!edgesLow) {
    // the window was too narrow: this model again, on the whole grid
    a = 0;
    b = Q - 1;
    for (let q = 0; q < Q; q++) w[row + q] = t.logPrior[q];
    addAnswers(d, t.tab, j, d.offsets[j], Infinity, row, 0, Q - 1, w);
    max = -Infinity;
    for (let q = 0; q < Q; q++) if (w[row + q] > max) max = w[row + q];
  }
  let s = 0;
  for (let q = a; q <= b; q++) {
    const e = Math.exp(w[row + q] - max);
    w[row + q] = e;
    s += e;
  }
  p.ll[j] = max + Math.log(s);
  const inv = 1 / s;
  let l = b + 1;
  let h = a - 1;
  for (let q = a; q <= b; q++) {
    const x = w[row + q] * inv;
    w[row + q] = x;
    if (x > NEGLIGIBLE) {
      if (q < l) l = q;
      h = q;
    }
  }
  span[4 * j] = a;
  span[4 * j + 1] = b;
  span[4 * j + 2] = l;
  span[4 * j + 3] = h;
  if (win) {
    win[2 * j] = Math.max(0, l - WINDOW_MARGIN);
    win[2 * j + 1] = Math.min(Q - 1, h + WINDOW_MARGIN);
  }
  if (moments) {
    let m1 = 0;
    let m2 = 0;
    for (let q = l; q <= h; q++) {
      m1 += w[row + q] * moments.nodes[q];
      m2 += w[row + q] * moments.nodes[q] * moments.nodes[q];
    }
    moments.mean[j] = m1;
    moments.sd[j] = Math.sqrt(Math.max(0, m2 - m1 * m1));
  }
}

/** The sums over models, in model order: expected models per node into nq; returns the log marginal likelihood. */
export function sumModels(p: Posteriors, Q: number, nModels: number, nq: Float64Array): number {
  let total = 0;
  for (let j = 0; j < nModels; j++) {
    total += p.ll[j];
    const row = j * Q;
    for (let q = p.span[4 * j]; q <= p.span[4 * j + 1]; q++) nq[q] += p.w[row + q];
  }
  return total;
}

/** Expected answers and expected right answers of items [from, to) at each node: each item's models in model order. */
export function scatter(v: ByItem, p: Posteriors, Q: number, rn: Float64Array, from: number, to: number): void {
  const { iOffsets, iIndex, iValue } = v;
  const { w, span } = p;
  for (let i = from; i < to; i++) {
    const base = 2 * i * Q;
    rn.fill(0, base, base + 2 * Q);
    for (let k = iOffsets[i]; k < iOffsets[i + 1]; k++) {
      const j = iIndex[k];
      const l = span[4 * j + 2];
      const h = span[4 * j + 3];
      const row = j * Q;
      if (iValue[k]) {
        for (let q = l; q <= h; q++) {
          const x = w[row + q];
          rn[base + q] += x;
          rn[base + Q + q] += x;
        }
      } else for (let q = l; q <= h; q++) rn[base + q] += w[row + q];
    }
  }
}

/** The whole E-step on this thread (abilities, tests); without `byItem` the expected counts are not formed. */
export function estep(d: EStepData, t: EStepTables, byItem: ByItem | null, moments?: PosteriorMoments, win?: Int32Array): EStepSums {
  const nM = d.offsets.length - 1;
  const p = newPosteriors(nM, d.Q);
  posteriors(d, t, p, 0, nM, moments, win);
  const sums = newSums(byItem ? d.nItems : 0, d.Q);
  sums.loglik = sumModels(p, d.Q, nM, sums.nq);
  if (byItem) scatter(byItem, p, d.Q, sums.rn, 0, d.nItems);
  return sums;
}

export interface PosteriorsCtx extends EStepData, EStepTables, Posteriors {
  mean?: Float64Array;
  sd?: Float64Array;
  nodes?: Float64Array;
  /** per-model grid windows (lo, hi), kept between E-steps; absent: the whole grid */
  win?: Int32Array;
}

export interface ScatterCtx extends ByItem, Posteriors {
  Q: number;
  rn: Float64Array;
}

export const ESTEP_POSTERIORS: Kernel<PosteriorsCtx, number> = {
  name: 'estepPosteriors',
  run: (c, from, to) => {
    posteriors(c, c, c, from, to, c.mean && c.sd && c.nodes ? { mean: c.mean, sd: c.sd, nodes: c.nodes } : undefined, c.win);
    return 0;
  },
};

export const ESTEP_SCATTER: Kernel<ScatterCtx, number> = {
  name: 'estepScatter',
  run: (c, from, to) => {
    scatter(c, c, c.Q, c.rn, from, to);
    return 0;
  },
};

export interface TablesCtx {
  tab: Float64Array;
  nodes: Float64Array;
  a: Float64Array;
  d: Float64Array;
  /** logit of c; −Infinity for c = 0 */
  g: Float64Array;
}

/** The item rows of the E-step table for items [from, to): each item's rows depend on it alone, so any split gives the same bits. */
export const ESTEP_TABLES: Kernel<TablesCtx, number> = {
  name: 'estepTables',
  run: (c, from, to) => {
    for (let i = from; i < to; i++) fillItemRows(c.tab, i, c.nodes, c.a[i], c.d[i], c.g[i] === -Infinity ? 0 : sigmoid(c.g[i]));
    return 0;
  },
};
