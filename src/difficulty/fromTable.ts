/**
 * Item difficulties published by others, as a source of bins: a CSV, TSV, JSONL or Parquet table (e.g. the
 * study's released `BatsResearch/Cross-Difficulty`, columns `1pl_diff`, `1pl_quantile`) with an id column and a
 * difficulty column, read through DuckDB. Larger is harder. Rows without a difficulty are left out and counted;
 * a cell that is not a number, or an id given twice, is an error at its line.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { openDuck, sqlIdent, sqlString } from '../util/duck.js';
import { detectFormat } from '../responses/format.js';
import { MISSING_WORDS } from '../responses/answer.js';
import { binsOf, type BinsFileOptions } from './binsFromFit.js';
import type { BinRow, DifficultyInput } from './bins.js';

export interface TableDifficultyOptions {
  /** the column holding the difficulty, e.g. 1pl_diff */
  column: string;
  /** the column holding the item id; by default `id`, else `item` */
  idColumn?: string;
}

export interface TableDifficulty extends DifficultyInput {
  notes: string[];
}

export async function readTableDifficulty(file: string, o: TableDifficultyOptions): Promise<TableDifficulty> {
  if (!fs.existsSync(file)) throw new GradusError('no such difficulty table', 'Give a CSV, TSV, JSONL or Parquet file with an id column and a difficulty column.', { file });
  const { format, gzip } = detectFormat(file);
  if (format === 'parquet' && gzip) throw new GradusError('a gzipped Parquet file is not read here', 'Unpack it first (gunzip): Parquet is compressed inside already.', { file });
  const f = sqlString(file);
  const from = format === 'parquet' ? `read_parquet(${f})` : format === 'jsonl' ? `read_json(${f}, format='newline_delimited')` : `read_csv(${f}, header=true, all_varchar=true, delim=${sqlString(format === 'tsv' ? '\t' : ',')}, compression='auto')`;
  const duck = await openDuck();
  try {
    const columns = (await duck.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRows().map((r) => String(r[0]));
    const idColumn = o.idColumn ?? ['id', 'item'].find((c) => columns.includes(c));
    const has = (c: string | undefined, name: string) => {
      if (c === undefined || !columns.includes(c)) throw new GradusError(`${c === undefined ? 'there is no id or item column' : `no column ${JSON.stringify(c)}`} in the difficulty table (it has ${columns.map((x) => JSON.stringify(x)).join(', ')})`, `Name the column with ${option(name)}.`, { file, line: format === 'parquet' ? undefined : 1 });
    };
    has(idColumn, 'idColumn');
    has(o.column, 'column');
    const rows = (await duck.conn.runAndReadAll(`SELECT CAST(${sqlIdent(idColumn!)} AS VARCHAR), CAST(${sqlIdent(o.column)} AS VARCHAR) FROM ${from}`)).getRows();
    const item: string[] = [];
    const difficulty: number[] = [];
    const seen = new Map<string, number>();
    let blank = 0;
    // a CSV's first data row is line 2 (after the header); a JSONL's is line 1; Parquet rows are counted from 1
    const lineOf = (k: number) => k + (format === 'csv' || format === 'tsv' ? 2 : 1);
    rows.forEach(([id, v], k) => {
      const place = { file, line: lineOf(k), column: o.column };
      const text = v === null ? '' : String(v).trim();
      if (MISSING_WORDS.includes(text.toUpperCase())) {
        blank++;
        return;
      }
      const x = Number(text);
      if (!Number.isFinite(x)) throw new GradusError(`the difficulty ${JSON.stringify(text)} is not a number`, `Give ${option('column')} a column of numbers (larger = harder), or fix this cell.`, place);
      if (id === null) throw new GradusError('this row has no item id', 'Give every row an id.', { ...place, column: idColumn });
      const key = String(id);
      if (seen.has(key)) throw new GradusError(`the item ${JSON.stringify(key)} is given twice (also on line ${lineOf(seen.get(key)!)})`, 'Give each item one difficulty.', place);
      seen.set(key, k);
      item.push(key);
      difficulty.push(x);
    });
    if (!item.length) throw new GradusError(`no row has a difficulty in ${JSON.stringify(o.column)}`, `Check ${option('column')}.`, { file });
    const notes = [`difficulty = ${o.column} from ${path.basename(file)} (larger = harder).`];
    if (blank) notes.push(`${blank} row(s) without a difficulty are left out.`);
    return { item, difficulty: Float64Array.from(difficulty), notes };
  } finally {
    duck.close();
  }
}

/** Library face of `gradus bins --difficulty FILE --column NAME`: bins published difficulties with every bins option. */
export async function binsFromTable(file: string, out: string, o: BinsFileOptions & TableDifficultyOptions): Promise<{ rows: BinRow[]; notes: string[] }> {
  const d = await readTableDifficulty(file, o);
  return binsOf(d, { difficulty_file: path.resolve(file), column: o.column, id_column: o.idColumn ?? null, on: o.column }, out, o);
}
