import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';

/** CSV writing with RFC 4180 quoting; non-finite numbers are written as empty cells (never NaN or Infinity). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest round-trip form, so a rerun writes the same bytes and nothing is lost. */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

export function csvTable(columns: string[], rows: number, get: (row: number, col: number) => unknown): string {
  const out: string[] = [columns.map(csvField).join(',')];
  for (let r = 0; r < rows; r++) {
    const cells = new Array<string>(columns.length);
    for (let c = 0; c < columns.length; c++) cells[c] = csvField(get(r, c));
    out.push(cells.join(','));
  }
  return out.join('\n') + '\n';
}

/** JSON with non-finite numbers as null, so that no file gradus writes holds NaN or Infinity. */
export function safeJson(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n';
}

export interface CsvFile {
  file: string;
  columns: string[];
  /** one record per data row; the header is line 1, so rows[k] is line k + 2 */
  rows: Record<string, string>[];
}

/**
 * A CSV file gradus wrote (or one shaped like it), with the columns it must have. `what` names the file for the
 * messages ("the fit's items.csv"), `how` says where a good one comes from.
 */
export function readCsvFile(file: string, what: string, how: string, need: readonly string[] = []): CsvFile {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new GradusError(`no such file (expected ${what})`, how, { file });
  let rows: Record<string, string>[];
  let columns: string[] = [];
  try {
    rows = parse(fs.readFileSync(file, 'utf8'), {
      columns: (header: string[]) => (columns = header),
      bom: true,
      skip_empty_lines: true,
    });
  } catch (e) {
    const err = e as { lines?: number; message: string };
    throw new GradusError(`this line of ${what} does not parse (${err.message.replace(/^Invalid Record Length: /, '')})`, how, { file, line: err.lines });
  }
  const lacking = need.filter((c) => !columns.includes(c));
  if (lacking.length) {
    throw new GradusError(
      `${what} lacks the column${lacking.length > 1 ? 's' : ''} ${lacking.map((c) => JSON.stringify(c)).join(', ')}; its header is ${columns.map((c) => JSON.stringify(c)).join(',') || '(empty)'}`,
      how,
      { file, line: 1 },
    );
  }
  return { file, columns, rows };
}

/** A numeric cell: empty is NaN (gradus writes non-finite numbers as empty cells), anything else must be a number. */
export function numberCell(t: CsvFile, k: number, column: string, how: string): number {
  const s = t.rows[k][column];
  if (s === undefined || s === '') return NaN;
  const x = Number(s);
  if (!Number.isFinite(x)) throw new GradusError(`${column} ${JSON.stringify(s)} is not a number`, how, { file: t.file, line: k + 2, column });
  return x;
}
