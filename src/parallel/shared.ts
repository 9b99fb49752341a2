/** Typed arrays on SharedArrayBuffers: posted to a worker they are shared, not copied. */
export function f64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(Math.max(1, n) * 8)).subarray(0, n);
}
export function i32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(Math.max(1, n) * 4)).subarray(0, n);
}
export function u16(n: number): Uint16Array {
  return new Uint16Array(new SharedArrayBuffer(Math.max(1, n) * 2)).subarray(0, n);
}
export function u8(n: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(Math.max(1, n))).subarray(0, n);
}
export function sharedCopy<T extends Float64Array | Uint8Array | Int32Array>(a: T): T {
  const out = (a instanceof Float64Array ? f64(a.length) : a instanceof Int32Array ? i32(a.length) : u8(a.length)) as T;
  out.set(a as never);
  return out;
}

/** Split rows 0..n into `parts` ranges of about equal work, work measured by CSR offsets. */
export function balancedRanges(offsets: Int32Array, parts: number): Array<[number, number]> {
  const n = offsets.length - 1;
  const total = offsets[n];
  const out: Array<[number, number]> = [];
  let from = 0;
  for (let p = 1; p <= parts && from < n; p++) {
    let to = from;
    const target = (total * p) / parts;
    while (to < n && (offsets[to] < target || to === from)) to++;
    if (p === parts) to = n;
    out.push([from, to]);
    from = to;
  }
  return out;
}

/** Split rows 0..n into `parts` ranges of about equal length (for rows that cost the same). */
export function evenRanges(n: number, parts: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let p = 0; p < parts; p++) {
    const from = Math.floor((n * p) / parts);
    const to = Math.floor((n * (p + 1)) / parts);
    if (to > from) out.push([from, to]);
  }
  return out;
}
