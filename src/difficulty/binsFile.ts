import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable } from '../util/csv.js';
import type { BinRow } from './bins.js';

/** bins.csv (contract): item,difficulty,bin,split — with a group column when binned per group. */
export function writeBins(file: string, rows: BinRow[]): void {
  const grouped = rows.some((r) => r.group !== undefined);
  const cols = grouped ? ['item', 'difficulty', 'bin', 'split', 'group'] : ['item', 'difficulty', 'bin', 'split'];
  writeFileAtomic(file, csvTable(cols, rows.length, (r, c) => (rows[r] as unknown as Record<string, unknown>)[cols[c]]));
}

export function readBins(file: string): BinRow[] {
  if (!fs.existsSync(file)) throw new GradusError('no such bins file', 'Give the bins.csv written by `gradus bins`.', { file });
  const rows: Record<string, string>[] = parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true });
  for (const c of ['item', 'bin', 'split']) {
    if (rows.length && !(c in rows[0])) throw new GradusError(`the bins file lacks the column "${c}"`, 'Give the bins.csv written by `gradus bins` (item,difficulty,bin,split).', { file, line: 1 });
  }
  return rows.map((r, k) => {
    const bin = Number(r.bin);
    if (!Number.isInteger(bin) || bin < 0) throw new GradusError(`bin ${JSON.stringify(r.bin)} is not a bin number`, 'Bins are whole numbers from 0.', { file, line: k + 2 });
    if (r.split !== 'train' && r.split !== 'test') throw new GradusError(`split ${JSON.stringify(r.split)} is not train or test`, 'Each item is train or test.', { file, line: k + 2 });
    return { item: r.item, difficulty: Number(r.difficulty), bin, split: r.split, ...(r.group !== undefined ? { group: r.group } : {}) };
  });
}
