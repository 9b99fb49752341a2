/**
 * Anchor subsets: N items chosen from the calibration data only (the fit's parameters and ability distribution),
 * each with the share of the bank it stands for. `info` spreads Fisher information over the calibration models'
 * ability range; `cluster` is k-means (tinyBenchmarks), here on the items' response curves over that range, with the
 * item nearest each centre; `mixed` takes half its anchors by `info` and the rest by `cluster` (on MATH Level 5 and
 * MuSR it had the lowest error at 100 anchors in 4-fold cross-validation within the calibration models, refitting
 * the 2PL per fold); `stratified` takes equal numbers per difficulty bin; `random` is seeded.
 */
import { GradusError, option } from '../errors.js';
import { permutation, rng } from '../util/rng.js';
import { sigmoid } from '../irt/model.js';
import type { ItemBank } from './bank.js';
import { fisherInfo } from './information.js';

export type SubsetMethod = 'info' | 'mixed' | 'cluster' | 'stratified' | 'random';
export const SUBSET_METHODS: readonly SubsetMethod[] = ['info', 'mixed', 'cluster', 'stratified', 'random'];

export interface Subset {
  /** bank indices */
  items: Int32Array;
  /** share of the bank each anchor stands for; sums to 1 */
  weights: Float64Array;
}

export interface SubsetOptions {
  n: number;
  method?: SubsetMethod;
  seed?: number;
  /** difficulty bin of each bank item (−1 none), for `stratified` */
  bins?: Int32Array;
}

/** Abilities the calibration models span: 9 points over ±2 SD of the fitted ability distribution. */
const SPAN = Float64Array.from({ length: 9 }, (_, k) => -2 + 0.5 * k);

export function selectSubset(bank: ItemBank, o: SubsetOptions): Subset {
  const N = bank.ids.length;
  const method = o.method ?? 'info';
  if (!SUBSET_METHODS.includes(method)) throw new GradusError(`unknown subset method "${method}"`, `${option('method')} is one of ${SUBSET_METHODS.join(', ')}.`);
  if (!Number.isInteger(o.n) || o.n < 1) throw new GradusError(`${option('n')} ${o.n} must be a whole number ≥ 1`, 'Ask for at least one anchor item.');
  if (o.n > N) throw new GradusError(`${option('n')} ${o.n} is larger than the bank (${N} items)`, `Ask for at most ${N} items, or use the whole bank.`);
  const seed = o.seed ?? 1;
  const feats = curveFeatures(bank);
  let items: Int32Array;
  if (method === 'random') items = permutation(N, rng(seed)).slice(0, o.n);
  else if (method === 'stratified') items = stratified(bank, o.n, seed, o.bins);
  else if (method === 'info') items = byInformation(bank, o.n);
  else if (method === 'mixed') items = mixedAnchors(bank, feats, N, o.n, seed);
  else items = kmeansAnchors(feats, N, o.n, seed);
  items = Int32Array.from(items).sort();
  return { items, weights: method === 'random' ? new Float64Array(o.n).fill(1 / o.n) : method === 'stratified' ? stratumWeights(items, o.bins ?? quantileBins(bank.b, o.n)) : nearestShares(feats, N, items) };
}

/** Each item's success probability at the calibration abilities: the space items are compared in. */
function curveFeatures(bank: ItemBank): Float64Array {
  const D = SPAN.length, N = bank.ids.length, sd = Math.sqrt(bank.variance);
  const f = new Float64Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) f[i * D + d] = bank.c[i] + (1 - bank.c[i]) * sigmoid(bank.a[i] * (bank.mean + sd * SPAN[d] - bank.b[i]));
  }
  return f;
}

function dist2(f: Float64Array, i: number, g: Float64Array, k: number): number {
  const D = SPAN.length;
  let s = 0;
  for (let d = 0; d < D; d++) s += (f[i * D + d] - g[k * D + d]) ** 2;
  return s;
}

/** For n ability targets at the midpoint quantiles of the calibration distribution, the most informative unused item. */
function byInformation(bank: ItemBank, n: number): Int32Array {
  const N = bank.ids.length, used = new Uint8Array(N), out = new Int32Array(n), sd = Math.sqrt(bank.variance);
  for (let k = 0; k < n; k++) {
    const t = bank.mean + sd * normalQuantile((k + 0.5) / n);
    let best = -1, bestI = -Infinity;
    for (let i = 0; i < N; i++) {
      if (used[i]) continue;
      const x = fisherInfo(t, bank.a[i], bank.b[i], bank.c[i]);
      if (x > bestI) { bestI = x; best = i; }
    }
    used[best] = 1;
    out[k] = best;
  }
  return out;
}

