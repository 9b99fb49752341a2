/** subset.csv (contract): item,weight[,bin] — the anchors and the share of the bank each stands for (sum 1). */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable } from '../util/csv.js';
import type { ItemBank } from './bank.js';
import type { BinAssignment } from './estimate.js';
import type { Subset } from './subset.js';

export function writeSubset(file: string, bank: ItemBank, s: Subset, bins?: BinAssignment): void {
  const cols = bins ? ['item', 'weight', 'bin'] : ['item', 'weight'];
  writeFileAtomic(file, csvTable(cols, s.items.length, (r, c) => {
    const i = s.items[r];
    return c === 0 ? bank.ids[i] : c === 1 ? s.weights[r] : bins!.bin[i] >= 0 ? bins!.bin[i] : '';
  }));
}

/** Reads subset.csv against a bank: every item must be in it, weights positive; they are renormalised to sum 1. */
export function readSubset(file: string, bank: ItemBank): Subset {
  if (!fs.existsSync(file)) throw new GradusError('no such subset file', 'Give the subset.csv written by `gradus subset`.', { file });
  const rows: Record<string, string>[] = parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true });
  if (!rows.length) throw new GradusError('the subset file has no items', 'Give the subset.csv written by `gradus subset`.', { file });
  for (const c of ['item', 'weight']) if (!(c in rows[0])) throw new GradusError(`the subset file lacks the column "${c}"`, 'subset.csv has the columns item,weight[,bin].', { file, line: 1 });
  const items = new Int32Array(rows.length), weights = new Float64Array(rows.length);
  const seen = new Set<number>();
  let total = 0;
  rows.forEach((r, k) => {
    const i = bank.index.get(r.item);
    if (i === undefined) throw new GradusError(`item ${JSON.stringify(r.item)} is not in the fit's bank`, 'Make the subset from the same fit folder (gradus subset FIT).', { file, line: k + 2 });
    if (seen.has(i)) throw new GradusError(`item ${JSON.stringify(r.item)} is listed twice`, 'List each anchor once.', { file, line: k + 2 });
    const w = Number(r.weight);
    if (!(w > 0) || !Number.isFinite(w)) throw new GradusError(`weight ${JSON.stringify(r.weight)} is not a positive number`, 'Each anchor stands for a positive share of the bank.', { file, line: k + 2, column: 'weight' });
    seen.add(i);
    items[k] = i;
    weights[k] = w;
    total += w;
  });
  return { items, weights: weights.map((w) => w / total) };
}
