/**
 * Long and wide tables (JSONL, Parquet, each optionally gzipped; CSV and TSV where openTable.ts sends them here,
 * as a headerless table named long) read through DuckDB, so that a
 * 75-million-row leaderboard dump streams in chunks of typed columns and never becomes one JS object per response.
 * Pass 1 collects the distinct ids; pass 2 maps them to indices through ENUM types over those lists (once per distinct id,
 * not per answer) and streams one-byte answer codes, counted and set as whole typed columns (cellCodes.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { GradusError, option, type Place } from '../errors.js';
import { sqlIdent, sqlString, typedItems } from '../util/duck.js';
import { phase, phasePart, profiling } from '../util/phase.js';
import { answerCodeSql, applyCodes, applyPacked, codeSql, packedSql, newCounts, valueSql, type FillCounts } from './cellCodes.js';
import { assertReadableFile, detectFormat, type FileFormat } from './format.js';
import { answerSql, parseAnswer } from './answer.js';
import { numberedColumns, readHeader, scanRows, type RowVisit } from './locate.js';
import { checkHeader, type HeaderChoice } from './headerCheck.js';
import { badAnswerError, findBadCell, type Shape } from './badCell.js';
import { asGzipError, checkEncoding, checkGzipMagic, verifyGzip } from './textCheck.js';
import type { MatrixBuilder } from './builder.js';
import { checkWideColumns, idColumnByName, type IdColumn } from './wideIds.js';
import { columnNamed, longNames } from './longHeader.js';
import type { SourceStats, ResponseSource } from './source.js';

export type Layout = 'auto' | 'long' | 'wide';
export type { IdColumn };

export interface TableOptions {
  format?: FileFormat;
  layout?: Layout;
  idColumn?: IdColumn;
  /** CSV/TSV: is the first line a header (`none`: a headerless wide matrix, columns numbered); unset: yes, unless it holds only answers (an error) */
  header?: HeaderChoice;
}

const BAD = -1e308;


let tableCounter = 0;

/** Distinct id values as strings; NULL or blank is an empty id, to be located. */
function splitIds(values: unknown[]): { ids: string[]; empty: boolean } {
  const ids: string[] = [];
  let empty = false;
  for (const v of values) {
    if (v === null || String(v).trim() === '') empty = true;
    else ids.push(String(v));
  }
  return { ids, empty };
}

export class TableSource implements ResponseSource {
  readonly label: string;
  private readonly format: FileFormat;
  private readonly gzip: boolean;
  private readFile: string;
  private tempDir: string | null = null;
  private shape: Shape | null = null;
  /** gzipped text: the check that the whole stream unpacks, run beside DuckDB's read (which stops quietly where it breaks) */
  private gzipWhole: Promise<void> | null = null;
  private nColumns = 0;
  private readonly tag = `t${++tableCounter}`;

  constructor(readonly file: string, private readonly conn: DuckDBConnection, private readonly options: TableOptions = {}) {
    this.label = file;
    const g = detectFormat(file, options.format);
    this.format = g.format;
    this.gzip = g.gzip;
    this.readFile = file;
  }

  private async prepare(): Promise<Shape> {
    if (this.shape) return this.shape;
    assertReadableFile(this.file);
    const delimited = this.format === 'csv' || this.format === 'tsv';
    if (this.options.header === 'none' && !delimited) {
      throw new GradusError(`${option('header')} none applies to CSV and TSV files only`, `Leave ${option('header')} unset for ${this.format} files.`, { file: this.file });
    }
    if (this.gzip) checkGzipMagic(this.file);
    if (this.format === 'parquet' && this.gzip) {
      // DuckDB reads compressed CSV/JSON itself, but not a gzipped Parquet file: unpack a private copy.
      this.tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-'));
      this.readFile = path.join(this.tempDir, 'data.parquet');
      await pipeline(fs.createReadStream(this.file), zlib.createGunzip(), fs.createWriteStream(this.readFile)).catch((e) => {
        throw asGzipError(this.file, e);
      });
    }
    if (this.format !== 'parquet') {
      await checkEncoding(this.file, this.gzip);
      if (this.gzip) {
        this.gzipWhole = verifyGzip(this.file);
        this.gzipWhole.catch(() => undefined);
      }
    }
    let header: string[] = [];
    if (delimited) {
      header = await readHeader(this.file, this.format === 'tsv' ? '\t' : ',', this.gzip);
      checkHeader(this.file, header, this.format === 'tsv' ? '\t' : ',', this.options.header);
      this.nColumns = header.length;
      if (this.headerless) header = numberedColumns(header.length);
    }
    const cols = await this.describe(false);
    if (delimited) {
      const same = header.length === cols.length && header.every((h, k) => h === cols[k].name || (h.trim() === '' && /^column\d+$/.test(cols[k].name)));
      // DuckDB's sniffer takes the most common row shape as the table: a mismatch means a ragged line early on.
      if (!same) throw await this.explainDuckError(new Error('the header DuckDB found differs from the first line'));
    }
    this.shape = this.decideShape(cols);
    phase('read: checks and sniff');
    return this.shape;
  }

