/**
 * Natural order for ids ("item2" before "item10"), written out rather than left to Intl.Collator
 * so that the order, and hence every output file, is the same on every machine and ICU version.
 */
export function naturalCompare(a: string, b: string): number {
  return compareRuns(runs(a), runs(b), a, b);
}

/** An id cut into runs of digits and of other characters. */
function runs(s: string): string[] {
  return s.match(/\d+|\D+/g) ?? [];
}

function compareRuns(ra: string[], rb: string[], a: string, b: string): number {
  const n = Math.min(ra.length, rb.length);
  for (let k = 0; k < n; k++) {
    const x = ra[k];
    const y = rb[k];
    if (x === y) continue;
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (dx && dy) {
      const sx = x.replace(/^0+/, '');
      const sy = y.replace(/^0+/, '');
      if (sx.length !== sy.length) return sx.length - sy.length;
      if (sx !== sy) return sx < sy ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The distinct ids in natural order; each id is cut into runs once, not once per comparison (21,000 item ids). */
export function sortNatural(ids: Iterable<string>): string[] {
  const keyed = Array.from(new Set(ids), (id) => ({ id, runs: runs(id) }));
  keyed.sort((p, q) => compareRuns(p.runs, q.runs, p.id, q.id));
  return keyed.map((k) => k.id);
}
