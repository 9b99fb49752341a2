/**
 * Study items that leave room for training on every level. A level with few distinct prompts (2-letter sorting has
 * 100) would otherwise go wholly to the study, and models trained on other prompts of the family would never see
 * that level: its items would measure being out of distribution, not difficulty. Here the study takes at most
 * `share` of each level's distinct prompts; a level with fewer than `minLevel` prompts is left out, and said so.
 */
import { GradusError } from '../errors.js';
import { rng } from '../util/rng.js';
import { FAMILIES, type TaskItem } from './families.js';

export interface LevelShare {
  level: number;
  /** distinct prompts the level has (counted up to a probe limit) */
  distinct: number;
  /** how many of them the study takes */
  study: number;
  /** left out: too few prompts to split between the study and training */
  left_out: boolean;
}

/** Every distinct prompt of one level, up to `limit`, in the order a seeded generator meets them. */
export function levelPool(family: string, level: number, seed: number, limit: number) {
  const f = FAMILIES[family];
  const r = rng(seed * 7919 + family.length * 31 + level);
  const seen = new Set<string>();
  const out: Array<ReturnType<typeof f.make>> = [];
  // as generateItems: a level that finds nothing new in 400 tries has run out
  for (let misses = 0; out.length < limit && misses <= 400; ) {
    const x = f.make(r, level);
    if (seen.has(x.prompt)) {
      misses++;
      continue;
    }
    misses = 0;
    seen.add(x.prompt);
    out.push(x);
  }
  return out;
}

export function shareLevels(family: string, n: number, seed: number, o: { share?: number; minLevel?: number } = {}): { items: TaskItem[]; levels: LevelShare[] } {
  const f = FAMILIES[family];
  if (!f) throw new GradusError(`unknown task family "${family}"`, `Use one of: ${Object.keys(FAMILIES).join(', ')}.`);
  const share = o.share ?? 0.5;
  const minLevel = o.minLevel ?? 20;
  const pools = Array.from({ length: f.levels }, (_, k) => levelPool(family, k + 1, seed, 2 * n));
  const cap = pools.map((p) => (p.length < minLevel ? 0 : Math.floor(p.length * share)));
  // equal shares, a capped level's shortfall spread over the others
  const take = new Array<number>(f.levels).fill(0);
  let left = n;
  for (let open = cap.map((c, k) => (c > 0 ? k : -1)).filter((k) => k >= 0); left > 0 && open.length; ) {
    const each = Math.max(1, Math.floor(left / open.length));
    for (const k of open) {
      const add = Math.min(each, cap[k] - take[k], left);
      take[k] += add;
      left -= add;
    }
    open = open.filter((k) => take[k] < cap[k]);
  }
  if (left > 0) throw new GradusError(`${family} has too few distinct prompts for ${n} study items leaving ${Math.round(100 * (1 - share))}% of each level to training`, 'Ask for fewer items.');
  // levels take turns, as in generateItems
  const items: TaskItem[] = [];
  const next = new Array<number>(f.levels).fill(0);
  while (items.length < n) {
    for (let k = 0; k < f.levels; k++) {
      if (next[k] >= take[k]) continue;
      const x = pools[k][next[k]++];
      items.push({ ...x, id: `${family}-${String(items.length).padStart(5, '0')}`, family, level: k + 1 });
    }
  }
  return { items, levels: pools.map((p, k) => ({ level: k + 1, distinct: p.length, study: take[k], left_out: cap[k] === 0 })) };
}
