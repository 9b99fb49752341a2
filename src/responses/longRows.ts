/**
 * The rows of a long CSV/TSV table (model, item, answer) as typed arrays: per row a model number and an item number
 * (ids numbered in order of first sight by byteIds.ts) and the answer's code (cellCodes.ts, before the threshold).
 * The same collector runs in a worker over its byte ranges of the file (longWorker.ts) or on the main thread over
 * a stream; the main thread then maps each worker's numbers to the matrix once per distinct id (longText.ts).
 */
import { GradusError } from '../errors.js';
import { ByteIds } from './byteIds.js';
import { CODE_BAD, CODE_SCORE, codeBeforeThreshold, memoAnswers, quickCode } from './cellCodes.js';
import { eachRecordInRange, fieldText, widthError, type RecordView } from './delimitedRecords.js';


/** Where the three columns stand, by field number, and how many fields a record has. */
export interface LongColumns {
  model: number;
  item: number;
  value: number;
  width: number;
}

/** The first row of a part that the reader must report: an empty model or item id, or an answer that is not one. */
export interface RowProblem {
  line: number;
  kind: 'model' | 'item' | 'answer';
  /** the answer as written (kind 'answer') */
  raw?: string;
}

/** One part of the file's rows, in file order. Lines are counted from the part's first line (1). */
export interface LongPart {
  n: number;
  models: Uint16Array | Uint32Array;
  items: Uint16Array | Uint32Array;
  codes: Uint8Array;
  /** the values of the rows coded CODE_SCORE, in row order */
  scores: Float64Array;
  /** the texts of the ids first seen in this part, numbered after those of the collector's earlier parts */
  newModels: string[];
  newItems: string[];
  /** line breaks in the part */
  lines: number;
  /** a record open at the part's end (a quoted line break where the file was cut): its byte offset, else -1 */
  unfinished: number;
  /** the first empty id or bad answer, and whether any id was empty (which the ids step reports) */
  problem: RowProblem | null;
  emptyId: boolean;
  /** a line that does not parse (a GradusError's problem, hint and line); the part ends before it */
  error: { problem: string; hint: string; line: number } | null;
}

function grown<T extends Uint16Array | Uint32Array | Uint8Array | Float64Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  const b = new (a.constructor as new (n: number) => T)(Math.max(need, 2 * a.length));
  b.set(a as never);
  return b;
}

/** Id numbers as 16 bits while they fit (5 bytes a row kept until the fill, not 9), else 32. */
function wide(a: Uint16Array | Uint32Array, count: number): Uint16Array | Uint32Array {
  if (count <= 1 << 16 || a instanceof Uint32Array) return a;
  const b = new Uint32Array(a.length);
  b.set(a);
  return b;
}

export class LongRows {
  private readonly modelIds = new ByteIds();
  private readonly itemIds = new ByteIds();
  /** per id: 1 when its text is blank (an empty id, to be reported) */
  private emptyModel = new Uint8Array(64);
  private emptyItem = new Uint8Array(64);
  /** per item: the item that followed it last time; tables list each model's items in the same order, mostly */
  private nextItem = new Int32Array(64).fill(-1);
  private readonly parse = memoAnswers();
  private models: Uint16Array | Uint32Array = new Uint16Array(1 << 20);
  private items: Uint16Array | Uint32Array = new Uint16Array(1 << 20);
  private codes = new Uint8Array(1 << 20);
  private scores = new Float64Array(64);
  private n = 0;
  private nScores = 0;
  private sentModels = 0;
  private sentItems = 0;
  private lastModel = -1;
  private lastItem = -1;
  private problem: RowProblem | null = null;
  private emptyId = false;

  constructor(private readonly file: string, private readonly delimiter: string, private readonly cols: LongColumns) {}

  /** Takes one record (a data row: the header is the caller's to skip). */
  readonly add = (r: RecordView): void => {
    const c = this.cols;
    if (r.n !== c.width) throw widthError(this.file, this.delimiter, r.n, c.width, r.line);
    const m = this.modelId(r, c.model);
    const i = this.itemId(r, c.item);
    const code = this.code(r, c.value);
    const n = this.n;
    if (n === this.codes.length) {
      this.models = grown(this.models, n + 1);
      this.items = grown(this.items, n + 1);
      this.codes = grown(this.codes, n + 1);
    }
    this.models[n] = m;
    this.items[n] = i;
    this.codes[n] = code;
    this.n = n + 1;
    if (code === CODE_BAD || this.emptyModel[m] === 1 || this.emptyItem[i] === 1) this.note(r, m, i, code);
  };

