/**
 * The fit folder (contract, see README): items.csv, models.csv, fit.json — written by writeFit, read back by
 * readFitFolder, the one reader every command and library function that takes a fit uses.
 * items.csv: item,b,a,c,se_b,se_a,n,p_correct,infit,outfit — b is the IRT difficulty (P = c + (1 − c)σ(a(θ − b))),
 * not the slope–intercept d; empty where not defined.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, numberCell, readCsvFile, safeJson, type CsvFile } from '../util/csv.js';
import { readJsonFile } from '../util/readJson.js';
import type { FitInfo, FitResult, ItemTableOut, ModelTableOut } from './fit.js';
import type { ItemParams } from './model.js';

export const ITEM_COLUMNS = ['item', 'b', 'a', 'c', 'se_b', 'se_a', 'n', 'p_correct', 'infit', 'outfit'] as const;
export const MODEL_COLUMNS = ['model', 'theta', 'se_theta', 'n', 'p_correct'] as const;
export type ItemColumn = (typeof ITEM_COLUMNS)[number];

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

export interface FitFolder {
  /** the folder (or, when an items.csv was given alone, the folder it sits in) */
  dir: string;
  /** items.csv; a column the file lacks reads as NaN (a as 1, c as 0, n as 0) */
  items: ItemTableOut;
  /** models.csv, when the folder has it */
  models?: ModelTableOut;
  /** fit.json, when the folder has it (a hand-made items.csv may come alone) */
  info?: Partial<FitInfo> & Record<string, unknown>;
}

export interface ReadFitOptions {
  /** item columns the caller needs beyond item and b */
  need?: ItemColumn[];
}

const HOW = 'Give a fit folder written by `gradus fit --out DIR` (items.csv, models.csv, fit.json), or its items.csv.';

/** Reads a fit folder, or an items.csv alone, checking every cell: a bad one is named by file, line and column. */
export function readFitFolder(fileOrDir: string, o: ReadFitOptions = {}): FitFolder {
  const isDir = fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory();
  const dir = isDir ? fileOrDir : path.dirname(fileOrDir);
  const itemsFile = isDir ? path.join(dir, 'items.csv') : fileOrDir;
  const t = readCsvFile(itemsFile, "a fit's items.csv", HOW, ['item', 'b', ...(o.need ?? [])]);
  const ids = t.rows.map((r) => r.item);
  const seen = new Map<string, number>();
  ids.forEach((id, k) => {
    const first = seen.get(id);
    if (first !== undefined) throw new GradusError(`item ${JSON.stringify(id)} is listed twice (first on line ${first + 2})`, HOW, { file: itemsFile, line: k + 2, column: 'item' });
    seen.set(id, k);
  });
  const col = (c: string, absent: number) => Float64Array.from(t.rows, (_, k) => (t.columns.includes(c) ? numberCell(t, k, c, HOW) : absent));
  const items: ItemTableOut = {
    item: ids,
    b: col('b', NaN),
    a: col('a', 1),
    c: col('c', 0),
    se_b: col('se_b', NaN),
    se_a: col('se_a', NaN),
    n: Int32Array.from(col('n', 0), (x) => (Number.isFinite(x) ? x : 0)),
    p_correct: col('p_correct', NaN),
    infit: col('infit', NaN),
    outfit: col('outfit', NaN),
  };
  const modelsFile = path.join(dir, 'models.csv');
  const models = fs.existsSync(modelsFile) ? readModels(readCsvFile(modelsFile, "a fit's models.csv", HOW, MODEL_COLUMNS)) : undefined;
  const infoFile = path.join(dir, 'fit.json');
  const info = fs.existsSync(infoFile) ? readJsonFile<FitFolder['info']>(infoFile, "a fit's fit.json", HOW) : undefined;
  if (info !== undefined && (info === null || typeof info !== 'object' || Array.isArray(info))) throw new GradusError("a fit's fit.json must hold one JSON object", HOW, { file: infoFile });
  return { dir, items, models, info };
}

function readModels(t: CsvFile): ModelTableOut {
  const col = (c: string) => Float64Array.from(t.rows, (_, k) => numberCell(t, k, c, HOW));
  return {
    model: t.rows.map((r) => r.model),
    theta: col('theta'),
    se_theta: col('se_theta'),
    n: Int32Array.from(col('n'), (x) => (Number.isFinite(x) ? x : 0)),
    p_correct: col('p_correct'),
  };
}

/** A fit's items as the parameters the item model takes; items without a b (nobody answered them) are marked. */
export function calibratedItems(f: FitFolder): { params: ItemParams; missing: Uint8Array } {
  const it = f.items;
  const fill = (x: Float64Array, v: number) => Float64Array.from(x, (y) => (Number.isFinite(y) ? y : v));
  return { params: { a: fill(it.a, 1), b: it.b, c: fill(it.c, 0) }, missing: Uint8Array.from(it.b, (b) => (Number.isFinite(b) ? 0 : 1)) };
}
