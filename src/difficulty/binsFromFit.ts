/** Library face of `gradus bins`: read a fit folder, bin its items, write bins.csv and, beside it, how they were made. */
import path from 'node:path';
import { makeBins, type BinBy, type BinRow, type DifficultyInput } from './bins.js';
import { writeBins } from './binsFile.js';
import { readFitDifficulty, type DifficultyOn } from './fromFit.js';
import { readItemTable, requireColumn } from '../responses/itemTable.js';
import { GradusError, option } from '../errors.js';

export interface BinsFileOptions {
  k?: number;
  by?: BinBy;
  edges?: number[];
  on?: DifficultyOn;
  testFraction?: number;
  seed?: number;
  items?: string;
  group?: string;
}

export function binsFromFit(fitDir: string, out: string, o: BinsFileOptions = {}): { rows: BinRow[]; notes: string[] } {
  const d = readFitDifficulty(fitDir, o.on ?? 'b');
  return binsOf(d, { fit: path.resolve(fitDir), fit_model: d.fit.model ?? null, fit_method: d.fit.method ?? null, on: d.on }, out, o);
}

/** Bins any items' difficulties and writes bins.csv, with `source` (where the difficulties came from) beside it. */
export function binsOf(d: DifficultyInput & { notes: string[] }, source: Record<string, unknown>, out: string, o: BinsFileOptions = {}): { rows: BinRow[]; notes: string[] } {
  let groupOf: ((item: string) => string) | undefined;
  if (o.group) {
    if (!o.items) throw new GradusError(`${option('group')} needs ${option('items')}`, `Give the items file that holds the group column: ${option('items')} ITEMS.csv ${option('group')} COLUMN.`);
    const t = readItemTable(o.items);
    requireColumn(t, o.group, option('group'));
    groupOf = (id) => {
      const k = t.byItem.get(id);
      return k === undefined ? '(no group)' : t.rows[k][o.group!];
    };
  }
  const rows = makeBins(d, { k: o.k, by: o.by, edges: o.edges, testFraction: o.testFraction, seed: o.seed, groupOf });
  // with how the bins were made, for gradus split's manifest
  writeBins(out, rows, { ...source, k: o.edges ? o.edges.length + 1 : o.k ?? 10, by: o.edges ? 'edges' : o.by ?? 'quantile', edges: o.edges ?? null, test_fraction: o.testFraction ?? 0.2, seed: o.seed ?? 1, group: o.group ?? null, notes: d.notes });
  return { rows, notes: d.notes };
}
