/**
 * A long CSV/TSV table (one row per model, item and answer) read by our own byte reader instead of DuckDB: the rows
 * are parsed once, in parallel over byte ranges where the file allows (longParts.ts), into typed arrays of id
 * numbers and answer codes; the ids step names the distinct ids from them, and the fill maps each worker's numbers
 * to matrix cells once per distinct id and sets the cells in file order (a repeated answer is settled as DuckDB's
 * path settles it). Answers follow answer.ts's rules; the cut at the threshold waits for the fill (CODE_SCORE).
 */
import { GradusError, type Place } from '../errors.js';
import { defaultThreads } from '../parallel/pool.js';
import { phase } from '../util/phase.js';
import { applyPacked, cutScore, newCounts, packedArray, CODE_SCORE, PACK } from './cellCodes.js';
import { eachRecord, fieldText } from './delimitedRecords.js';
import { longNames } from './longHeader.js';
import { readParts, type SourcedPart } from './longParts.js';
import type { LongColumns, LongPart, RowProblem } from './longRows.js';
import { badAnswerError, emptyLongIdError } from './badCell.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

export interface LongTextOptions {
  /** bytes per worker range; small in tests, so that a small file is read as many ranges */
  partBytes?: number;
  /** worker threads (default: GRADUS_THREADS, else the cores); 1 reads on the main thread */
  threads?: number;
}

/** The ids of one numberer (a worker, or the main thread), by number. */
interface Numbering {
  models: string[];
  items: string[];
}

export class LongTextSource implements ResponseSource {
  readonly label: string;
  private readonly cols: LongColumns;
  private readonly names: { model: string; item: string; value: string };
  private parts: SourcedPart[] | null = null;
  private readonly numberings = new Map<number, Numbering>();
  /** a bad answer found while reading: the DuckDB path reports it at the fill, after every source's ids */
  private badAnswer: GradusError | null = null;
  /** how the ids step read the rows: by worker threads over byte ranges, or as one stream */
  readBy: 'workers' | 'stream' | null = null;

  /** `header`: the first line's fields, as headerCheck.ts judged them */
  constructor(
    readonly file: string,
    private readonly delimiter: string,
    private readonly gzip: boolean,
    private readonly header: string[],
    private readonly options: LongTextOptions = {},
  ) {
    this.label = file;
    this.names = longNames(file, header, 1);
    const at = (name: string) => header.indexOf(name);
    this.cols = { model: at(this.names.model), item: at(this.names.item), value: at(this.names.value), width: header.length };
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    const threads = this.options.threads ?? defaultThreads();
    const { parts, by } = await readParts({ file: this.file, delimiter: this.delimiter, cols: this.cols }, this.gzip, { threads, partBytes: this.options.partBytes });
    this.readBy = by;
    phase(`read: rows and ids (${by})`);
    this.badAnswer = this.check(parts.map((p) => p.part));
    const models = new Set<string>();
    const items = new Set<string>();
    for (const { part, numberer } of parts) {
      let n = this.numberings.get(numberer);
      if (!n) this.numberings.set(numberer, (n = { models: [], items: [] }));
      for (const m of part.newModels) {
        n.models.push(m);
        models.add(m);
      }
      for (const i of part.newItems) {
        n.items.push(i);
        items.add(i);
      }
    }
    if (models.size === 0) throw new GradusError('the file has a header but no responses', 'Add at least one row of answers.', { file: this.file });
    this.parts = parts;
    return { models: [...models], items: [...items] };
  }

  /**
   * Throws what the DuckDB path throws at its ids step: a line that does not parse, or an empty id, or, when a row
   * before either holds a bad answer, that answer (the first problem in file order is named). Returns a bad answer
   * of an otherwise sound file, for the fill to throw.
   */
  private check(parts: LongPart[]): GradusError | null {
    let first: GradusError | null = null;
    let empty = false;
    let start = 0;
    for (const part of parts) {
      if (part.problem && !first) first = this.problemError(part.problem, start);
      empty ||= part.emptyId;
      if (part.error) throw first ?? new GradusError(part.error.problem, part.error.hint, { file: this.file, line: start + part.error.line });
      start += part.lines;
    }
    if (empty) throw first!;
    return first;
  }

  private problemError(p: RowProblem, start: number): GradusError {
    const column = (name: string) => `${this.header.indexOf(name) + 1} (${name})`;
    const line = start + p.line;
    if (p.kind === 'answer') return badAnswerError(p.raw, { file: this.file, line, column: column(this.names.value) });
    const name = p.kind === 'model' ? this.names.model : this.names.item;
    return emptyLongIdError(name, { file: this.file, line, column: column(name) });
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    if (this.badAnswer) throw this.badAnswer;
    const parts = this.parts ?? [];
    this.parts = null; // the rows are used once; let them go as the matrix fills
    const cells = new Map<number, { models: Float64Array; items: Int32Array }>();
    for (const [k, n] of this.numberings) {
      cells.set(k, { models: Float64Array.from(n.models, (m) => b.modelIndex.get(m)! * b.nItems), items: Int32Array.from(n.items, (i) => b.itemIndex.get(i)!) });
    }
    const counts = newCounts();
    let packed = packedArray(b.models.length * b.nItems, 0);
    for (const { part, numberer } of parts) {
      if (packed.length < part.n) packed = packedArray(b.models.length * b.nItems, part.n);
      const { models, items } = cells.get(numberer)!;
      packPart(part, models, items, threshold, packed);
      applyPacked(b, packed, part.n, counts);
    }
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  /** Where (model, item) stands in this file, with the answer written there. */
  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    const out: Array<Place & { answer: string }> = [];
    const c = this.cols;
    let header = true;
    await eachRecord(this.file, this.gzip, this.delimiter, (r) => {
      if (header) header = false;
      else if (r.n === c.width && fieldText(r, c.model) === model && fieldText(r, c.item) === item) {
        out.push({ file: this.file, line: r.line, answer: fieldText(r, c.value) });
      }
    });
    return out;
  }

  close(): void {
    this.parts = null;
  }
}

/** A part's rows as packed answers (cell × PACK + code, as applyPacked reads them); scores cut at the threshold. */
function packPart(part: LongPart, rowBase: Float64Array, itemIx: Int32Array, threshold: number, out: Int32Array | Float64Array): void {
  const { n, models, items, codes, scores } = part;
  let s = 0;
  for (let k = 0; k < n; k++) {
    let code = codes[k];
    if (code === CODE_SCORE) code = cutScore(scores[s++], threshold);
    out[k] = (rowBase[models[k]] + itemIx[items[k]]) * PACK + code;
  }
}
