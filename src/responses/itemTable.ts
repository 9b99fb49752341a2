import fs from 'node:fs';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import { detectFormat } from './format.js';
import { parseJsonLines } from '../util/jsonLines.js';

export interface ItemTable {
  file: string;
  columns: string[];
  rows: Array<Record<string, string>>;
  /** row index by item id */
  byItem: Map<string, number>;
}

/** A small per-item side table (subtask, human label, text): CSV, TSV or JSONL with an `item` (or `id`) column. */
export function readItemTable(file: string): ItemTable {
  const { format, gzip } = detectFormat(file);
  let text: string;
  try {
    const buf = fs.readFileSync(file);
    text = (gzip ? zlib.gunzipSync(buf) : buf).toString('utf8');
  } catch {
    throw new GradusError('cannot read the items file', 'Check the path.', { file });
  }
  let rows: Array<Record<string, string>>;
  if (format === 'jsonl') {
    rows = parseJsonLines(text, file).map(({ value }) => Object.fromEntries(Object.entries(value).map(([key, v]) => [key, typeof v === 'string' ? v : JSON.stringify(v)])));
  } else if (format === 'parquet') {
    throw new GradusError('items files are read as CSV, TSV or JSONL', 'Convert the items table to CSV.', { file });
  } else {
    try {
      rows = parse(text, { columns: true, bom: true, delimiter: format === 'tsv' ? '\t' : ',', skip_empty_lines: true });
    } catch (e) {
      const err = e as { lines?: number; message: string };
      throw new GradusError(`this line does not parse (${err.message})`, 'Fix or remove the line.', { file, line: err.lines });
    }
  }
  const columns = rows.length ? Object.keys(rows[0]) : [];
  const idCol = columns.find((c) => c === 'item') ?? columns.find((c) => c === 'id');
  if (!idCol) {
    throw new GradusError(`the items file needs an "item" column; it has ${columns.map((c) => JSON.stringify(c)).join(', ') || 'no columns'}`, 'Name the column that holds the item ids "item".', { file, line: 1 });
  }
  const byItem = new Map<string, number>();
  rows.forEach((r, k) => byItem.set(String(r[idCol]), k));
  return { file, columns, rows, byItem };
}

export function requireColumn(t: ItemTable, column: string, option: string): void {
  if (!t.columns.includes(column)) {
    throw new GradusError(
      `${option} ${JSON.stringify(column)} is not a column of the items file; it has ${t.columns.map((c) => JSON.stringify(c)).join(', ')}`,
      `Pass one of those names to ${option}.`,
      { file: t.file, line: 1 },
    );
  }
}