  private get headerless(): boolean {
    return this.options.header === 'none';
  }

  private from(allVarchar: boolean): string {
    const f = sqlString(this.readFile);
    switch (this.format) {
      case 'csv':
      case 'tsv': {
        const header = this.headerless ? `header=false, names=[${numberedColumns(this.nColumns).map(sqlString).join(', ')}]` : 'header=true';
        return `read_csv(${f}, ${header}, delim=${sqlString(this.format === 'tsv' ? '\t' : ',')}, quote='"', escape='"', compression='auto', sample_size=20480${allVarchar ? ', all_varchar=true' : ''})`;
      }
      case 'jsonl':
        return `read_json(${f}, format='newline_delimited')`;
      case 'parquet':
        return `read_parquet(${f})`;
    }
  }

  private async describe(allVarchar: boolean): Promise<{ name: string; type: string }[]> {
    try {
      const r = await this.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${this.from(allVarchar)}`);
      return r.getRows().map((row) => ({ name: String(row[0]), type: String(row[1]) }));
    } catch (e) {
      throw await this.explainDuckError(e as Error);
    }
  }

  private decideShape(cols: { name: string; type: string }[]): Shape {
    const names = cols.map((c) => c.name);
    const item = columnNamed(names, 'item');
    const layout = this.options.layout && this.options.layout !== 'auto' ? this.options.layout : item !== undefined ? 'long' : 'wide';
    if (this.headerless && layout === 'long') {
      throw new GradusError(`a table without a header (${option('header')} none) can only be wide`, `Give a long table a header line model,item,correct, or read this one with ${option('layout')} wide.`, { file: this.file });
    }
    if (layout === 'long') {
      const long = longNames(this.file, names, this.format === 'parquet' ? undefined : 1);
      const type = cols.find((c) => c.name === long.value)!.type;
      return { layout, ...long, valueType: type, columns: names, types: cols.map((c) => c.type) };
    }
    checkWideColumns(this.file, names, this.options.idColumn, 1);
    return { layout, idColumn: null, columns: names, types: cols.map((c) => c.type) };
  }

  /** Wide tables: is the first column an id? By name, else by content (anything that is not an answer makes it an id). */
  private async decideIdColumn(shape: Shape): Promise<void> {
    if (shape.layout !== 'wide' || shape.idColumn !== null) return;
    const first = shape.columns[0];
    const byName = idColumnByName(first, this.options.idColumn);
    if (byName !== undefined) {
      if (byName) shape.idColumn = first;
      return;
    }
    const c = sqlIdent(first);
    const r = await this.conn.runAndReadAll(
      `SELECT count(*) FILTER (WHERE ${answerSql(`CAST(${c} AS VARCHAR)`)} = ${BAD}) FROM ${this.from(true)}`,
    );
    if (Number(r.getRows()[0][0]) > 0) shape.idColumn = first;
  }

  /** Wide tables: the distinct ids of one column; a NULL among them is an empty id, to be located. */
  private async distinct(col: string): Promise<{ ids: string[]; empty: boolean }> {
    const rows = await this.query(`SELECT DISTINCT CAST(${sqlIdent(col)} AS VARCHAR) FROM ${this.from(false)}`);
    return splitIds(rows.map(([v]) => v));
  }

  /**
   * Long tables: the distinct models and items in one scan (GROUPING SETS keeps a set of each), where two DISTINCT
   * queries read the file twice: a CSV parse is most of a long read's time.
   */
  private async distinctPair(model: string, item: string): Promise<{ models: { ids: string[]; empty: boolean }; items: { ids: string[]; empty: boolean } }> {
    const rows = await this.query(
      `SELECT grouping(m), m, i FROM (SELECT CAST(${sqlIdent(model)} AS VARCHAR) AS m, CAST(${sqlIdent(item)} AS VARCHAR) AS i FROM ${this.from(false)}) GROUP BY GROUPING SETS ((m), (i))`,
    );
    return { models: splitIds(rows.filter((r) => Number(r[0]) === 0).map((r) => r[1])), items: splitIds(rows.filter((r) => Number(r[0]) !== 0).map((r) => r[2])) };
  }

  private async query(sql: string): Promise<unknown[][]> {
    try {
      return (await this.conn.runAndReadAll(sql)).getRows();
    } catch (e) {
      throw await this.explainDuckError(e as Error);
    }
  }

  async ids(): Promise<{ models: string[]; items: string[] }> {
    const shape = await this.prepare();
    await this.decideIdColumn(shape);
    let models: string[];
    let items: string[];
    if (shape.layout === 'long') {
      const { models: m, items: i } = await this.distinctPair(shape.model!, shape.item!);
      phase('read: distinct ids');
      if (m.empty || i.empty) throw await this.locateBad(shape);
      models = m.ids;
      items = i.ids;
    } else {
      items = shape.columns.filter((c) => c !== shape.idColumn);
      if (shape.idColumn) {
        const m = await this.distinct(shape.idColumn);
        if (m.empty) throw await this.locateBad(shape);
        models = m.ids;
      } else {
        const [[n]] = await this.query(`SELECT count(*) FROM ${this.from(false)}`);
        models = numberedColumns(Number(n));
      }
    }
    await this.gzipWhole;
    if (models.length === 0) {
      throw new GradusError('the file has a header but no responses', 'Add at least one row of answers.', { file: this.file });
    }
    return { models, items };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    const shape = await this.prepare();
    const counts = newCounts();
    try {
      if (shape.layout === 'long') await this.fillLong(shape, b, threshold, counts);
      else await this.fillWide(shape, b, threshold, counts);
    } catch (e) {
      throw await this.explainDuckError(e as Error);
    }
    if (counts.bad > 0) throw await this.locateBad(shape);
    return { rows: counts.rows, missing: counts.missing, fractional: counts.fractional };
  }

  /** Ids become indices through ENUM types over the distinct lists (cast once per dictionary entry); answers come as codes. */
  private async fillLong(shape: Shape, b: MatrixBuilder, threshold: number, counts: FillCounts): Promise<void> {
    const tm = `${this.tag}_models`;
    const ti = `${this.tag}_items`;
    await this.loadIds(tm, b.models);
    await this.loadIds(ti, b.items);
    // ENUM types over the distinct lists: a cast keeps the rows in file order (for --on-conflict first/last), which
    // DuckDB does not promise for a join; the cast is a hash lookup per row, the largest share of DuckDB's work here.
    await this.conn.run(`CREATE TYPE ${tm}_e AS ENUM (SELECT id FROM ${tm} ORDER BY ix); CREATE TYPE ${ti}_e AS ENUM (SELECT id FROM ${ti} ORDER BY ix);`);
    const code = (col: string, t: string) => `enum_code(CAST(${col} AS ${t}_e))`;
    const nI = b.nItems;
    // DuckDB computes the matrix cell and packs the answer's code into it: one column to read per chunk
    const answer = answerCodeSql(sqlIdent(shape.value!), shape.valueType!, threshold);
    const packed = packedSql(`${code('r.m', tm)}::BIGINT * ${nI} + ${code('r.i', ti)}`, 'r.a', b.models.length * nI);
    const sql = `SELECT ${packed} AS x
      FROM (SELECT CAST(${sqlIdent(shape.model!)} AS VARCHAR) AS m, CAST(${sqlIdent(shape.item!)} AS VARCHAR) AS i, ${answer} AS a FROM ${this.from(false)}) r`;
    try {
      const res = await this.conn.stream(sql);
      let jsTime = 0;
      for (;;) {
        const chunk = await res.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const t = profiling ? performance.now() : 0;
        applyPacked(b, typedItems<Int32Array | Float64Array>(chunk.getColumnVector(0)), chunk.rowCount, counts);
        if (profiling) jsTime += performance.now() - t;
      }
      phasePart('read: fill, JS loop', jsTime / 1000);
    } finally {
      await this.conn.run(`DROP TYPE IF EXISTS ${tm}_e; DROP TYPE IF EXISTS ${ti}_e; DROP TABLE IF EXISTS ${tm}; DROP TABLE IF EXISTS ${ti};`).catch(() => undefined);
    }
  }

  /** One coded column per item, read column by column: no UNPIVOT, whose long form of a 21,000-column table overflowed memory. */
  private async fillWide(shape: Shape, b: MatrixBuilder, threshold: number, counts: FillCounts): Promise<void> {
    const cols = shape.columns.map((name, k) => ({ name, type: shape.types[k], k })).filter((c) => c.name !== shape.idColumn);
    const id = shape.idColumn ? `CAST(${sqlIdent(shape.idColumn)} AS VARCHAR) AS id, ` : '';
    const inner = `SELECT ${id}${cols.map((c, j) => `${valueSql(sqlIdent(c.name), c.type)} AS v${j}`).join(', ')} FROM ${this.from(false)}`;
    const sql = `SELECT ${shape.idColumn ? 'id, ' : ''}${cols.map((_, j) => `${codeSql(`v${j}`, threshold)} AS a${j}`).join(', ')} FROM (${inner})`;
    const itemIx = Int32Array.from(cols, (c) => b.itemIndex.get(c.name)!);
    const nI = b.nItems;
    const first = shape.idColumn ? 1 : 0;
    let row = 0;
    const res = await this.conn.stream(sql);
    for (;;) {
      const chunk = await res.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      const base = new Float64Array(n);
      const ids = first ? chunk.getColumnVector(0) : null;
      for (let r = 0; r < n; r++) base[r] = b.modelIndex.get(ids ? String(ids.getItem(r)) : String(row + r + 1))! * nI;
      row += n;
      for (let j = 0; j < cols.length; j++) {
        const item = itemIx[j];
        applyCodes(b, typedItems<Uint8Array>(chunk.getColumnVector(first + j)), n, (r) => base[r] + item, counts);
      }
    }
  }

  private async loadIds(name: string, ids: readonly string[]): Promise<void> {
    await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${name} (id VARCHAR, ix INTEGER)`);
    const app = await this.conn.createAppender(name);
    ids.forEach((id, k) => {
      app.appendVarchar(id);
      app.appendInteger(k);
      app.endRow();
    });
    app.closeSync();
  }

