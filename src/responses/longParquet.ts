/**
 * A long Parquet table (model, item, answer per row) decoded by parquetColumns.ts, row group by row group:
 * ids are mapped to matrix indices once per dictionary entry, and each row becomes one packed cell×8+code number
 * for applyPacked, the same stream DuckDB's path produces (tableSource.ts). Pass 1 collects the ids actually used;
 * pass 2 fills. Errors (an empty id, a bad answer, no rows) and locate() go to the DuckDB reader, so that they are
 * found and worded exactly as for any other table.
 */
import fs from 'node:fs';
import type { FileMetaData, SchemaElement } from 'hyparquet';
import { GradusError, type Place } from '../errors.js';
import { phase, phasePart, profiling } from '../util/phase.js';
import { applyPacked, newCounts, packedArray, CODE_BAD, CODE_MISSING, PACK } from './cellCodes.js';
import { answerMapper, columnSupported, decodeChunk, readChunks, unreadable, type ParquetTable } from './parquetColumns.js';
import { findLongNames } from './longHeader.js';
import { decodeIdGroups, EMPTY, ID_GROUPS, UsedIds, type IdGroup, type IdPass } from './parquetIds.js';
import { defaultThreads } from '../parallel/pool.js';
import { onParquetWorker } from './parquetThread.js';
import type { TableSource } from './tableSource.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

/** The columns of a long table by tableSource.ts's rules, when this reader can decode them; null otherwise. */
export function longColumns(md: FileMetaData, names: string[]): { model: number; item: number; value: number } | null {
  const named = findLongNames(names);
  if (!named) return null;
  const [model, item, value] = [named.model, named.item, named.value].map((n) => names.indexOf(n));
  const idType = (c: number) => ['BYTE_ARRAY', 'INT32', 'INT64'].includes(String(md.schema[1 + c].type));
  if (!idType(model) || !idType(item) || ![model, item, value].every((c) => columnSupported(md, c))) return null;
  return { model, item, value };
}

/**
 * pass 1's decoded ids kept for pass 2, at most this many bytes (two bytes a row and column while a file has under
 * 65,536 distinct ids): decoding the id columns again would double their cost
 */
const CACHE_BYTES = 512 << 20;

/** rows from which pass 1 is worth a worker thread (its start and the merge cost ~0.1 s) */
const WORKER_ROWS = 4_000_000;

/** the first group of the later half of the rows */
function splitAt(groups: IdGroup[]): number {
  const total = groups.reduce((n, g) => n + g.rows, 0);
  let rows = 0;
  let k = 0;
  while (k < groups.length && rows < total / 2) rows += groups[k++].rows;
  return k;
}

/** A worker's local ids in the main thread's numbering. */
function renumber(ids: Uint16Array | Int32Array, to: Int32Array, wide: boolean): Uint16Array | Int32Array {
  const out = wide && ids instanceof Uint16Array ? new Int32Array(ids.length) : ids;
  for (let k = 0; k < ids.length; k++) out[k] = to[ids[k]];
  return out;
}

export class LongParquetSource implements ResponseSource {
  readonly label: string;
  private duck: Promise<TableSource> | null = null;
  /** pass 1's model and item ids, and the row groups it kept decoded for pass 2 */
  private sets: UsedIds[] | null = null;
  private caches: IdPass['caches'] = [];

  constructor(
    readonly file: string,
    private readonly table: ParquetTable,
    private readonly cols: { model: number; item: number; value: number },
    private readonly fallback: () => Promise<TableSource>,
    private readonly workerRows = WORKER_ROWS,
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
        const cols = columns(g);
        const read = readChunks(fd, cols.map((c) => group.columns[c].meta_data!));
        decode(Number(group.num_rows), g, new Map(cols.map((c, k) => [c, read[k]])));
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

  /**
   * Pass 1, the later row groups on a worker thread when the table is large and a second core is there: on two
   * cores it is the larger half of the read.
   */
  private async decodeIdColumns(): Promise<{ models: string[]; items: string[] }> {
    const md = this.table.metadata;
    const { model, item } = this.cols;
    const elements = [model, item].map((c) => md.schema[1 + c]);
    const groups: IdGroup[] = md.row_groups.map((g) => ({ rows: Number(g.num_rows), chunks: [model, item].map((c) => g.columns[c].meta_data!) }));
    const rows = groups.reduce((n, g) => n + g.rows, 0);
    const half = rows >= this.workerRows && defaultThreads() > 1 && groups.length > 1 ? splitAt(groups) : groups.length;
    const later = half < groups.length ? onParquetWorker(ID_GROUPS, 0, groups.length - half, { path: this.table.path, elements, groups: groups.slice(half), budget: CACHE_BYTES / 2 }) : null;
    later?.catch(() => undefined);
    const first = decodeIdGroups(this.table.path, elements, groups.slice(0, half), later ? CACHE_BYTES / 2 : CACHE_BYTES);
    const sets = first.lists.map((list, k) => new UsedIds(list, first.seen[k]));
    const caches = first.caches;
    let empty = first.empty;
    if (later) {
      const r = await later;
      empty ||= r.empty;
      sets.forEach((set, k) => {
        const to = set.merge(r.lists[k], r.seen[k]);
        const wide = set.size() > 0xffff;
        caches[k].push(...r.caches[k].map((c) => c && renumber(c, to, wide)));
      });
    }
    phase('read: distinct ids');
    this.sets = sets;
    this.caches = caches;
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
    let m = new Int32Array(0);
    let i = new Int32Array(0);
    let a = new Int32Array(0);
    let packed: Int32Array | Float64Array = new Int32Array(0);
    const counts = newCounts();
    let jsTime = 0;
    const [mCache, iCache] = this.caches;
    const needed = (g: number) => [value, ...(mCache[g] ? [] : [model]), ...(iCache[g] ? [] : [item])];
    this.eachGroup(needed, (rows, g, chunks) => {
      const t = profiling ? performance.now() : 0;
      if (m.length < rows) {
        m = new Int32Array(rows);
        i = new Int32Array(rows);
        a = new Int32Array(rows);
        packed = packedArray(b.models.length * nI, rows);
      }
      const mc = mCache[g];
      const ic = iCache[g];
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
