/**
 * Agreement between human difficulty labels and model-based difficulty: Spearman and Kendall tau-b of the
 * ordered label against IRT b and against consensus difficulty, each with a bootstrap 95% interval over items;
 * per label, count, mean and quartiles; and how the labels spread over K difficulty bins.
 */
import { GradusError, option } from '../errors.js';
import type { ItemTable } from '../responses/itemTable.js';
import { requireColumn } from '../responses/itemTable.js';
import { rng } from '../util/rng.js';
import { makeBins } from './bins.js';
import type { FitDifficulty } from './fromFit.js';
import { kendallTauB, quantile, spearman } from './rank.js';

export interface Correlation {
  estimate: number;
  ci_low: number;
  ci_high: number;
}

export interface AgreeResult {
  label: string;
  order: string[];
  n_items: number;
  items_without_label: number;
  b: { spearman: Correlation; kendall_tau_b: Correlation };
  consensus: { spearman: Correlation; kendall_tau_b: Correlation };
  per_label: Array<{ label: string; count: number; b: Summary; consensus: Summary }>;
  bins: { k: number; counts: Record<string, number[]> };
  bootstrap: number;
  seed: number;
}

interface Summary {
  mean: number;
  q25: number;
  median: number;
  q75: number;
}

const WORD_ORDER = ['trivial', 'very easy', 'easy', 'basic', 'low', 'elementary', 'medium', 'moderate', 'intermediate', 'mid', 'normal', 'high', 'hard', 'difficult', 'advanced', 'very hard', 'expert'];

/** The label order: given, else numeric, else by common difficulty words, else refused (it must be stated). */
export function labelOrder(values: string[], given?: string[]): string[] {
  const distinct = [...new Set(values)];
  if (given) {
    const unknown = given.filter((g) => !distinct.includes(g));
    if (unknown.length) throw new GradusError(`${option('order')} names ${unknown.map((u) => JSON.stringify(u)).join(', ')}, which no item carries; the labels are ${distinct.map((d) => JSON.stringify(d)).join(', ')}`, 'List exactly the labels present, easiest first.');
    const missing = distinct.filter((d) => !given.includes(d));
    if (missing.length) throw new GradusError(`${option('order')} leaves out the label(s) ${missing.map((u) => JSON.stringify(u)).join(', ')}`, 'List every label, easiest first.');
    return given;
  }
  if (distinct.every((d) => d.trim() !== '' && Number.isFinite(Number(d)))) return distinct.sort((a, b) => Number(a) - Number(b));
  const rank = (d: string) => WORD_ORDER.indexOf(d.trim().toLowerCase());
  if (distinct.every((d) => rank(d) >= 0)) return distinct.sort((a, b) => rank(a) - rank(b));
  throw new GradusError(`cannot tell the order of the labels ${distinct.map((d) => JSON.stringify(d)).join(', ')}`, `Give it with ${option('order')}, easiest first, e.g. ${option('order')} easy,intermediate,hard.`);
}

export interface AgreeOptions {
  /** label values easiest first (default: numeric, else common difficulty words) */
  order?: string[];
  /** bins for the label spread */
  k?: number;
  /** bootstrap resamples of items for the intervals */
  bootstrap?: number;
  seed?: number;
}

export function agree(d: FitDifficulty, items: ItemTable, label: string, o: AgreeOptions = {}): AgreeResult {
  requireColumn(items, label, option('label'));
  const idx: number[] = [];
  const labels: string[] = [];
  let without = 0;
  d.item.forEach((id, i) => {
    const row = items.byItem.get(id);
    const v = row === undefined ? undefined : items.rows[row][label];
    if (v === undefined || v === '') without++;
    else {
      idx.push(i);
      labels.push(v);
    }
  });
  if (idx.length < 3) throw new GradusError(`only ${idx.length} fitted item(s) carry a ${JSON.stringify(label)} label`, 'Check that the items file uses the same item ids as the responses.', { file: items.file });
  const order = labelOrder(labels, o.order);
  const lab = Float64Array.from(labels, (l) => order.indexOf(l));
  const b = Float64Array.from(idx, (i) => d.difficulty[i] ?? NaN);
  const bRaw = Float64Array.from(idx, (i) => (Number.isFinite(d.b[i]) ? d.b[i] : d.difficulty[i]));
  const cons = Float64Array.from(idx, (i) => d.consensus[i]);
  const B = o.bootstrap ?? 1000;
  const seed = o.seed ?? 1;
  const withCi = (y: Float64Array, f: (x: ArrayLike<number>, y: ArrayLike<number>) => number): Correlation => {
    const r = rng(seed);
    const n = lab.length;
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    const boots: number[] = [];
    for (let t = 0; t < B; t++) {
      for (let k = 0; k < n; k++) {
        const p = r.int(n);
        xs[k] = lab[p];
        ys[k] = y[p];
      }
      const v = f(xs, ys);
      if (Number.isFinite(v)) boots.push(v);
    }
    boots.sort((p, q) => p - q);
    return { estimate: f(lab, y), ci_low: quantile(boots, 0.025), ci_high: quantile(boots, 0.975) };
  };
  const summary = (v: number[]): Summary => {
    const s = v.slice().sort((p, q) => p - q);
    return { mean: s.reduce((a, x) => a + x, 0) / s.length, q25: quantile(s, 0.25), median: quantile(s, 0.5), q75: quantile(s, 0.75) };
  };
  const k = o.k ?? 10;
  const binRows = makeBins(d, { k, testFraction: 0.5, seed });
  const counts: Record<string, number[]> = Object.fromEntries(order.map((l) => [l, new Array(k).fill(0)]));
  idx.forEach((i, t) => counts[labels[t]][binRows[i].bin]++);
  return {
    label,
    order,
    n_items: idx.length,
    items_without_label: without,
    b: { spearman: withCi(b, spearman), kendall_tau_b: withCi(b, kendallTauB) },
    consensus: { spearman: withCi(cons, spearman), kendall_tau_b: withCi(cons, kendallTauB) },
    per_label: order.map((l) => ({
      label: l,
      count: labels.filter((x) => x === l).length,
      b: summary(Array.from(bRaw).filter((_, t) => labels[t] === l)),
      consensus: summary(Array.from(cons).filter((_, t) => labels[t] === l)),
    })),
    bins: { k, counts },
    bootstrap: B,
    seed,
  };
}