function kmeansAnchors(f: Float64Array, N: number, n: number, seed: number): Int32Array {
  const D = SPAN.length, r = rng(seed), cent = new Float64Array(n * D), near = new Float64Array(N).fill(Infinity);
  // k-means++ start, then Lloyd steps
  let pick = r.int(N);
  for (let k = 0; k < n; k++) {
    cent.set(f.subarray(pick * D, pick * D + D), k * D);
    let total = 0;
    for (let i = 0; i < N; i++) total += near[i] = Math.min(near[i], dist2(f, i, cent, k));
    if (k + 1 < n) {
      let u = r.next() * total;
      pick = N - 1;
      for (let i = 0; i < N; i++) if ((u -= near[i]) < 0) { pick = i; break; }
    }
  }
  const assign = new Int32Array(N);
  for (let iter = 0; iter < 50; iter++) {
    let moved = 0;
    for (let i = 0; i < N; i++) {
      let best = 0, bd = Infinity;
      for (let k = 0; k < n; k++) { const d = dist2(f, i, cent, k); if (d < bd) { bd = d; best = k; } }
      if (assign[i] !== best || iter === 0) moved++;
      assign[i] = best;
    }
    const size = new Int32Array(n);
    const sum = new Float64Array(n * D);
    for (let i = 0; i < N; i++) { size[assign[i]]++; for (let d = 0; d < D; d++) sum[assign[i] * D + d] += f[i * D + d]; }
    for (let k = 0; k < n; k++) if (size[k]) for (let d = 0; d < D; d++) cent[k * D + d] = sum[k * D + d] / size[k];
    if (!moved) break;
  }
  // the item nearest each centre, each item used once
  const used = new Uint8Array(N), out = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let best = -1, bd = Infinity;
    for (let i = 0; i < N; i++) if (!used[i]) { const d = dist2(f, i, cent, k); if (d < bd) { bd = d; best = i; } }
    used[best] = 1;
    out[k] = best;
  }
  return out;
}

/**
 * Half the anchors by `info`, for θ's precision over the ability range; the rest `cluster` anchors (of a k-means with
 * n centres, in their seeded k-means++ order), for the anchor mean and the residual model, which want anchors that
 * stand for the bank. n cluster anchors always hold n − ⌊n/2⌋ that info did not take.
 */
function mixedAnchors(bank: ItemBank, feats: Float64Array, N: number, n: number, seed: number): Int32Array {
  const chosen = new Set(byInformation(bank, Math.floor(n / 2)));
  for (const i of kmeansAnchors(feats, N, n, seed)) if (chosen.size < n) chosen.add(i);
  return Int32Array.from(chosen);
}

/** Each bank item counts for the anchor whose curve is nearest; an anchor's weight is its share. */
function nearestShares(f: Float64Array, N: number, items: Int32Array): Float64Array {
  const g = new Float64Array(items.length * SPAN.length);
  items.forEach((i, k) => g.set(f.subarray(i * SPAN.length, (i + 1) * SPAN.length), k * SPAN.length));
  const w = new Float64Array(items.length);
  for (let i = 0; i < N; i++) {
    let best = 0, bd = Infinity;
    for (let k = 0; k < items.length; k++) { const d = dist2(f, i, g, k); if (d < bd) { bd = d; best = k; } }
    w[best] += 1 / N;
  }
  return w;
}

function quantileBins(b: Float64Array, n: number): Int32Array {
  const k = Math.max(1, Math.min(10, n));
  const order = Int32Array.from(b.keys()).sort((x, y) => b[x] - b[y] || x - y);
  const out = new Int32Array(b.length);
  order.forEach((i, r) => (out[i] = Math.floor((r * k) / b.length)));
  return out;
}

function stratified(bank: ItemBank, n: number, seed: number, given?: Int32Array): Int32Array {
  const bins = given ?? quantileBins(bank.b, n);
  const groups = new Map<number, number[]>();
  bins.forEach((g, i) => { if (g >= 0) (groups.get(g) ?? groups.set(g, []).get(g)!).push(i); });
  const keys = [...groups.keys()].sort((x, y) => x - y);
  const r = rng(seed);
  const shuffled = keys.map((g) => { const m = groups.get(g)!; return Array.from(permutation(m.length, r), (p) => m[p]); });
  const out: number[] = [];
  // round robin over the bins, so that counts differ by at most one (a small bin gives what it has)
  for (let round = 0; out.length < n; round++) {
    let added = false;
    for (const m of shuffled) if (round < m.length && out.length < n) { out.push(m[round]); added = true; }
    if (!added) throw new GradusError(`the bins hold only ${out.length} items`, `Ask for at most ${out.length} with ${option('n')}.`);
  }
  return Int32Array.from(out);
}

/** Weight of an anchor: its bin's share of the binned bank, split evenly among that bin's anchors. */
function stratumWeights(items: Int32Array, bins: Int32Array): Float64Array {
  const inBin = new Map<number, number>(), picked = new Map<number, number>();
  let total = 0;
  bins.forEach((g) => { if (g >= 0) { inBin.set(g, (inBin.get(g) ?? 0) + 1); total++; } });
  items.forEach((i) => picked.set(bins[i], (picked.get(bins[i]) ?? 0) + 1));
  return Float64Array.from(items, (i) => inBin.get(bins[i])! / total / picked.get(bins[i])!);
}

/** Acklam's rational approximation of the standard normal quantile (relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) { const q = Math.sqrt(-2 * Math.log(p)); return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1); }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
