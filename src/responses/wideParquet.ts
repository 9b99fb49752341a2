/**
 * A wide Parquet table (one row per model, one column per item) read by hyparquet, a few hundred columns at a
 * time. DuckDB binds every query against the whole schema, so at 21,000 columns each batch cost most of a second
 * before a value moved (20 CPU-seconds for the table, twice hyparquet's), and one query over every column was
 * slower still. hyparquet plans a read over the metadata it is given, so each batch gets the metadata of its own
 * columns only (the byte offsets stay those of the file) and the whole table costs one pass over its values.
 */
import zlib from 'node:zlib';
import { asyncBufferFromFile, parquetMetadataAsync, parquetRead, type Compressors, type FileMetaData } from 'hyparquet';
import type { Place } from '../errors.js';
import { applyCodes, memoCoder, newCounts, CODE_BAD, CODE_MISSING, CODE_RIGHT, CODE_WRONG } from './cellCodes.js';
import { checkUniqueNames } from './headerCheck.js';
import { badItemError, checkWideColumns, emptyIdError, firstColumnIsId, wideModels } from './wideIds.js';
import type { IdColumn } from './tableSource.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

/** columns per read: small enough that a batch's decoded values stay a few MB per thousand rows */
const BATCH = 500;

/** hyparquet unpacks Snappy itself; gzip and Brotli come from node's zlib; a file in any other codec goes to DuckDB */
const COMPRESSORS: Compressors = {
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
};
const CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', ...Object.keys(COMPRESSORS)]);

type Buffer = Awaited<ReturnType<typeof asyncBufferFromFile>>;

export interface ParquetTable {
  file: Buffer;
  metadata: FileMetaData;
  /** the column names, when every column is a plain (not nested) one; null otherwise */
  names: string[] | null;
}

/** The file's footer, read once; a file hyparquet cannot read is left to DuckDB's reader and its messages. */
export async function openParquet(path: string): Promise<ParquetTable | null> {
  let table: ParquetTable;
  try {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const leaves = metadata.schema.slice(1);
    const flat = metadata.schema[0].num_children === leaves.length && leaves.every((s) => !s.num_children);
    if (!metadata.row_groups.every((g) => g.columns.every((c) => CODECS.has(String(c.meta_data?.codec))))) return null;
    table = { file, metadata, names: flat ? leaves.map((s) => s.name) : null };
  } catch {
    return null;
  }
  if (table.names) checkUniqueNames(table.names, { file: path });
  return table;
}

export class WideParquetSource implements ResponseSource {
  readonly label: string;
  private readonly names: string[];
  private idColumn = false;
  private modelIds: string[] | null = null;

  constructor(readonly file: string, private readonly table: ParquetTable, private readonly idChoice: IdColumn | undefined) {
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
    const counts = newCounts();
    const code = memoCoder(threshold);
    let codes = new Uint8Array(0);
    // columns are read in batches, so the first bad cell in row order is kept, not the first one met
    let bad: { row: number; column: number; raw: unknown } | null = null;
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
    if (bad) throw this.badCell(bad);
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  private badCell({ row, column, raw }: { row: number; column: number; raw: unknown }) {
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
