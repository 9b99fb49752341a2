/**
 * Difficulty bins, as the study cut each benchmark: K equal-size bins by difficulty (bin 0 the easiest), or
 * equal-width bins, or bins at given edges; and within each bin a seeded share of held-out test items.
 */
import { GradusError, option } from '../errors.js';
import { naturalCompare } from '../util/natural.js';
import { permutation, rng } from '../util/rng.js';

export type BinBy = 'quantile' | 'width';

export interface BinOptions {
  k?: number;
  by?: BinBy;
  /** inner edges on the difficulty scale (K − 1 increasing numbers); overrides k and by */
  edges?: number[];
  testFraction?: number;
  seed?: number;
  /** bin within each group (e.g. subtask) separately */
  groupOf?: (item: string) => string;
}

export interface DifficultyInput {
  item: readonly string[];
  difficulty: ArrayLike<number>;
  /** −1: everyone got it right (easiest whatever its estimate), +1: everyone got it wrong (hardest), 0 otherwise */
  tier?: ArrayLike<number>;
}

export interface BinRow {
  item: string;
  difficulty: number;
  bin: number;
  split: 'train' | 'test';
  group?: string;
}

export function makeBins(d: DifficultyInput, o: BinOptions = {}): BinRow[] {
  const k = o.edges ? o.edges.length + 1 : (o.k ?? 10);
  const by = o.by ?? 'quantile';
  const frac = o.testFraction ?? 0.2;
  const seed = o.seed ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new GradusError(`${option('k')} ${k} must be a whole number ≥ 1`, `Give the number of bins, e.g. ${option('k')} 10.`);
  if (!(frac > 0 && frac < 1)) throw new GradusError(`${option('testFraction')} ${frac} is not a share in (0, 1)`, `Give the share of each bin held out for testing, e.g. ${option('testFraction')} 0.2.`);
  if (o.edges) {
    for (let e = 1; e < o.edges.length; e++) {
      if (!(o.edges[e] > o.edges[e - 1])) throw new GradusError(`${option('edges')} must increase; ${o.edges[e - 1]} is followed by ${o.edges[e]}`, `Give increasing inner edges, e.g. ${option('edges')} -1,0,1 for 4 bins.`);
    }
  }
  const groups = new Map<string, number[]>();
  d.item.forEach((id, i) => {
    const g = o.groupOf ? o.groupOf(id) : '';
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(i);
  });
  const rows: BinRow[] = new Array(d.item.length);
  const tier = (i: number) => (d.tier ? d.tier[i] : 0);
  const groupNames = [...groups.keys()].sort(naturalCompare);
  groupNames.forEach((g, gi) => {
    const members = groups.get(g)!;
    if (!o.edges && by === 'quantile' && k > members.length) {
      throw new GradusError(
        `${option('k')} ${k} is larger than the ${members.length} items${g ? ` of group "${g}"` : ''}`,
        'Use fewer bins than items (equal-size bins need at least one item each).',
      );
    }
    // hardest last; ties broken by item id so every machine agrees
    const order = members.slice().sort((a, b) => tier(a) - tier(b) || d.difficulty[a] - d.difficulty[b] || naturalCompare(d.item[a], d.item[b]));
    const bin = new Int32Array(d.item.length);
    if (o.edges) {
      for (const i of order) {
        bin[i] = tier(i) < 0 ? 0 : tier(i) > 0 ? k - 1 : o.edges.filter((e) => d.difficulty[i] >= e).length;
      }
    } else if (by === 'quantile') {
      order.forEach((i, r) => (bin[i] = Math.floor((r * k) / order.length)));
    } else {
      let lo = Infinity;
      let hi = -Infinity;
      for (const i of members) {
        lo = Math.min(lo, d.difficulty[i]);
        hi = Math.max(hi, d.difficulty[i]);
      }
      const w = (hi - lo) / k;
      for (const i of members) {
        bin[i] = tier(i) < 0 ? 0 : tier(i) > 0 ? k - 1 : w > 0 ? Math.min(k - 1, Math.floor((d.difficulty[i] - lo) / w)) : 0;
      }
    }
    // held-out test items: per bin, a seeded shuffle of the bin's items in id order
    for (let b = 0; b < k; b++) {
      const inBin = members.filter((i) => bin[i] === b).sort((x, y) => naturalCompare(d.item[x], d.item[y]));
      let nTest = Math.round(frac * inBin.length);
      if (inBin.length >= 2) nTest = Math.min(inBin.length - 1, Math.max(1, nTest));
      const perm = permutation(inBin.length, rng(seed * 1_000_003 + gi * 1009 + b));
      const test = new Set(Array.from(perm.slice(0, nTest), (p) => inBin[p]));
      for (const i of inBin) {
        rows[i] = { item: d.item[i], difficulty: d.difficulty[i], bin: b, split: test.has(i) ? 'test' : 'train', ...(o.groupOf ? { group: g } : {}) };
      }
    }
  });
  return rows;
}

export interface BinSummary {
  group?: string;
  bin: number;
  items: number;
  test: number;
  difficulty_min: number;
  difficulty_max: number;
}

/** Per bin (and group): how many items, how many held out, and the difficulty range; in group, then bin order. */
export function summarizeBins(rows: readonly BinRow[]): BinSummary[] {
  const byBin = new Map<string, BinSummary>();
  for (const r of rows) {
    const key = `${r.group ?? ''}\u0000${r.bin}`;
    const s = byBin.get(key) ?? { ...(r.group !== undefined ? { group: r.group } : {}), bin: r.bin, items: 0, test: 0, difficulty_min: Infinity, difficulty_max: -Infinity };
    s.items++;
    if (r.split === 'test') s.test++;
    s.difficulty_min = Math.min(s.difficulty_min, r.difficulty);
    s.difficulty_max = Math.max(s.difficulty_max, r.difficulty);
    byBin.set(key, s);
  }
  const g = (s: BinSummary) => s.group ?? '';
  return [...byBin.values()].sort((x, y) => (g(x) < g(y) ? -1 : g(x) > g(y) ? 1 : x.bin - y.bin));
}
