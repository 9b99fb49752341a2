/**
 * Finding the line of a problem. The fast path (DuckDB) knows counts, not lines; when something is wrong
 * we re-read the file in JS, which is slow but only runs to explain an error.
 */
import type { Readable } from 'node:stream';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import { GradusError } from '../errors.js';
import type { FileFormat } from './format.js';
import { openDuck, sqlString } from '../util/duck.js';
import { asGzipError, openText } from './textCheck.js';

export interface RowVisit {
  /** header names */
  header: string[];
  /** the row's fields by header position (strings, or JSON values for jsonl/parquet) */
  fields: unknown[];
  line: number;
}

/**
 * Calls `visit` for every data row with its 1-based line number (row number for Parquet), until it returns true.
 * `headerless`: a CSV/TSV whose first line is data; its columns are named by their number, 1, 2, …
 */
export async function scanRows(file: string, format: FileFormat, gzip: boolean, visit: (row: RowVisit) => boolean | void, headerless = false): Promise<void> {
  if (format === 'parquet') return scanParquet(file, visit);
  const stream = openText(file, gzip);
  try {
    if (format === 'jsonl') await scanJsonl(file, stream, visit);
    else await scanDelimited(file, stream, format === 'tsv' ? '\t' : ',', visit, headerless);
  } catch (e) {
    throw asGzipError(file, e);
  } finally {
    stream.destroy();
  }
}

export function numberedColumns(n: number): string[] {
  return Array.from({ length: n }, (_, k) => String(k + 1));
}

async function scanDelimited(file: string, stream: Readable, delimiter: string, visit: (row: RowVisit) => boolean | void, headerless: boolean) {
  const parser = stream.compose(parse({ delimiter, bom: true, info: true, relax_quotes: false }));
  let header: string[] | null = null;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      if (!header) {
        header = headerless ? numberedColumns(rec.record.length) : rec.record;
        if (!headerless) continue;
      }
      if (visit({ header, fields: rec.record, line: rec.info.lines })) break;
    }
  } catch (e) {
    if (!String((e as { code?: unknown }).code ?? '').startsWith('CSV_')) throw e;
    const err = e as { code?: string; lines?: number; message: string };
    const line = err.lines;
    const reason = err.message.replace(/^Invalid Record Length: /, '').replace(/,? ?on line \d+/, '');
    throw new GradusError(
      `this line does not parse as ${delimiter === '\t' ? 'TSV' : 'CSV'} (${reason})`,
      `Every line must have as many fields as the header, with quotes closed. Fix or remove the line.`,
      { file, line },
    );
  }
}

async function scanJsonl(file: string, stream: Readable, visit: (row: RowVisit) => boolean | void) {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  let header: string[] = [];
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let obj: unknown;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      const m = /position (\d+)/.exec((e as Error).message);
      throw new GradusError(
        `this line is not valid JSON (${(e as Error).message})`,
        'Each line of a JSONL file must be one JSON object. Fix or remove the line.',
        { file, line, column: m ? Number(m[1]) + 1 : undefined },
      );
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
      throw new GradusError('this line is not a JSON object', 'Each line of a JSONL file must be one JSON object like {"model": ..., "item": ..., "correct": 1}.', { file, line, column: 1 });
    }
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec);
    for (const k of keys) if (!header.includes(k)) header = [...header, k];
    if (visit({ header, fields: header.map((k) => rec[k]), line })) break;
  }
}

async function scanParquet(file: string, visit: (row: RowVisit) => boolean | void) {
  const { conn, close } = await openDuck();
  try {
    const res = await conn.stream(`SELECT * FROM read_parquet(${sqlString(file)}, file_row_number=true)`);
    const names = res.columnNames();
    const rn = names.indexOf('file_row_number');
    const header = names.filter((_, k) => k !== rn);
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      for (const row of chunk.getRows()) {
        const fields = row.filter((_, k) => k !== rn).map((v) => (typeof v === 'bigint' ? Number(v) : v === null ? null : typeof v === 'object' ? String(v) : v));
        if (visit({ header, fields, line: Number(row[rn]) + 1 })) return;
      }
    }
  } finally {
    close();
  }
}

/** The header line of a CSV/TSV file, read by a real CSV parser (DuckDB's sniffer may pick another line as header on a ragged file). */
export async function readHeader(file: string, delimiter: string, gzip: boolean): Promise<string[]> {
  const stream = openText(file, gzip);
  try {
    const parser = stream.compose(parse({ delimiter, bom: true, relax_column_count: true, relax_quotes: true }));
    for await (const rec of parser as AsyncIterable<string[]>) return rec;
    return [];
  } catch (e) {
    throw asGzipError(file, e);
  } finally {
    stream.destroy();
  }
}
