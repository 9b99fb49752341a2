/**
 * Wide tables for bench/ingest: one row per model, the model id first, one column per item, an empty cell missing.
 * Written from JS, row by row, because DuckDB's pivot of the long table into 21,000 columns is itself the kind of
 * query the wide readers exist to avoid; the Parquet copy is DuckDB's COPY of that CSV with every column declared.
 */
import fs from 'node:fs';
import { openDuck, sqlString } from '../src/util/duck.js';
import { MISSING, type ResponseMatrix } from '../src/responses/matrix.js';
import { csvField } from '../src/util/csv.js';

const CELL = ['0', '1'];

function writeRows(file: string, items: readonly string[], nRows: number, row: (r: number, out: string[]) => string): void {
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, 'model,' + items.map(csvField).join(',') + '\n');
    const out = new Array<string>(items.length);
    let pending: string[] = [];
    let size = 0;
    for (let r = 0; r < nRows; r++) {
      const line = row(r, out);
      pending.push(line);
      size += line.length;
      if (size > 1 << 24 || r === nRows - 1) {
        fs.writeSync(fd, pending.join(''));
        pending = [];
        size = 0;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** The matrix as a wide CSV: the same cells, so reading it back must give the same matrix. */
export function writeWideCsv(file: string, m: ResponseMatrix): void {
  const nI = m.items.length;
  writeRows(file, m.items, m.models.length, (r, out) => {
    for (let i = 0; i < nI; i++) {
      const v = m.data[r * nI + i];
      out[i] = v === MISSING ? '' : CELL[v];
    }
    return `${csvField(m.models[r])},${out.join(',')}\n`;
  });
}

/** A simulated nModels × nItems wide CSV (Rasch-like, `missing` share empty), written without a long table first. */
export function simulateWideCsv(file: string, nModels: number, nItems: number, missing: number): void {
  let s = 12345;
  const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 4294967296;
  const items = Array.from({ length: nItems }, (_, i) => `task/${i}`);
  writeRows(file, items, nModels, (m, out) => {
    for (let i = 0; i < nItems; i++) out[i] = rnd() < missing ? '' : rnd() < 1 / (1 + Math.exp(-((m % 97) / 24 - 2 - ((i % 89) / 22 - 2)))) ? '1' : '0';
    return `org/model-${m},${out.join(',')}\n`;
  });
}

/** The wide CSV as Parquet, 0/1 as TINYINT, NULL for missing; the columns are declared, so DuckDB sniffs nothing. */
export async function writeWideParquet(csv: string, parquet: string, items: readonly string[]): Promise<void> {
  const duck = await openDuck('2GB');
  try {
    const spec = [`'model': 'VARCHAR'`, ...items.map((i) => `${sqlString(i)}: 'TINYINT'`)].join(', ');
    await duck.conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header=true, auto_detect=false, delim=',', quote='"', columns={${spec}})) TO ${sqlString(parquet)} (FORMAT parquet)`);
  } finally {
    duck.close();
  }
}
