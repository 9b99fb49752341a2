/**
 * Item infit and outfit mean squares over observed responses only (missing answers are simply absent:
 * mirt's itemfit refuses missing data; these do not need to).
 * outfit = mean of z² over the item's answers, infit = Σ (x − P)² / Σ P(1 − P).
 */
import type { Kernel } from '../parallel/runner.js';
import { prob } from './model.js';

export interface ItemFitCtx {
  offsets: Int32Array;
  index: Int32Array | Uint16Array;
  value: Uint8Array;
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  theta: Float64Array;
  infit: Float64Array;
  outfit: Float64Array;
  /** set when every item has the same slope a and c = 0: exp(−a·θ_j) per model, so P = 1 / (1 + eInv_j·exp(a·b_i)) costs no exp per answer */
  eInv?: Float64Array;
}

/** infit and outfit of items [from, to); a kernel so the pool can spread it. */
function itemFitKernel(x: ItemFitCtx, from: number, to: number): number {
  const { offsets, index, value, a, b, c, theta, infit, outfit, eInv } = x;
  for (let i = from; i < to; i++) {
    infit[i] = NaN;
    outfit[i] = NaN;
    let n = 0;
    let z2 = 0;
    let num = 0;
    let den = 0;
    const fi = eInv ? Math.exp(a[i] * b[i]) : 0;
    for (let k = offsets[i]; k < offsets[i + 1]; k++) {
      const P = eInv ? 1 / (1 + eInv[index[k]] * fi) : prob(theta[index[k]], a[i], b[i], c[i]);
      const v = P * (1 - P);
      if (!(v > 1e-12)) continue;
      const res = value[k] - P;
      n++;
      z2 += (res * res) / v;
      num += res * res;
      den += v;
    }
    if (n) {
      outfit[i] = z2 / n;
      infit[i] = num / den;
    }
  }
  return 0;
}

export const ITEM_FIT: Kernel<ItemFitCtx, number> = { name: 'itemFit', run: itemFitKernel };

/** Held-out scoring as py-irt papers report it: mean log-loss, accuracy at 0.5, and ROC AUC. */
export function heldOutMetrics(p: Float64Array, y: Uint8Array): { n: number; logloss: number; accuracy: number; auc: number } {
  const n = p.length;
  let ll = 0;
  let acc = 0;
  for (let k = 0; k < n; k++) {
    const q = Math.min(Math.max(p[k], 1e-15), 1 - 1e-15);
    ll -= y[k] ? Math.log(q) : Math.log(1 - q);
    if ((p[k] >= 0.5 ? 1 : 0) === y[k]) acc++;
  }
  return { n, logloss: n ? ll / n : NaN, accuracy: n ? acc / n : NaN, auc: auc(p, y) };
}

/** ROC AUC by ranks, ties sharing their mean rank (Mann–Whitney). */
export function auc(p: Float64Array, y: Uint8Array): number {
  const n = p.length;
  const order = Int32Array.from({ length: n }, (_, k) => k).sort((u, v) => p[u] - p[v]);
  let pos = 0;
  let rankSum = 0;
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && p[order[e + 1]] === p[order[s]]) e++;
    const mid = (s + e) / 2 + 1;
    for (let t = s; t <= e; t++) if (y[order[t]]) {
      pos++;
      rankSum += mid;
    }
    s = e + 1;
  }
  const neg = n - pos;
  if (!pos || !neg) return NaN;
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}
