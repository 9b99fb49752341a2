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
  const ll = new Float64Array(Q);
  const post = new Float64Array(Q);
  const { offsets, index, value } = d;
  const { tab, logPrior } = t;
  const { rn, nq } = sums;
  let total = 0;
  for (let j = from; j < to; j++) {
    const k0 = offsets[j];
    const k1 = offsets[j + 1];
    let wlo = win ? win[2 * j] : 0;
    let whi = win ? win[2 * j + 1] : Q - 1;
    let max = -Infinity;
    for (;;) {
      for (let q = wlo; q <= whi; q++) ll[q] = logPrior[q];
      for (let k = k0; k < k1; k++) {
        const base = (2 * index[k] + value[k]) * Q;
        for (let q = wlo; q <= whi; q++) ll[q] += tab[base + q];
      }
      max = -Infinity;
      for (let q = wlo; q <= whi; q++) if (ll[q] > max) max = ll[q];
      const edgesLow = (wlo === 0 || ll[wlo] < max - EDGE_DROP) && (whi === Q - 1 || ll[whi] < max - EDGE_DROP);
      if (edgesLow || (wlo === 0 && whi === Q - 1)) break;
      wlo = 0;
      whi = Q - 1;
    }
    let s = 0;
    for (let q = wlo; q <= whi; q++) {
      const e = Math.exp(ll[q] - max);
      post[q] = e;
      s += e;
    }
    total += max + Math.log(s);
    const inv = 1 / s;
    let lo = whi + 1;
    let hi = wlo - 1;
    for (let q = wlo; q <= whi; q++) {
      const w = post[q] * inv;
      post[q] = w;
      nq[q] += w;
      if (w > NEGLIGIBLE) {
        if (q < lo) lo = q;
        hi = q;
      }
    }
    if (win) {
      win[2 * j] = Math.max(0, lo - WINDOW_MARGIN);
      win[2 * j + 1] = Math.min(Q - 1, hi + WINDOW_MARGIN);
    }
    if (posterior) {
      let m1 = 0;
      let m2 = 0;
      for (let q = lo; q <= hi; q++) {
        m1 += post[q] * posterior.nodes[q];
        m2 += post[q] * posterior.nodes[q] * posterior.nodes[q];
      }
      posterior.mean[j] = m1;
      posterior.sd[j] = Math.sqrt(Math.max(0, m2 - m1 * m1));
    }
    for (let k = k0; k < k1; k++) {
      const base = 2 * index[k] * Q;
      const x = value[k];
      for (let q = lo; q <= hi; q++) {
        rn[base + q] += post[q];
        rn[base + Q + q] += x * post[q];
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
