/**
 * A long Parquet table (model, item, answer per row) decoded by parquetColumns.ts, row group by row group:
 * ids are mapped to matrix indices once per dictionary entry, and each row becomes one packed cell×8+code number
 * for applyPacked, the same stream DuckDB's path produces (tableSource.ts). Pass 1 collects the ids actually used;
 * pass 2 fills. Errors (an empty id, a bad answer, no rows) and locate() go to the DuckDB reader, so that they are
 * found and worded exactly as for any other table.
 */
import fs from 'node:fs';
import type { FileMetaData } from 'hyparquet';
import { GradusError, type Place } from '../errors.js';
import { phase, phasePart, profiling } from '../util/phase.js';
import { applyPacked, newCounts, CODE_BAD, CODE_MISSING, PACK } from './cellCodes.js';
import { answerMapper, columnSupported, decodeChunk, readChunks, unreadable, type Mapper, type ParquetTable, type Values } from './parquetColumns.js';
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

/**
 * pass 1's decoded ids kept for pass 2, at most this many bytes (two bytes a row and column while a file has under
 * 65,536 distinct ids): decoding the id columns again was most of pass 2's work
 */
const CACHE_BYTES = 512 << 20;

/** a code that no id maps to: a null or blank id, which the DuckDB reader then finds and reports */
const EMPTY = -1;

export class LongParquetSource implements ResponseSource {
  readonly label: string;
  private duck: Promise<TableSource> | null = null;
  /** pass 1's model and item ids, and the row groups it kept decoded for pass 2 */
  private sets: UsedIds[] | null = null;

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

  /** Every row group's chunks of the columns `columns(group)` names, in order, decoded by `decode`. */
  private eachGroup(columns: (g: number) => number[], decode: (rows: number, g: number, chunks: Map<number, Uint8Array>) => void): void {
    const fd = fs.openSync(this.table.path, 'r');
    try {
      this.table.metadata.row_groups.forEach((group, g) => {
        const metas = columns(g).map((c) => ({ c, meta: group.columns[c].meta_data! }));
        metas.sort((x, y) => Number(x.meta.data_page_offset) - Number(y.meta.data_page_offset));
        const read = readChunks(fd, metas.map((m) => m.meta));
        decode(Number(group.num_rows), g, new Map(metas.map((m, k) => [m.c, read[k]])));
      });
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Column `c`'s chunk of row group `g` as local ids of `ids` (-1: null or blank) in out[0, rows). */
  private decodeIds(c: number, g: number, bytes: Uint8Array, ids: UsedIds, out: Int32Array): void {
    const md = this.table.metadata;
    decodeChunk(bytes, md.row_groups[g].columns[c].meta_data!, md.schema[1 + c], ids.mapper, EMPTY, out, 0);
  }

  /**
   * Pages this decoder cannot make sense of (a damaged file, a writer's quirk) hand the whole table to DuckDB's
   * reader, which either reads it or says in its words what is wrong.
   */
  async ids(): Promise<{ models: string[]; items: string[] }> {
    try {
      return await this.decodeIdColumns();
    } catch (e) {
      if (e instanceof GradusError) throw e;
      this.sets = null;
      return (await this.duckSource()).ids();
    }
  }

  private async decodeIdColumns(): Promise<{ models: string[]; items: string[] }> {
    const { model, item } = this.cols;
    const sets = [new UsedIds(), new UsedIds()];
    let local = new Int32Array(0);
    let empty = false;
    let budget = CACHE_BYTES;
    this.eachGroup(() => [model, item], (rows, g, chunks) => {
      if (local.length < rows) local = new Int32Array(rows);
      [model, item].forEach((c, k) => {
        this.decodeIds(c, g, chunks.get(c)!, sets[k], local);
        if (!sets[k].mark(local, rows)) empty = true;
        const kept = sets[k].size() <= 0xffff ? new Uint16Array(rows) : new Int32Array(rows);
        kept.set(local.subarray(0, rows));
        if (budget >= kept.byteLength) {
          budget -= kept.byteLength;
          sets[k].cache[g] = kept;
        }
      });
    });
    phase('read: distinct ids');
    this.sets = sets;
    if (empty || sets[0].used().length === 0) return (await this.duckSource()).ids();
    return { models: sets[0].used(), items: sets[1].used() };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    if (!this.sets) return (await this.duckSource()).fill(b, threshold);
    try {
      return await this.fillDecoded(b, threshold);
    } catch (e) {
      throw e instanceof GradusError ? e : unreadable(this.file, e);
    }
  }

  private async fillDecoded(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    const md = this.table.metadata;
    const { model, item, value } = this.cols;
    const [models, items] = this.sets!;
    const nI = b.nItems;
    // local ids to matrix cells: a model's row start, an item's column
    const rowOf = Float64Array.from(models.all(), (id) => (b.modelIndex.get(id) ?? 0) * nI);
    const colOf = Int32Array.from(items.all(), (id) => b.itemIndex.get(id) ?? 0);
    const answers = answerMapper(threshold);
    const wide = b.models.length * nI * PACK >= 2 ** 31;
    let m = new Int32Array(0);
    let i = new Int32Array(0);
    let a = new Int32Array(0);
    let packed: Int32Array | Float64Array = new Int32Array(0);
    const counts = newCounts();
    let jsTime = 0;
    const needed = (g: number) => [value, ...(models.cache[g] ? [] : [model]), ...(items.cache[g] ? [] : [item])];
    this.eachGroup(needed, (rows, g, chunks) => {
      const t = profiling ? performance.now() : 0;
      if (m.length < rows) {
        m = new Int32Array(rows);
        i = new Int32Array(rows);
        a = new Int32Array(rows);
        packed = wide ? new Float64Array(rows) : new Int32Array(rows);
      }
      const mc = models.cache[g];
      const ic = items.cache[g];
      if (mc) m.set(mc);
      else this.decodeIds(model, g, chunks.get(model)!, models, m);
      if (ic) i.set(ic);
      else this.decodeIds(item, g, chunks.get(item)!, items, i);
      decodeChunk(chunks.get(value)!, md.row_groups[g].columns[value].meta_data!, md.schema[1 + value], answers, CODE_MISSING, a, 0, CODE_BAD);
      for (let k = 0; k < rows; k++) packed[k] = (rowOf[m[k]] + colOf[i[k]]) * PACK + a[k];
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
  /** row group → its local ids, for the row groups pass 1 kept */
  readonly cache: Array<Uint16Array | Int32Array | undefined> = [];

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

  /** every id met, used or not, by local id */
  all(): readonly string[] {
    return this.list;
  }

  size(): number {
    return this.list.length;
  }
}