  private modelId(r: RecordView, k: number): number {
    const last = this.lastModel;
    if (last >= 0 && this.modelIds.is(last, r.buf, r.starts[k], r.ends[k])) return last;
    const m = this.modelIds.idOf(r, k);
    if (m === this.modelIds.count - 1) {
      this.emptyModel = grown(this.emptyModel, m + 1);
      this.emptyModel[m] = this.modelIds.texts[m].trim() === '' ? 1 : 0;
      this.models = wide(this.models, m + 1);
    }
    this.lastModel = m;
    return m;
  }

  private itemId(r: RecordView, k: number): number {
    const last = this.lastItem;
    const guess = last >= 0 ? this.nextItem[last] : -1;
    let i: number;
    if (guess >= 0 && this.itemIds.is(guess, r.buf, r.starts[k], r.ends[k])) i = guess;
    else {
      i = this.itemIds.idOf(r, k);
      if (i === this.itemIds.count - 1) {
        this.emptyItem = grown(this.emptyItem, i + 1);
        this.emptyItem[i] = this.itemIds.texts[i].trim() === '' ? 1 : 0;
        if (i >= this.nextItem.length) {
          const next = new Int32Array(this.emptyItem.length).fill(-1);
          next.set(this.nextItem);
          this.nextItem = next;
        }
        this.items = wide(this.items, i + 1);
      }
      if (last >= 0) this.nextItem[last] = i;
    }
    this.lastItem = i;
    return i;
  }

  private code(r: RecordView, k: number): number {
    const quick = quickCode(r.buf, r.starts[k], r.ends[k] - r.starts[k], r.quoted[k]);
    if (quick >= 0) return quick;
    const a = this.parse(fieldText(r, k));
    const code = codeBeforeThreshold(a);
    if (code === CODE_SCORE) {
      this.scores = grown(this.scores, this.nScores + 1);
      this.scores[this.nScores++] = (a as { v: number }).v;
    }
    return code;
  }

  /** A row with an empty id or a bad answer: the first is kept, in the order the DuckDB path's scan checks a row. */
  private note(r: RecordView, m: number, i: number, code: number): void {
    const empty = this.emptyModel[m] === 1 ? 'model' : this.emptyItem[i] === 1 ? 'item' : null;
    if (empty) this.emptyId = true;
    if (this.problem) return;
    this.problem = empty ? { line: r.line, kind: empty } : { line: r.line, kind: 'answer', raw: fieldText(r, this.cols.value) };
  }

  /** The rows since the last take, with the ids first seen among them; `lines` and `unfinished` as LongPart's. */
  take(lines: number, unfinished: number, error: GradusError | null): LongPart {
    const n = this.n;
    const part: LongPart = {
      n,
      models: this.models.slice(0, n),
      items: this.items.slice(0, n),
      codes: this.codes.slice(0, n),
      scores: this.scores.slice(0, this.nScores),
      newModels: this.modelIds.texts.slice(this.sentModels),
      newItems: this.itemIds.texts.slice(this.sentItems),
      lines,
      unfinished,
      problem: this.problem,
      emptyId: this.emptyId,
      error: error ? { problem: error.problem, hint: error.hint, line: error.place.line ?? 0 } : null,
    };
    this.sentModels = this.modelIds.count;
    this.sentItems = this.itemIds.count;
    this.n = 0;
    this.nScores = 0;
    this.problem = null;
    this.emptyId = false;
    return part;
  }
}

/** The name longWorker.ts knows readRange by. */
export const RANGE_KERNEL = 'longRange';

/** What a worker is told to read: bytes [from, to) of the file, cut at line ends; part 0 starts with the header. */
export interface RangeTask {
  file: string;
  delimiter: string;
  cols: LongColumns;
}

/** Reads one byte range into `rows` and takes it as a part; a line that does not parse ends the part. */
export function readRange(rows: LongRows, task: RangeTask, from: number, to: number): LongPart {
  let header = true;
  // only the first range holds the header; the others hand each record straight to the rows (no call between)
  const visit = from > 0 ? rows.add : (r: RecordView) => (header ? void (header = false) : rows.add(r));
  try {
    const end = eachRecordInRange(task.file, task.delimiter, from, to, visit);
    return rows.take(end.lines, end.unfinished, null);
  } catch (e) {
    if (!(e instanceof GradusError)) throw e;
    return rows.take(0, -1, e);
  }
}
