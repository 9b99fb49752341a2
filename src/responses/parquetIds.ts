/**
 * Pass 1 of a long Parquet table (longParquet.ts): the model and item columns of a run of row groups decoded to
 * local ids (numbered by first appearance), which ids some row uses (a dictionary may hold more), and the decoded
 * columns themselves, kept for pass 2 within a byte budget. Plain data in and out, so that a worker thread
 * (parquetWorker.ts) can run it on half the row groups while the main thread runs the other half.
 */
import fs from 'node:fs';
import type { ColumnMetaData, SchemaElement } from 'hyparquet';
import type { Kernel } from '../parallel/runner.js';
import { decodeChunk, readChunks, type Mapper, type Values } from './parquetColumns.js';

/** a code that no id maps to: a null or blank id, which the DuckDB reader then finds and reports */
export const EMPTY = -1;

/** one row group's model and item chunks */
export interface IdGroup {
  rows: number;
  chunks: ColumnMetaData[];
}

/** what pass 1 found over some row groups, per id column */
export interface IdPass {
  lists: string[][];
  seen: Uint8Array[];
  /** per column, per row group of the run: its local ids, or null when over the budget */
  caches: Array<Array<Uint16Array | Int32Array | null>>;
  /** some row has a null or blank id */
  empty: boolean;
}

/** an id as DuckDB's CAST(... AS VARCHAR) writes it: strings as they are, integers in decimal */
function idStrings(values: Values): string[] {
  return values.kind === 'string' ? values.data : Array.from(values.data as ArrayLike<number | bigint>, String);
}

/** A column's distinct ids, by first appearance, and which of them some row uses. */
export class UsedIds {
  private readonly index = new Map<string, number>();
  private seen: Uint8Array = new Uint8Array(1024);

  constructor(private readonly list: string[] = [], seen?: Uint8Array) {
    list.forEach((id, k) => this.index.set(id, k));
    if (seen) this.seen = seen;
  }

  readonly mapper: Mapper = (values) =>
    Int32Array.from(idStrings(values), (id) => {
      if (id.trim() === '') return EMPTY;
      return this.localId(id);
    });

  localId(id: string): number {
    let k = this.index.get(id);
    if (k === undefined) {
      k = this.list.push(id) - 1;
      this.index.set(id, k);
    }
    return k;
  }

  /** Marks the ids of `rows` rows; false when one of them is null or blank. */
  mark(local: Int32Array, rows: number): boolean {
    this.grow();
    const seen = this.seen;
    let ok = true;
    for (let k = 0; k < rows; k++) {
      const id = local[k];
      if (id < 0) ok = false;
      else seen[id] = 1;
    }
    return ok;
  }

  private grow(): void {
    if (this.seen.length >= this.list.length) return;
    const grown = new Uint8Array(Math.max(this.list.length, this.seen.length * 2));
    grown.set(this.seen);
    this.seen = grown;
  }

  /** Takes in another run's ids: returns its local ids in this numbering. */
  merge(list: string[], seen: Uint8Array): Int32Array {
    const to = Int32Array.from(list, (id) => this.localId(id));
    this.grow();
    to.forEach((k, j) => (this.seen[k] |= seen[j]));
    return to;
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

  usedFlags(): Uint8Array {
    this.grow();
    return this.seen;
  }
}

/** Pass 1 over `groups` of file `path`, whose id columns are `elements` (model, item). */
export function decodeIdGroups(path: string, elements: SchemaElement[], groups: IdGroup[], budget: number): IdPass {
  const sets = elements.map(() => new UsedIds());
  const caches: IdPass['caches'] = elements.map(() => []);
  let local = new Int32Array(0);
  let empty = false;
  const fd = fs.openSync(path, 'r');
  try {
    for (const { rows, chunks } of groups) {
      if (local.length < rows) local = new Int32Array(rows);
      const read = readChunks(fd, chunks);
      chunks.forEach((chunk, k) => {
        decodeChunk(read[k], chunk, elements[k], sets[k].mapper, EMPTY, local, 0);
        if (!sets[k].mark(local, rows)) empty = true;
        const narrow = sets[k].size() <= 0xffff;
        const bytes = rows * (narrow ? 2 : 4);
        if (budget < bytes) return void caches[k].push(null);
        const kept = narrow ? new Uint16Array(rows) : new Int32Array(rows);
        kept.set(local.subarray(0, rows));
        budget -= bytes;
        caches[k].push(kept);
      });
    }
  } finally {
    fs.closeSync(fd);
  }
  return { lists: sets.map((s) => s.all() as string[]), seen: sets.map((s) => s.usedFlags()), caches, empty };
}

/** pass 1 of row groups [from, to) of a task's groups, by name for parquetWorker.ts */
export interface IdTask {
  path: string;
  elements: SchemaElement[];
  groups: IdGroup[];
  budget: number;
}

export const ID_GROUPS: Kernel<IdTask, IdPass> = {
  name: 'parquetIdGroups',
  run: (t, from, to) => decodeIdGroups(t.path, t.elements, t.groups.slice(from, to), t.budget),
};
