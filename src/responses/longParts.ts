/**
 * A long CSV/TSV file's rows as parts, in file order (longRows.ts). A plain file is cut into byte ranges at line
 * ends and the ranges read by worker threads, one range per worker at a time, each worker numbering its ids across
 * its ranges. A cut is known to be a record start only once the range before it ended on a whole record (parsing
 * from the file's start is the only way to tell a line end from a line break inside quotes): when one did not, the
 * parts read after it are dropped and the file is read again as one stream, as a gzipped file always is.
 */
import fs from 'node:fs';
import { WorkerPool } from '../parallel/pool.js';
import type { Kernel } from '../parallel/runner.js';
import { GradusError } from '../errors.js';
import { eachRecord } from './delimitedRecords.js';
import { LongRows, RANGE_KERNEL, type LongPart, type RangeTask } from './longRows.js';

/** A part and who numbered its ids: worker k, or the main thread (-1). */
export interface SourcedPart {
  part: LongPart;
  numberer: number;
}

export interface PartOptions {
  /** bytes per worker range (64 MiB): a range's rows cross to the main thread as one message */
  partBytes?: number;
  /** worker threads; 1 reads on the main thread */
  threads: number;
}

const PART_BYTES = 64 << 20;
/** rows per part when the file is read as one stream */
const STREAM_ROWS = 1 << 22;
const LF = 10;

const WORKER = new URL('./longWorker.js', import.meta.url);
/** run by name in longWorker.ts, which keeps one LongRows per worker; never on this thread */
const RANGE: Kernel<RangeTask, LongPart> = {
  name: RANGE_KERNEL,
  run: () => {
    throw new Error('longRange runs in longWorker.ts, whose LongRows lasts from range to range');
  },
};

/** The file's parts, and how they were read. */
export async function readParts(task: RangeTask, gzip: boolean, o: PartOptions): Promise<{ parts: SourcedPart[]; by: 'workers' | 'stream' }> {
  const partBytes = Math.max(1, o.partBytes ?? PART_BYTES);
  const size = fs.statSync(task.file).size;
  if (!gzip && o.threads > 1 && size > 2 * partBytes) {
    const parts = await readInWorkers(task, cutAtLineEnds(task.file, size, partBytes), o.threads);
    if (parts) return { parts, by: 'workers' };
  }
  return { parts: await readStream(task, gzip), by: 'stream' };
}

/** Byte ranges of about `partBytes` each, every range after the first starting just past a line end. */
export function cutAtLineEnds(file: string, size: number, partBytes: number): Array<[number, number]> {
  const fd = fs.openSync(file, 'r');
  const look = Buffer.allocUnsafe(1 << 16);
  const cuts = [0];
  try {
    let at = partBytes;
    while (at < size) {
      const got = fs.readSync(fd, look, 0, look.length, at);
      if (got === 0) break;
      const lf = look.subarray(0, got).indexOf(LF);
      if (lf < 0) {
        at += got;
        continue;
      }
      const cut = at + lf + 1;
      if (cut >= size) break;
      cuts.push(cut);
      at = cut + partBytes;
    }
  } finally {
    fs.closeSync(fd);
  }
  return cuts.map((from, k) => [from, k + 1 < cuts.length ? cuts[k + 1] : size]);
}

/**
 * The parts read by workers, up to the first that does not parse; null when a cut fell inside a quoted field.
 * Each worker takes the next range as soon as it is free (on a busy machine one waits less for the other); ranges
 * go out in file order, so each worker numbers its ids in file order too, as the ids step reads them.
 */
async function readInWorkers(task: RangeTask, ranges: Array<[number, number]>, threads: number): Promise<SourcedPart[] | null> {
  const pool = new WorkerPool(WORKER, Math.min(threads, ranges.length));
  const parts: SourcedPart[] = [];
  let next = 0;
  let stop = false;
  const work = async (w: number) => {
    while (!stop && next < ranges.length) {
      const k = next++;
      const part = await pool.runOn(w, RANGE, ranges[k][0], ranges[k][1], task);
      parts[k] = { part, numberer: w };
      // every part after one that does not parse, or that ends inside a record, is moot
      if (part.error || part.unfinished >= 0) stop = true;
    }
  };
  try {
    await Promise.all(Array.from({ length: pool.size }, (_, w) => work(w)));
  } finally {
    await pool.close();
  }
  // the ranges handed out are all back, and the first part that stopped the reading is among them
  for (let k = 0; k < parts.length; k++) {
    const { part } = parts[k];
    if (part.error) return parts.slice(0, k + 1);
    // the next range started inside a record: its parts, and every worker's numbering, are not to be trusted
    if (part.unfinished >= 0) return k + 1 < ranges.length ? null : parts.slice(0, k + 1);
  }
  return parts;
}

/** The whole file as one stream, on this thread: gzip, a small file, or cuts that fell inside quotes. */
async function readStream(task: RangeTask, gzip: boolean): Promise<SourcedPart[]> {
  const rows = new LongRows(task.file, task.delimiter, task.cols);
  const out: SourcedPart[] = [];
  // a stream part's lines count from the file's first line: each part adds none to the next one's start
  const take = (error: GradusError | null) => out.push({ part: rows.take(0, -1, error), numberer: -1 });
  let header = true;
  let n = 0;
  try {
    await eachRecord(task.file, gzip, task.delimiter, (r) => {
      if (header) {
        header = false;
        return;
      }
      rows.add(r);
      if (++n % STREAM_ROWS === 0) take(null);
    });
    take(null);
  } catch (e) {
    if (!(e instanceof GradusError) || e.place.line === undefined) throw e;
    take(e);
  }
  return out;
}
