/**
 * A wide Parquet table (one row per model, one column per item). Item columns that parquetColumns.ts decodes (the
 * common flat ones) go straight to answer codes, with no JS value per cell for the GC to collect; the id column,
 * the cells an error names, and tables with any other column are read by hyparquet, a few hundred columns at a
 * time. Not DuckDB: it binds every query against the whole schema, so at 21,000 columns each batch cost most of a
 * second before a value moved, and one query over every column was slower still. hyparquet plans a read over the
 * metadata it is given, so each batch gets the metadata of its own columns only (the byte offsets stay those of
 * the file) and the whole table costs one pass over its values.
 */
import fs from 'node:fs';
import { parquetRead, type FileMetaData } from 'hyparquet';
import { GradusError, type Place } from '../errors.js';
import { applyCodes, memoCoder, newCounts, type FillCounts, CODE_BAD, CODE_MISSING, CODE_RIGHT, CODE_WRONG } from './cellCodes.js';
import { badItemError, checkWideColumns, emptyIdError, firstColumnIsId, wideModels } from './wideIds.js';
import type { IdColumn } from './tableSource.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';
import { columnSupported, COMPRESSORS, unreadable, type ParquetTable } from './parquetColumns.js';
import { fillWideColumns, WIDE_FILL, type WideFillResult, type WideFillTask } from './wideParquetFill.js';
import { defaultThreads } from '../parallel/pool.js';
import { onParquetWorker } from './parquetThread.js';
import { rowOffsets } from './matrix.js';

type BadCell = { row: number; column: number; raw: unknown };

/** cells from which the fill is worth a worker thread (its start costs ~0.1 s) */
const WORKER_CELLS = 8_000_000;

/** columns per read: small enough that a batch's decoded values stay a few MB per thousand rows */
const BATCH = 500;

/** the main thread's share of the columns: the worker starts ~0.2 s later (a thread, and its modules to load) */
const MAIN_SHARE = 0.56;

/** Columns [from, to) of `task` alone, numbered from 0: a worker is sent only their metadata (a copy each). */
function columnsOf(task: WideFillTask, from: number, to: number): WideFillTask {
  return {
    ...task,
    groups: task.groups.map((g) => ({ rows: g.rows, chunks: g.chunks.slice(from, to) })),
    elements: task.elements.slice(from, to),
    fileColumns: task.fileColumns.slice(from, to),
    items: task.items.slice(from, to),
  };
}

export class WideParquetSource implements ResponseSource {
  readonly label: string;
  private readonly names: string[];
  private idColumn = false;
  private modelIds: string[] | null = null;
  /** threads the last decoded fill ran on (1, or 2 with a worker) */
  threads = 1;

  constructor(
    readonly file: string,
    private readonly table: ParquetTable,
    private readonly idChoice: IdColumn | undefined,
    private readonly workerCells = WORKER_CELLS,
  ) {
    this.label = file;
    this.names = table.names!;
  }

