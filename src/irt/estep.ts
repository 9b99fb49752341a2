/**
 * The E-step of Bock–Aitkin EM, in log space. LLM benchmarks give each model thousands of answers:
 * multiplying item probabilities (as mirt and TAM do) underflows past ~1,200 answers, so each model's
 * likelihood on the grid is a sum of logs, normalized by log-sum-exp.
 * Pure function over a range of models, so workers can each take a slice and the sums be added.
 */
export interface EStepData {
  nItems: number;
  Q: number;
  /** by-model sparse responses */
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
}

export interface EStepTables {
  /** log P(correct) and log P(wrong) for item i at node q, at [i * Q + q] */
  logP: Float64Array;
  logQ: Float64Array;
  logPrior: Float64Array;
}

export interface EStepSums {
  loglik: number;
  /** expected correct answers and expected answers at each node, per item: [i * Q + q] */
  r: Float64Array;
  n: Float64Array;
  /** expected number of models at each node (for the latent distribution) */
  nq: Float64Array;
}

export function newSums(nItems: number, Q: number): EStepSums {
  return { loglik: 0, r: new Float64Array(nItems * Q), n: new Float64Array(nItems * Q), nq: new Float64Array(Q) };
}

/** Posterior weights below this share of the largest add nothing measurable and are skipped in the scatter. */
const NEGLIGIBLE = 1e-15;

export function estep(
  d: EStepData,
  t: EStepTables,
  from: number,
  to: number,
  sums: EStepSums,
  posterior?: { mean: Float64Array; sd: Float64Array; nodes: Float64Array },
): void {
  const Q = d.Q;
  const ll = new Float64Array(Q);
  const post = new Float64Array(Q);
  const { offsets, index, value } = d;
  const { logP, logQ, logPrior } = t;
  const { r, n, nq } = sums;
  let total = 0;
  for (let j = from; j < to; j++) {
    const k0 = offsets[j];
    const k1 = offsets[j + 1];
    ll.set(logPrior);
    for (let k = k0; k < k1; k++) {
      const base = index[k] * Q;
      const tab = value[k] === 1 ? logP : logQ;
      for (let q = 0; q < Q; q++) ll[q] += tab[base + q];
    }
    let max = -Infinity;
    for (let q = 0; q < Q; q++) if (ll[q] > max) max = ll[q];
    let s = 0;
    for (let q = 0; q < Q; q++) {
      const e = Math.exp(ll[q] - max);
      post[q] = e;
      s += e;
    }
    total += max + Math.log(s);
    const inv = 1 / s;
    let lo = Q;
    let hi = -1;
    for (let q = 0; q < Q; q++) {
      const w = post[q] * inv;
      post[q] = w;
      nq[q] += w;
      if (w > NEGLIGIBLE) {
        if (q < lo) lo = q;
        hi = q;
      }
    }
    if (posterior) {
      let m1 = 0;
      let m2 = 0;
      for (let q = 0; q < Q; q++) {
        m1 += post[q] * posterior.nodes[q];
        m2 += post[q] * posterior.nodes[q] * posterior.nodes[q];
      }
      posterior.mean[j] = m1;
      posterior.sd[j] = Math.sqrt(Math.max(0, m2 - m1 * m1));
    }
    for (let k = k0; k < k1; k++) {
      const base = index[k] * Q;
      if (value[k] === 1) {
        for (let q = lo; q <= hi; q++) {
          n[base + q] += post[q];
          r[base + q] += post[q];
        }
      } else {
        for (let q = lo; q <= hi; q++) n[base + q] += post[q];
      }
    }
  }
  sums.loglik += total;
}

export interface EStepCtx extends EStepData, EStepTables {
  r: Float64Array;
  n: Float64Array;
  nq: Float64Array;
  mean?: Float64Array;
  sd?: Float64Array;
  nodes?: Float64Array;
}

/** The E-step over models [from, to) into this range's own sums (zeroed first); returns the range's log-likelihood. */
export function estepKernel(c: EStepCtx, from: number, to: number): number {
  c.r.fill(0);
  c.n.fill(0);
  c.nq.fill(0);
  const sums: EStepSums = { loglik: 0, r: c.r, n: c.n, nq: c.nq };
  estep(c, c, from, to, sums, c.mean && c.sd && c.nodes ? { mean: c.mean, sd: c.sd, nodes: c.nodes } : undefined);
  return sums.loglik;
}
