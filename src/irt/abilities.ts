/**
 * Abilities of models against fixed item parameters: EAP (posterior mean on the grid, in log space), MAP
 * (posterior mode under N(mean, var)), ML (finite for perfect and zero scores through a 0.3-point extreme-score
 * adjustment, as Winsteps does) and WLE (Warm's weighted likelihood, finite by construction). Each with its SE.
 */
import type { SparseView } from '../responses/matrix.js';
import { estep, fillItemRows } from './estep.js';
import { itemPoint, newItemPoint, type ItemParams } from './model.js';
import { grid, logNormalWeights } from './quadrature.js';

export type AbilityMethod = 'eap' | 'map' | 'ml' | 'wle';
export const ABILITY_METHODS: readonly AbilityMethod[] = ['eap', 'map', 'ml', 'wle'];

export interface Abilities {
  theta: Float64Array;
  se: Float64Array;
}

export interface AbilityOptions {
  method: AbilityMethod;
  mean?: number;
  variance?: number;
  quadpts?: number;
  /** items to leave out (e.g. dropped by the fit) */
  skipItem?: Uint8Array;
}

const EXTREME_ADJ = 0.3;

export function abilities(sp: SparseView, items: ItemParams, o: AbilityOptions): Abilities {
  const nM = sp.offsets.length - 1;
  const theta = new Float64Array(nM);
  const se = new Float64Array(nM);
  if (o.method === 'eap') {
    const nI = items.a.length;
    const Q = o.quadpts ?? 61;
    const nodes = grid(Q, 6);
    const tab = new Float64Array(2 * nI * Q);
    for (let i = 0; i < nI; i++) {
      if (!o.skipItem?.[i]) fillItemRows(tab, i, nodes, items.a[i], -items.a[i] * items.b[i], items.c[i]);
    }
    estep({ nItems: nI, Q, offsets: sp.offsets, index: sp.index, value: sp.value }, { tab, logPrior: logNormalWeights(nodes, o.mean ?? 0, o.variance ?? 1) }, null, { mean: theta, sd: se, nodes });
    return { theta, se };
  }
  for (let j = 0; j < nM; j++) {
    const r = oneAbility(sp, j, items, o);
    theta[j] = r.theta;
    se[j] = r.se;
  }
  return { theta, se };
}

function oneAbility(sp: SparseView, j: number, it: ItemParams, o: AbilityOptions): { theta: number; se: number } {
  const k0 = sp.offsets[j];
  const k1 = sp.offsets[j + 1];
  const mean = o.mean ?? 0;
  const variance = o.variance ?? 1;
  let idx = sp.index.subarray(k0, k1);
  let y: ArrayLike<number> = sp.value.subarray(k0, k1);
  if (o.skipItem) {
    const keep: number[] = [];
    for (let k = 0; k < idx.length; k++) if (!o.skipItem[idx[k]]) keep.push(k);
    y = Float64Array.from(keep, (k) => y[k]);
    idx = Int32Array.from(keep, (k) => idx[k]);
  }
  const n = idx.length;
  if (n === 0) return { theta: mean, se: Math.sqrt(variance) };
  let right = 0;
  let sumA = 0;
  for (let k = 0; k < n; k++) {
    right += y[k];
    sumA += it.a[idx[k]];
  }
  const meanA = sumA / n;
  // ML for a perfect (zero) score has no finite root: aim at a score 0.3 answers short of it instead.
  const shift = o.method === 'ml' ? (right === n ? -EXTREME_ADJ * meanA : right === 0 ? EXTREME_ADJ * meanA : 0) : 0;
  const start = o.method === 'map' ? mean : Math.log((right + 0.5) / (n - right + 0.5));
  return modalAbility(it, idx, y, { method: o.method as ModalMethod, mean, variance, shift, start });
}

export type ModalMethod = 'ml' | 'map' | 'wle';

export interface ModalOptions {
  method: ModalMethod;
  /** the prior N(mean, variance) of MAP */
  mean: number;
  variance: number;
  /** added to the estimating equation (ML's extreme-score adjustment) */
  shift?: number;
  start?: number;
  /** the bracket θ stays in */
  bound?: number;
}

/**
 * One model's θ from its answers `y[k]` (1/0, or a share) to items `idx[k]`: the root of the estimating equation
 * f(θ) = score (ML), + the prior's (MAP), + Warm's J/(2I) (WLE), which decreases in θ; solved by Newton steps kept
 * inside a shrinking bracket. Its SE is 1/√I, except WLE's (below).
 */
export function modalAbility(it: ItemParams, idx: ArrayLike<number>, y: ArrayLike<number>, o: ModalOptions): { theta: number; se: number } {
  const n = idx.length;
  const pt = newItemPoint();
  const evalAt = (t: number) => {
    let f = o.shift ?? 0;
    let info = 0;
    let J = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      const a = it.a[i];
      const { s, P, pq, dz } = itemPoint(a * (t - it.b[i]), it.c[i], pt);
      const dP = a * dz;
      f += ((y[k] - P) * dP) / pq;
      info += (dP * dP) / pq;
      // Warm's correction term: J = Σ P'·P''/(PQ)
      const d2P = a * dP * (1 - 2 * s);
      J += (dP * d2P) / pq;
    }
    if (o.method === 'map') {
      f -= (t - o.mean) / o.variance;
      info += 1 / o.variance;
    }
    if (o.method === 'wle') f += J / (2 * Math.max(info, 1e-300));
    return { f, info };
  };
  const bound = o.bound ?? 10;
  let lo = -bound;
  let hi = bound;
  let t = Math.max(lo + 1, Math.min(hi - 1, o.start ?? o.mean));
  for (let iter = 0; iter < 100; iter++) {
    const { f, info } = evalAt(t);
    if (f > 0) lo = t;
    else hi = t;
    let next = t + f / Math.max(info, 1e-12);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - t) < 1e-10) {
      t = next;
      break;
    }
    t = next;
  }
  const { info } = evalAt(t);
  if (o.method === 'wle') {
    // As mirt: the SE from the curvature of the weighted likelihood itself, −d/dθ of the weighted score (Warm's
    // correction included), not 1/√I, which overstates it by up to 14% on short tests (LSAT7).
    const h = 1e-5 * Math.max(1, Math.abs(t));
    const curv = -(evalAt(t + h).f - evalAt(t - h).f) / (2 * h);
    if (curv > 0) return { theta: t, se: 1 / Math.sqrt(curv) };
  }
  return { theta: t, se: 1 / Math.sqrt(Math.max(info, 1e-300)) };
}
