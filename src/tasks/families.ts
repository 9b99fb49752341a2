/**
 * Procedural task families whose items carry human-defined difficulty features. Each item: id, family, prompt,
 * answer, level (the family's main knob) and its features. Deterministic for a seed.
 *
 * - addition: two numbers of 1..L digits, written least-significant digit first (as in the length-generalization
 *   literature: a small transformer can then add digit by digit); features digits, carries.
 * - sort: a string of 2..L+1 letters (a–j) to sort; features length, distinct.
 * - sort-distinct: as sort, but no letter repeats. Small models find a repeated letter much harder than one more
 *   letter (in sort, an item's count of distinct letters sets its difficulty about as much as its length does), so
 *   here length is the one knob.
 * - expr: an expression over single digits with +, −, ×, value mod 10; features ops (= level), depth (parentheses).
 */
import { GradusError, option } from '../errors.js';
import { rng, type Rng } from '../util/rng.js';

export interface TaskItem {
  id: string;
  family: string;
  prompt: string;
  answer: string;
  level: number;
  [feature: string]: string | number;
}

interface Family {
  levels: number;
  make(r: Rng, level: number): { prompt: string; answer: string; [feature: string]: string | number };
}

const rev = (s: string) => [...s].reverse().join('');
const number = (r: Rng, digits: number) => (digits === 1 ? r.int(10) : 10 ** (digits - 1) + r.int(9 * 10 ** (digits - 1)));

function carries(a: number, b: number): number {
  let c = 0, n = 0;
  while (a > 0 || b > 0) {
    c = (a % 10) + (b % 10) + c >= 10 ? 1 : 0;
    n += c;
    a = Math.floor(a / 10);
    b = Math.floor(b / 10);
  }
  return n;
}

function expression(r: Rng, ops: number): { text: string; value: number; depth: number } {
  if (ops === 0) {
    const v = r.int(10);
    return { text: String(v), value: v, depth: 0 };
  }
  const left = r.int(ops);
  const a = expression(r, left);
  const b = expression(r, ops - 1 - left);
  const op = '+-*'[r.int(3)];
  const value = op === '+' ? a.value + b.value : op === '-' ? a.value - b.value : a.value * b.value;
  const wrap = (x: { text: string; depth: number }, ownOps: number) => (ownOps > 0 ? { text: `(${x.text})`, depth: x.depth + 1 } : x);
  const wa = wrap(a, left), wb = wrap(b, ops - 1 - left);
  return { text: `${wa.text}${op}${wb.text}`, value: ((value % 10) + 10) % 10, depth: Math.max(wa.depth, wb.depth) };
}

export const FAMILIES: Record<string, Family> = {
  addition: {
    levels: 4,
    make(r, level) {
      const da = level, db = 1 + r.int(level);
      const [x, y] = r.next() < 0.5 ? [number(r, da), number(r, db)] : [number(r, db), number(r, da)];
      return { prompt: `${rev(String(x))}+${rev(String(y))}=`, answer: rev(String(x + y)), digits: level, carries: carries(x, y) };
    },
  },
  sort: {
    levels: 7,
    make(r, level) {
      const n = level + 1;
      const s = Array.from({ length: n }, () => 'abcdefghij'[r.int(10)]).join('');
      return { prompt: `sort:${s}`, answer: [...s].sort().join(''), length: n, distinct: new Set(s).size };
    },
  },
  'sort-distinct': {
    levels: 7,
    make(r, level) {
      const letters = [...'abcdefghij'];
      const n = level + 1;
      // a partial Fisher–Yates shuffle: n different letters, in random order
      for (let k = 0; k < n; k++) {
        const j = k + r.int(letters.length - k);
        [letters[k], letters[j]] = [letters[j], letters[k]];
      }
      const s = letters.slice(0, n).join('');
      return { prompt: `sort:${s}`, answer: [...s].sort().join(''), length: n };
    },
  },
  expr: {
    levels: 4,
    make(r, level) {
      const e = expression(r, level);
      return { prompt: `${e.text}=`, answer: String(e.value), ops: level, depth: e.depth };
    },
  },
};

export const FAMILY_NAMES = Object.keys(FAMILIES);

/** n items of one family, levels 1..maxLevel equally often while they have new prompts, no two prompts alike. */
export function generateItems(family: string, n: number, seed: number, maxLevel?: number): TaskItem[] {
  const f = FAMILIES[family];
  if (!f) throw new GradusError(`unknown task family "${family}"`, `Use one of: ${FAMILY_NAMES.join(', ')}.`);
  const top = Math.min(maxLevel ?? f.levels, f.levels);
  if (top < 1) throw new GradusError(`${option('maxLevel')} must be at least 1`, `Levels of ${family} run from 1 to ${f.levels}.`);
  const r = rng(seed * 7919 + family.length);
  const seen = new Set<string>();
  const out: TaskItem[] = [];
  // levels take turns; a level with no new prompts left (1-digit sums: only 100) drops out of the rotation
  const open = Array.from({ length: top }, (_, k) => k + 1);
  const misses = new Map<number, number>();
  let turn = 0;
  while (out.length < n) {
    if (!open.length) throw new GradusError(`${family} has fewer than ${n} distinct items up to level ${top}`, `Ask for fewer items or a higher ${option('maxLevel')}.`);
    const level = open[turn % open.length];
    const x = f.make(r, level);
    if (seen.has(x.prompt)) {
      const m = (misses.get(level) ?? 0) + 1;
      misses.set(level, m);
      if (m > 400) open.splice(open.indexOf(level), 1);
      continue;
    }
    misses.set(level, 0);
    turn++;
    seen.add(x.prompt);
    out.push({ ...x, id: `${family}-${String(out.length).padStart(5, '0')}`, family, level });
  }
  return out;
}
