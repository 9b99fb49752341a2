/**
 * The fit folder (contract, see README): items.csv, models.csv, fit.json.
 * items.csv: item,b,a,c,se_b,se_a,n,p_correct,infit,outfit — b is the IRT difficulty (P = c + (1 − c)σ(a(θ − b))),
 * not the slope–intercept d; empty where not defined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, safeJson } from '../util/csv.js';
import type { FitInfo, FitResult } from './fit.js';
import type { ItemParams } from './model.js';

export const ITEM_COLUMNS = ['item', 'b', 'a', 'c', 'se_b', 'se_a', 'n', 'p_correct', 'infit', 'outfit'] as const;
export const MODEL_COLUMNS = ['model', 'theta', 'se_theta', 'n', 'p_correct'] as const;

export function writeFit(dir: string, fit: FitResult, extra: Record<string, unknown> = {}): void {
  fs.mkdirSync(dir, { recursive: true });
  const it = fit.items;
  const cols = ITEM_COLUMNS.map((c) => it[c] as ArrayLike<unknown>);
  writeFileAtomic(path.join(dir, 'items.csv'), csvTable([...ITEM_COLUMNS], it.item.length, (r, c) => cols[c][r]));
  const mo = fit.models;
  const mcols = MODEL_COLUMNS.map((c) => mo[c] as ArrayLike<unknown>);
  writeFileAtomic(path.join(dir, 'models.csv'), csvTable([...MODEL_COLUMNS], mo.model.length, (r, c) => mcols[c][r]));
  // seconds vary run to run; everything else in the folder is byte-identical on a rerun
  writeFileAtomic(path.join(dir, 'fit.json'), safeJson({ ...fit.info, ...extra }));
}

export interface CalibratedItems {
  ids: string[];
  params: ItemParams;
  /** rows whose b is empty (dropped items) */
  missing: Uint8Array;
  info?: Partial<FitInfo>;
}

/** Read a fit folder's items.csv (or the file itself) back as calibrated item parameters. */
export function readCalibratedItems(fileOrDir: string): CalibratedItems {
  let file = fileOrDir;
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'items.csv');
  if (!fs.existsSync(file)) throw new GradusError('no items.csv here', 'Give a fit folder written by `gradus fit --out DIR`, or its items.csv.', { file });
  let rows: Record<string, string>[];
  try {
    rows = parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true });
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new GradusError(`this line does not parse (${err.message})`, 'items.csv must be the CSV that gradus fit wrote.', { file, line: err.lines });
  }
  const need = ['item', 'b'];
  const have = rows.length ? Object.keys(rows[0]) : [];
  for (const c of need) if (!have.includes(c)) throw new GradusError(`items file lacks the column "${c}"`, 'Give the items.csv written by gradus fit (item,b,a,c,...).', { file, line: 1 });
  const n = rows.length;
  const params: ItemParams = { a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n) };
  const missing = new Uint8Array(n);
  rows.forEach((r, k) => {
    const num = (col: string, dflt: number) => {
      const s = r[col];
      if (s === undefined || s === '') return dflt;
      const x = Number(s);
      if (!Number.isFinite(x)) throw new GradusError(`${col} = ${JSON.stringify(s)} is not a number`, 'Fix the value or refit.', { file, line: k + 2 });
      return x;
    };
    params.b[k] = num('b', NaN);
    params.a[k] = num('a', 1);
    params.c[k] = num('c', 0);
    if (!Number.isFinite(params.b[k])) missing[k] = 1;
  });
  let info: Partial<FitInfo> | undefined;
  const fj = path.join(path.dirname(file), 'fit.json');
  if (fs.existsSync(fj)) info = JSON.parse(fs.readFileSync(fj, 'utf8'));
  return { ids: rows.map((r) => r.item), params, missing, info };
}
