/**
 * The E-step of Bock–Aitkin EM, in log space. LLM benchmarks give each model thousands of answers:
 * multiplying item probabilities (as mirt and TAM do) underflows past ~1,200 answers, so each model's
 * likelihood on the grid is a sum of logs, normalized by log-sum-exp.
 * Pure function over a range of models, so workers can each take a slice and the sums be added.
 */
import { logSigmoid, sigmoid } from './model.js';

export interface EStepData {
  nItems: number;
  Q: number;
  /** by-model sparse responses */
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
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
 * At leaderboard scale the item tables and the expected counts are ~20 MB each, and each model's answers touch
 * nearly every item: visited model by model, every answer misses the cache twice. So models go in chunks and
 * items in tiles: a chunk's likelihoods are summed tile by tile (one tile of `tab` stays in cache for every model
 * of the chunk), then the posteriors are formed, then scattered into `rn` tile by tile. Each sum still adds its
 * terms in the same order as a plain model-by-model loop, so the results are identical, bit for bit.
 */
const MODEL_CHUNK = 512;
const ITEM_TILE = 256;

export function estep(
  d: EStepData,
  t: EStepTables,
  from: number,
  to: number,
  sums: EStepSums,
  posterior?: { mean: Float64Array; sd: Float64Array; nodes: Float64Array },
  win?: Int32Array,
): void {
  const Q = d.Q;
  const { offsets, index, value, nItems } = d;
  const { tab, logPrior } = t;
  const { rn, nq } = sums;
  const chunk = Math.min(MODEL_CHUNK, Math.max(1, to - from));
  // per model of the chunk: its log-likelihood on the grid, then its posterior weights, in the same slots
  const ll = new Float64Array(chunk * Q);
  const cursor = new Int32Array(chunk);
  const wlo = new Int32Array(chunk);
  const whi = new Int32Array(chunk);
  const lo = new Int32Array(chunk);
  const hi = new Int32Array(chunk);
  let total = 0;
  for (let j0 = from; j0 < to; j0 += chunk) {
    const n = Math.min(chunk, to - j0);
    for (let u = 0; u < n; u++) {
      const j = j0 + u;
      wlo[u] = win ? win[2 * j] : 0;
      whi[u] = win ? win[2 * j + 1] : Q - 1;
      for (let q = wlo[u]; q <= whi[u]; q++) ll[u * Q + q] = logPrior[q];
      cursor[u] = offsets[j];
    }
    for (let i1 = ITEM_TILE; i1 < nItems + ITEM_TILE; i1 += ITEM_TILE) {
      for (let u = 0; u < n; u++) {
        const end = offsets[j0 + u + 1];
        const a = wlo[u];
        const b = whi[u];
        const row = u * Q;
        let k = cursor[u];
        for (; k < end && index[k] < i1; k++) {
          const base = (2 * index[k] + value[k]) * Q;
          for (let q = a; q <= b; q++) ll[row + q] += tab[base + q];
        }
        cursor[u] = k;
      }
    }
    for (let u = 0; u < n; u++) {
      const j = j0 + u;
      const row = u * Q;
      let a = wlo[u];
      let b = whi[u];
      let max = -Infinity;
      for (let q = a; q <= b; q++) if (ll[row + q] > max) max = ll[row + q];
      const edgesLow = (a === 0 || ll[row + a] < max - EDGE_DROP) && (b === Q - 1 || ll[row + b] < max - EDGE_DROP);
      if (!edgesLow) {
        // the window was too narrow: this model again, on the whole grid
        a = 0;
        b = Q - 1;
        for (let q = 0; q < Q; q++) ll[row + q] = logPrior[q];
        for (let k = offsets[j]; k < offsets[j + 1]; k++) {
          const base = (2 * index[k] + value[k]) * Q;
          for (let q = 0; q < Q; q++) ll[row + q] += tab[base + q];
        }
        max = -Infinity;
        for (let q = 0; q < Q; q++) if (ll[row + q] > max) max = ll[row + q];
      }
      let s = 0;
      for (let q = a; q <= b; q++) {
        const e = Math.exp(ll[row + q] - max);
        ll[row + q] = e;
        s += e;
      }
      total += max + Math.log(s);
      const inv = 1 / s;
      let l = b + 1;
      let h = a - 1;
      for (let q = a; q <= b; q++) {
        const w = ll[row + q] * inv;
        ll[row + q] = w;
        nq[q] += w;
        if (w > NEGLIGIBLE) {
          if (q < l) l = q;
          h = q;
        }
      }
      lo[u] = l;
      hi[u] = h;
      if (win) {
        win[2 * j] = Math.max(0, l - WINDOW_MARGIN);
        win[2 * j + 1] = Math.min(Q - 1, h + WINDOW_MARGIN);
      }
      if (posterior) {
        let m1 = 0;
        let m2 = 0;
        for (let q = l; q <= h; q++) {
          m1 += ll[row + q] * posterior.nodes[q];
          m2 += ll[row + q] * posterior.nodes[q] * posterior.nodes[q];
        }
        posterior.mean[j] = m1;
        posterior.sd[j] = Math.sqrt(Math.max(0, m2 - m1 * m1));
      }
      cursor[u] = offsets[j];
    }
    for (let i1 = ITEM_TILE; i1 < nItems + ITEM_TILE; i1 += ITEM_TILE) {
      for (let u = 0; u < n; u++) {
        const end = offsets[j0 + u + 1];
        const l = lo[u];
        const h = hi[u];
        const row = u * Q;
        let k = cursor[u];
        for (; k < end && index[k] < i1; k++) {
          const base = 2 * index[k] * Q;
          if (value[k]) {
            for (let q = l; q <= h; q++) {
              const w = ll[row + q];
              rn[base + q] += w;
              rn[base + Q + q] += w;
            }
          } else for (let q = l; q <= h; q++) rn[base + q] += ll[row + q];
        }
        cursor[u] = k;
      }
    }
  }
  sums.loglik += total;
}

export interface EStepCtx extends EStepData, EStepTables {
  rn: Float64Array;
  nq: Float64Array;
  mean?: Float64Array;
  sd?: Float64Array;
  nodes?: Float64Array;
  /** per-model grid windows (lo, hi), kept between E-steps; absent: the whole grid */
  win?: Int32Array;
}

/** The E-step over models [from, to) into this range's own sums (zeroed first); returns the range's log-likelihood. */
export function estepKernel(c: EStepCtx, from: number, to: number): number {
  c.rn.fill(0);
  c.nq.fill(0);
  const sums: EStepSums = { loglik: 0, rn: c.rn, nq: c.nq };
  estep(c, c, from, to, sums, c.mean && c.sd && c.nodes ? { mean: c.mean, sd: c.sd, nodes: c.nodes } : undefined, c.win);
  return sums.loglik;
}