  /** Columns [from, to) of every row group: onChunk gets each column's values with the row they start at. */
  private read(from: number, to: number, onChunk: (column: number, rowStart: number, values: ArrayLike<unknown>) => void): Promise<void> {
    const md = this.table.metadata;
    const metadata: FileMetaData = {
      ...md,
      schema: [{ ...md.schema[0], num_children: to - from }, ...md.schema.slice(1 + from, 1 + to)],
      row_groups: md.row_groups.map((g) => ({ ...g, columns: g.columns.slice(from, to) })),
    };
    const index = new Map(this.names.slice(from, to).map((n, k) => [n, from + k]));
    return parquetRead({
      file: this.table.file,
      metadata,
      compressors: COMPRESSORS,
      onChunk: ({ columnName, columnData, rowStart }) => onChunk(index.get(columnName)!, rowStart, columnData as ArrayLike<unknown>),
    });
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    checkWideColumns(this.file, this.names, this.idChoice, undefined);
    const rows = Number(this.table.metadata.num_rows);
    const first: unknown[] = new Array(rows).fill(null);
    await this.read(0, 1, (_, start, values) => {
      for (let r = 0; r < values.length; r++) first[start + r] = values[r];
    });
    this.idColumn = firstColumnIsId(this.names[0], first, this.idChoice);
    if (this.idColumn) {
      const ids = first.map((v) => (v === null || v === undefined ? '' : String(v)));
      const empty = ids.findIndex((id) => id.trim() === '');
      if (empty >= 0) throw emptyIdError(this.file, empty + 1);
      this.modelIds = ids;
    }
    const models = wideModels(this.file, this.modelIds, rows);
    return { models, items: this.idColumn ? this.names.slice(1) : this.names };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    const rows = Number(this.table.metadata.num_rows);
    const nI = b.nItems;
    const base = Float64Array.from({ length: rows }, (_, r) => b.modelIndex.get(this.modelIds ? this.modelIds[r] : String(r + 1))! * nI);
    const itemIx = Int32Array.from(this.names, (name) => b.itemIndex.get(name) ?? -1);
    const first = this.idColumn ? 1 : 0;
    const md = this.table.metadata;
    const decodable = this.names.every((_, c) => c < first || columnSupported(md, c));
    const counts = newCounts();
    let bad: BadCell | null;
    try {
      bad = decodable ? await this.fillDecoded(b, threshold, base, itemIx, counts) : await this.fillGeneral(b, threshold, base, itemIx, counts);
    } catch (e) {
      throw e instanceof GradusError ? e : unreadable(this.file, e);
    }
    if (bad) throw this.badCell(bad.raw === undefined ? { ...bad, raw: await this.valueAt(bad.row, bad.column) } : bad);
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  /**
   * Item columns decoded by parquetColumns.ts (wideParquetFill.ts): no JS value per cell. A large table with
   * distinct model ids read into a matrix with no answer yet (the first input) has its later columns filled by a
   * worker thread: no cell is written twice, so repeats and conflicts, and the one named, never depend on the
   * threads. Returns the first bad cell in row order (its raw value to be read back by hyparquet), or null.
   */
  private async fillDecoded(b: MatrixBuilder, threshold: number, base: Float64Array, itemIx: Int32Array, counts: FillCounts): Promise<BadCell | null> {
    const md = this.table.metadata;
    const order = this.names.map((_, c) => c).filter((c) => c >= (this.idColumn ? 1 : 0));
    const task: WideFillTask = {
      path: this.table.path,
      groups: md.row_groups.map((g) => ({ rows: Number(g.num_rows), chunks: order.map((c) => g.columns[c].meta_data!) })),
      elements: order.map((c) => md.schema[1 + c]),
      fileColumns: Int32Array.from(order),
      items: Int32Array.from(order, (c) => itemIx[c]),
      rowCells: base,
      threshold,
      data: b.data,
    };
    const split =
      base.length * order.length >= this.workerCells &&
      defaultThreads() > 1 &&
      b.data.buffer instanceof SharedArrayBuffer &&
      (!this.modelIds || new Set(this.modelIds).size === this.modelIds.length) &&
      // no answer in the matrix yet: the count of its cells as one row
      rowOffsets(b.data, 1, b.data.length)[1] === 0;
    const half = split ? Math.round(order.length * MAIN_SHARE) : order.length;
    this.threads = split ? 2 : 1;
    const later = split ? onParquetWorker(WIDE_FILL, 0, order.length - half, columnsOf(task, half, order.length)) : null;
    later?.catch(() => undefined);
    let mine: WideFillResult;
    try {
      mine = fillWideColumns(task, 0, half, b);
    } catch (e) {
      // the worker writes into the same cells: it is done before the error goes on
      await later?.catch(() => undefined);
      throw e;
    }
    const results = later ? [mine, await later] : [mine];
    let bad: BadCell | null = null;
    for (const r of results) {
      counts.rows += r.counts.rows;
      counts.missing += r.counts.missing;
      counts.fractional += r.counts.fractional;
      counts.bad += r.counts.bad;
      if (r.bad && (!bad || r.bad.row < bad.row || (r.bad.row === bad.row && r.bad.column < bad.column))) bad = { ...r.bad, raw: undefined };
    }
    return bad;
  }

  /** The cell at (row, column) as hyparquet reads it, for an error message. */
  private async valueAt(row: number, column: number): Promise<unknown> {
    let raw: unknown = null;
    await this.read(column, column + 1, (_, start, values) => {
      if (row >= start && row < start + values.length) raw = values[row - start];
    });
    return raw;
  }

  /** Any other flat columns, read by hyparquet a batch of columns at a time. */
  private async fillGeneral(b: MatrixBuilder, threshold: number, base: Float64Array, itemIx: Int32Array, counts: FillCounts): Promise<BadCell | null> {
    const code = memoCoder(threshold);
    let codes = new Uint8Array(0);
    // columns are read in batches, so the first bad cell in row order is kept, not the first one met
    let bad: BadCell | null = null;
    for (let from = this.idColumn ? 1 : 0; from < this.names.length; from += BATCH) {
      await this.read(from, Math.min(from + BATCH, this.names.length), (column, rowStart, values) => {
        const n = values.length;
        if (codes.length < n) codes = new Uint8Array(n);
        for (let r = 0; r < n; r++) {
          const v = values[r];
          let a: number;
          if (v === 0 || v === false) a = CODE_WRONG;
          else if (v === 1 || v === true) a = CODE_RIGHT;
          else if (v === null || v === undefined) a = CODE_MISSING;
          else {
            a = code(v);
            if (a === CODE_BAD && (!bad || rowStart + r < bad.row || (rowStart + r === bad.row && column < bad.column))) bad = { row: rowStart + r, column, raw: v };
          }
          codes[r] = a;
        }
        const item = itemIx[column];
        applyCodes(b, codes, n, (r) => base[rowStart + r] + item, counts);
      });
    }
    return bad;
  }

  private badCell({ row, column, raw }: BadCell) {
    const name = this.names[column];
    return badItemError(typeof raw === 'bigint' ? Number(raw) : raw, name, { file: this.file, line: row + 1, column: `${column + 1} (${name})` });
  }

  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    const col = this.names.indexOf(item);
    const out: Array<Place & { answer: string }> = [];
    if (col < 0) return out;
    await this.read(col, col + 1, (_, start, values) => {
      for (let r = 0; r < values.length; r++) {
        const id = this.modelIds ? this.modelIds[start + r] : String(start + r + 1);
        if (id === model) out.push({ file: this.file, line: start + r + 1, column: col + 1, answer: String(values[r]) });
      }
    });
    return out;
  }

  close(): void {}
}
