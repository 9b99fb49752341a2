/**
 * bins.csv (contract): item,difficulty,bin,split — with a group column when binned per group — and bins.csv.json
 * beside it, how the bins were made. One writer and one reader, used by every command that takes bins.
 */
import fs from 'node:fs';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, numberCell, readCsvFile, safeJson } from '../util/csv.js';
import { readJsonFile } from '../util/readJson.js';
import type { BinRow } from './bins.js';

export const BIN_COLUMNS = ['item', 'difficulty', 'bin', 'split'] as const;

export function writeBins(file: string, rows: BinRow[], made?: Record<string, unknown>): void {
  const grouped = rows.some((r) => r.group !== undefined);
  const cols = grouped ? [...BIN_COLUMNS, 'group'] : [...BIN_COLUMNS];
  writeFileAtomic(file, csvTable(cols, rows.length, (r, c) => (rows[r] as unknown as Record<string, unknown>)[cols[c]]));
  if (made) writeFileAtomic(`${file}.json`, safeJson(made));
}

const HOW = 'Give the bins.csv written by `gradus bins` (item,difficulty,bin,split).';

export function readBins(file: string): BinRow[] {
  const t = readCsvFile(file, 'a bins file', HOW, BIN_COLUMNS);
  const grouped = t.columns.includes('group');
  const seen = new Map<string, number>();
  return t.rows.map((r, k) => {
    const place = { file, line: k + 2 };
    const first = seen.get(r.item);
    if (first !== undefined) throw new GradusError(`item ${JSON.stringify(r.item)} is binned twice (first on line ${first + 2})`, HOW, { ...place, column: 'item' });
    seen.set(r.item, k);
    const bin = Number(r.bin);
    if (r.bin === '' || !Number.isInteger(bin) || bin < 0) throw new GradusError(`bin ${JSON.stringify(r.bin)} is not a bin number`, 'Bins are whole numbers from 0.', { ...place, column: 'bin' });
    if (r.split !== 'train' && r.split !== 'test') throw new GradusError(`split ${JSON.stringify(r.split)} is not train or test`, 'Each item is train or test.', { ...place, column: 'split' });
    return { item: r.item, difficulty: numberCell(t, k, 'difficulty', HOW), bin, split: r.split, ...(grouped ? { group: r.group } : {}) };
  });
}

/** bins.csv.json, how the bins were made; null for bins made by hand (no such file). */
export function readBinsMade(file: string): Record<string, unknown> | null {
  const made = `${file}.json`;
  return fs.existsSync(made) ? readJsonFile<Record<string, unknown>>(made, 'the bins\' bins.csv.json', 'It is written by `gradus bins` beside bins.csv; delete it if the bins were edited by hand.') : null;
}
