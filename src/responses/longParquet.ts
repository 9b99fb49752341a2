/**
 * A long Parquet table (model, item, answer per row) decoded by parquetColumns.ts, row group by row group:
 * ids are mapped to matrix indices once per dictionary entry, and each row becomes one packed cell×8+code number
 * for applyPacked, the same stream DuckDB's path produces (tableSource.ts). Pass 1 collects the ids actually used;
 * pass 2 fills. Errors (an empty id, a bad answer, no rows) and locate() go to the DuckDB reader, so that they are
 * found and worded exactly as for any other table.
 */
import fs from 'node:fs';
import type { ColumnMetaData, FileMetaData } from 'hyparquet';
import type { Place } from '../errors.js';
import { phase, phasePart, profiling } from '../util/phase.js';
import { applyPacked, newCounts, CODE_MISSING, PACK } from './cellCodes.js';
import { answerMapper, columnSupported, decodeChunk, readChunks, type Mapper, type ParquetTable, type Values } from './parquetColumns.js';
import type { TableSource } from './tableSource.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

/** The columns of a long table by tableSource.ts's rules, when this reader can decode them; null otherwise. */
export function longColumns(md: FileMetaData, names: string[]): { model: number; item: number; value: number } | null {
  const find = (want: string) => names.findIndex((n) => n.trim().toLowerCase() === want);
  const model = find('model');
  const item = find('item');
  const correct = find('correct');
  const value = correct >= 0 ? correct : find('score');
  if (model < 0 || item < 0 || value < 0) return null;
  const idType = (c: number) => ['BYTE_ARRAY', 'INT32', 'INT64'].includes(String(md.schema[1 + c].type));
  if (!idType(model) || !idType(item) || ![model, item, value].every((c) => columnSupported(md, c))) return null;
  return { model, item, value };
}

/** an id as DuckDB's CAST(... AS VARCHAR) writes it: strings as they are, integers in decimal */
function idStrings(values: Values): string[] {
  return values.kind === 'string' ? values.data : Array.from(values.data as ArrayLike<number | bigint>, String);
}

/** a code that no id maps to: a null or blank id, which the DuckDB reader then finds and reports */
const EMPTY = -1;

export class LongParquetSource implements ResponseSource {
  readonly label: string;
  private duck: Promise<TableSource> | null = null;

  constructor(
    readonly file: string,
    private readonly table: ParquetTable,
    private readonly cols: { model: number; item: number; value: number },
    private readonly fallback: () => Promise<TableSource>,
  ) {
    this.label = file;
  }

  private duckSource(): Promise<TableSource> {
    this.duck ??= this.fallback();
    return this.duck;
  }

  /** Every row group's chunks of `columns`, decoded by `decode` in order. */
  private eachGroup(columns: number[], decode: (rows: number, chunks: { bytes: Uint8Array; meta: ColumnMetaData }[]) => void): void {
    const fd = fs.openSync(this.table.path, 'r');
    try {
      for (const g of this.table.metadata.row_groups) {
        const metas = columns.map((c) => g.columns[c].meta_data!);
        const order = metas.map((_, k) => k).sort((a, b) => Number(metas[a].data_page_offset) - Number(metas[b].data_page_offset));
        const read = readChunks(fd, order.map((k) => metas[k]));
        const bytes: Uint8Array[] = [];
        order.forEach((k, j) => (bytes[k] = read[j]));
        decode(Number(g.num_rows), metas.map((meta, k) => ({ bytes: bytes[k], meta })));
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    const sets = [new UsedIds(), new UsedIds()];
    const els = [this.cols.model, this.cols.item].map((c) => this.table.metadata.schema[1 + c]);
    let local = new Int32Array(0);
    let empty = false;
    this.eachGroup([this.cols.model, this.cols.item], (rows, chunks) => {
      if (local.length < rows) local = new Int32Array(rows);
      chunks.forEach(({ bytes, meta }, k) => {
        decodeChunk(bytes, meta, els[k], sets[k].mapper, EMPTY, local, 0);
        if (!sets[k].mark(local, rows)) empty = true;
      });
    });
    phase('read: distinct ids');
    if (empty || sets[0].used().length === 0) return (await this.duckSource()).ids();
    return { models: sets[0].used(), items: sets[1].used() };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    const md = this.table.metadata;
    const els = [this.cols.model, this.cols.item, this.cols.value].map((c) => md.schema[1 + c]);
    const nI = b.nItems;
    const index = (ids: Map<string, number>): Mapper => (values) => Int32Array.from(idStrings(values), (id) => ids.get(id) ?? EMPTY);
    const mappers = [index(b.modelIndex), index(b.itemIndex), answerMapper(threshold)];
    const wide = b.models.length * nI * PACK >= 2 ** 31;
    let m = new Int32Array(0);
    let i = new Int32Array(0);
    let a = new Int32Array(0);
    let packed: Int32Array | Float64Array = new Int32Array(0);
    const counts = newCounts();
    let jsTime = 0;
    this.eachGroup([this.cols.model, this.cols.item, this.cols.value], (rows, [cm, ci, ca]) => {
      const t = profiling ? performance.now() : 0;
      if (m.length < rows) {
        m = new Int32Array(rows);
        i = new Int32Array(rows);
        a = new Int32Array(rows);
        packed = wide ? new Float64Array(rows) : new Int32Array(rows);
      }
      decodeChunk(cm.bytes, cm.meta, els[0], mappers[0], EMPTY, m, 0);
      decodeChunk(ci.bytes, ci.meta, els[1], mappers[1], EMPTY, i, 0);
      decodeChunk(ca.bytes, ca.meta, els[2], mappers[2], CODE_MISSING, a, 0);
      for (let k = 0; k < rows; k++) packed[k] = (m[k] * nI + i[k]) * PACK + a[k];
      applyPacked(b, packed, rows, counts);
      if (profiling) jsTime += performance.now() - t;
    });
    phasePart('read: fill, JS loop', jsTime / 1000);
    if (counts.bad > 0) throw await (await this.duckSource()).firstBadCell();
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    return (await this.duckSource()).locate(model, item);
  }

  close(): void {
    this.duck?.then((d) => d.close()).catch(() => undefined);
  }
}

/** A column's distinct ids, by first appearance, and which of them some row uses (a dictionary may hold more). */
class UsedIds {
  private readonly index = new Map<string, number>();
  private readonly list: string[] = [];
  private seen = new Uint8Array(1024);

  readonly mapper: Mapper = (values) =>
    Int32Array.from(idStrings(values), (id) => {
      if (id.trim() === '') return EMPTY;
      let k = this.index.get(id);
      if (k === undefined) {
        k = this.list.push(id) - 1;
        this.index.set(id, k);
      }
      return k;
    });

  /** Marks the ids of `rows` rows; false when one of them is null or blank. */
  mark(local: Int32Array, rows: number): boolean {
    if (this.seen.length < this.list.length) {
      const grown = new Uint8Array(Math.max(this.list.length, this.seen.length * 2));
      grown.set(this.seen);
      this.seen = grown;
    }
    const seen = this.seen;
    let ok = true;
    for (let k = 0; k < rows; k++) {
      const id = local[k];
      if (id < 0) ok = false;
      else seen[id] = 1;
    }
    return ok;
  }

  used(): string[] {
    return this.list.filter((_, k) => this.seen[k]);
  }
}