  /** Where (model, item) stands in this file, with the answer written there. */
  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    const shape = await this.prepare();
    const out: Array<Place & { answer: string }> = [];
    await this.scan(({ header, fields, line }) => {
      if (shape.layout === 'long') {
        const get = (name: string) => fields[header.indexOf(name)];
        if (String(get(shape.model!)) === model && String(get(shape.item!)) === item) {
          out.push({ file: this.file, line, answer: String(get(shape.value!)) });
        }
      } else {
        const id = shape.idColumn ? String(fields[header.indexOf(shape.idColumn)]) : String(this.headerless ? line : line - 1);
        const col = header.indexOf(item);
        if (id === model && col >= 0) out.push({ file: this.file, line, column: col + 1, answer: String(fields[col]) });
      }
    });
    return out;
  }

  /** The first bad answer or empty id, for a reader that counted one (longParquet.ts). */
  async firstBadCell(): Promise<GradusError> {
    return this.locateBad(await this.prepare());
  }

  /** Pass 1 counted a bad answer or an empty id: find the first one, with its line and column. */
  private locateBad(shape: Shape): Promise<GradusError> {
    return findBadCell(this.file, shape, (visit) => this.scan(visit), (index, name) => this.columnLabel(index, name));
  }

  private scan(visit: (row: RowVisit) => boolean | void): Promise<void> {
    return scanRows(this.file, this.format, this.gzip, visit, this.headerless);
  }

  private columnLabel(index: number, name: string): string {
    return this.format === 'jsonl' ? `"${name}"` : `${index + 1} (${name})`;
  }

  /** DuckDB saw a line it could not read: find it ourselves and say what is wrong in words. */
  private async explainDuckError(e: Error): Promise<GradusError> {
    if (e instanceof GradusError) return e;
    try {
      await this.gzipWhole;
    } catch (gz) {
      return gz as GradusError;
    }
    const shape = this.shape;
    let found: GradusError | null = null;
    try {
      let width = -1;
      await this.scan(({ header, fields, line }) => {
        if (width < 0) width = header.length;
        if (shape?.layout === 'long') {
          const raw = fields[header.indexOf(shape.value!)];
          const a = parseAnswer(raw);
          if (a.kind === 'bad') {
            found = badAnswerError(raw, { file: this.file, line, column: this.columnLabel(header.indexOf(shape.value!), shape.value!) });
            return true;
          }
        }
        return false;
      });
    } catch (inner) {
      if (inner instanceof GradusError) return inner;
    }
    if (found) return found;
    const first = e.message.split('\n')[0];
    const line = /on line:? (\d+)/i.exec(e.message);
    return new GradusError(`could not be read (${first})`, `Check that the file is a well-formed table in the format its extension names, or pass ${option('format')}.`, {
      file: this.file,
      line: line ? Number(line[1]) : undefined,
    });
  }

  close(): void {
    if (this.tempDir) fs.rmSync(this.tempDir, { recursive: true, force: true });
  }
}
