/** Rank statistics with ties, as scipy computes them: average ranks, Spearman's rho, Kendall's tau-b. */

export function averageRanks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(n);
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && x[order[e + 1]] === x[order[s]]) e++;
    const mid = (s + e) / 2 + 1;
    for (let t = s; t <= e; t++) r[order[t]] = mid;
    s = e + 1;
  }
  return r;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0, my = 0;
  for (let k = 0; k < n; k++) {
    mx += x[k];
    my += y[k];
  }
  mx /= n;
  my /= n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < n; k++) {
    const a = x[k] - mx;
    const b = y[k] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's tau-b in O(n log n) (Knight 1966): joint sort, then merge sort counting exchanges. */
export function kendallTauB(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  if (n < 2) return NaN;
  const idx = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => x[a] - x[b] || y[a] - y[b]);
  const n0 = (n * (n - 1)) / 2;
  let n1 = 0; // pairs tied in x
  let n3 = 0; // pairs tied in x and y
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && x[idx[e + 1]] === x[idx[s]]) e++;
    const t = e - s + 1;
    n1 += (t * (t - 1)) / 2;
    for (let u = s; u <= e; ) {
      let v = u;
      while (v + 1 <= e && y[idx[v + 1]] === y[idx[u]]) v++;
      const w = v - u + 1;
      n3 += (w * (w - 1)) / 2;
      u = v + 1;
    }
    s = e + 1;
  }
  const ys = Float64Array.from(idx, (k) => y[k]);
  const swaps = mergeCount(ys, new Float64Array(n), 0, n);
  let n2 = 0; // pairs tied in y (ys is now sorted)
  for (let s = 0; s < n; ) {
    let e = s;
    while (e + 1 < n && ys[e + 1] === ys[s]) e++;
    const t = e - s + 1;
    n2 += (t * (t - 1)) / 2;
    s = e + 1;
  }
  const denom = Math.sqrt((n0 - n1) * (n0 - n2));
  return denom > 0 ? (n0 - n1 - n2 + n3 - 2 * swaps) / denom : NaN;
}

/** Sorts a[lo, hi) and returns the number of strictly inverted pairs. */
function mergeCount(a: Float64Array, tmp: Float64Array, lo: number, hi: number): number {
  if (hi - lo < 2) return 0;
  const mid = (lo + hi) >> 1;
  let count = mergeCount(a, tmp, lo, mid) + mergeCount(a, tmp, mid, hi);
  let i = lo, j = mid, k = lo;
  while (i < mid && j < hi) {
    if (a[j] < a[i]) {
      count += mid - i;
      tmp[k++] = a[j++];
    } else tmp[k++] = a[i++];
  }
  while (i < mid) tmp[k++] = a[i++];
  while (j < hi) tmp[k++] = a[j++];
  for (let t = lo; t < hi; t++) a[t] = tmp[t];
  return count;
}

export function quantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (!n) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}
