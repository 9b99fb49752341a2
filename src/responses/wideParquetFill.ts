/**
 * The fill of a wide Parquet table's item columns (wideParquet.ts), as a kernel over a range of its columns: each
 * row group's chunks decoded by parquetColumns.ts, a column at a time, straight into the matrix. Plain data in
 * and out and the matrix on shared memory, so that a worker thread (parquetWorker.ts) can fill half the columns
 * while the main thread fills the other half: different columns are different cells.
 */
import fs from 'node:fs';
import type { ColumnMetaData, SchemaElement } from 'hyparquet';
import type { Kernel } from '../parallel/runner.js';
import { applyColumn, newCounts, CODE_BAD, CODE_MISSING, type CellSink, type FillCounts } from './cellCodes.js';
import { answerMapper, decodeChunk, readChunks } from './parquetColumns.js';

export interface WideFillTask {
  path: string;
  /** per row group: its rows, and its chunks of the task's columns, in the task's order */
  groups: Array<{ rows: number; chunks: ColumnMetaData[] }>;
  /** per task column: its schema element, its index in the file, its matrix column */
  elements: SchemaElement[];
  fileColumns: Int32Array;
  items: Int32Array;
  /** per file row: the matrix cell of its first item */
  rowCells: Float64Array;
  threshold: number;
  /** the matrix's cells, on shared memory (a worker writes them in place) */
  data: Uint8Array;
}

export interface WideFillResult {
  counts: FillCounts;
  /** the first bad cell in row order, by file row and column; its raw value is for the caller to read back */
  bad: { row: number; column: number } | null;
}

/** Fill task columns [from, to) into `sink` (a worker's: the shared cells, each written once). */
export function fillWideColumns(t: WideFillTask, from: number, to: number, sink: CellSink): WideFillResult {
  const mapper = answerMapper(t.threshold);
  const counts = newCounts();
  let bad: WideFillResult['bad'] = null;
  let codes = new Int32Array(0);
  const fd = fs.openSync(t.path, 'r');
  try {
    let rowStart = 0;
    for (const g of t.groups) {
      const n = g.rows;
      if (codes.length < n) codes = new Int32Array(n);
      const read = readChunks(fd, g.chunks.slice(from, to));
      for (let c = from; c < to; c++) {
        decodeChunk(read[c - from], g.chunks[c], t.elements[c], mapper, CODE_MISSING, codes, 0, CODE_BAD);
        const before = counts.bad;
        applyColumn(sink, codes, n, t.rowCells, rowStart, t.items[c], counts);
        if (counts.bad > before) {
          const row = rowStart + codes.subarray(0, n).indexOf(CODE_BAD);
          const column = t.fileColumns[c];
          if (!bad || row < bad.row || (row === bad.row && column < bad.column)) bad = { row, column };
        }
      }
      rowStart += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { counts, bad };
}

/**
 * On a worker: the caller splits only a table whose model ids are distinct into a matrix with no answer yet, so no
 * cell is written twice and the builder's rules for repeats (and the conflict it names) stay on one thread.
 */
export const WIDE_FILL: Kernel<WideFillTask, WideFillResult> = {
  name: 'wideParquetFill',
  run: (t, from, to) =>
    fillWideColumns(t, from, to, {
      data: t.data,
      set: (cell) => {
        throw new Error(`cell ${cell} was written twice on a worker`);
      },
    }),
};
