/**
 * Long and wide tables (CSV, TSV, JSONL, Parquet, each optionally gzipped) read through DuckDB, so that a
 * 75-million-row leaderboard dump streams in chunks of typed columns and never becomes one JS object per response.
 * Pass 1 collects the ids and counts problems; pass 2 streams (cell, answer) pairs into the MatrixBuilder,
 * mapping ids to indices inside DuckDB with ENUM types.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { pipeline } from 'node:stream/promises';
import type { DuckDBConnection } from '@duckdb/node-api';
import { GradusError, option, type Place } from '../errors.js';
import { sqlIdent, sqlString } from '../util/duck.js';
import { assertReadableFile, detectFormat, type FileFormat } from './format.js';
import { answerSql, ANSWER_HINT, describeBad, parseAnswer } from './answer.js';
import { numberedColumns, readHeader, scanRows, type RowVisit } from './locate.js';
import { checkHeader, type HeaderChoice } from './headerCheck.js';
import { asGzipError, checkEncoding, checkGzipMagic, verifyGzip } from './textCheck.js';
import type { MatrixBuilder } from './builder.js';
import type { SourceStats, ResponseSource } from './source.js';

export type Layout = 'auto' | 'long' | 'wide';
export type IdColumn = 'auto' | 'first' | 'none';

export interface TableOptions {
  format?: FileFormat;
  layout?: Layout;
  idColumn?: IdColumn;
  /** CSV/TSV: is the first line a header (`none`: a headerless wide matrix, columns numbered); unset: yes, unless it holds only answers (an error) */
  header?: HeaderChoice;
}

const BAD = -1e308;
const ID_NAMES = ['model', 'model_id', 'model_name', 'id', 'name', 'subject', 'person', ''];

interface Shape {
  layout: 'long' | 'wide';
  /** long: the column names used */
  model?: string;
  item?: string;
  value?: string;
  valueType?: string;
  /** wide: the id column, or null when rows are numbered */
  idColumn?: string | null;
  columns: string[];
}

let tableCounter = 0;

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
    const find = (want: string) => names.find((n) => n.trim().toLowerCase() === want);
    const item = find('item');
    const layout = this.options.layout && this.options.layout !== 'auto' ? this.options.layout : item !== undefined ? 'long' : 'wide';
    if (this.headerless && layout === 'long') {
      throw new GradusError(`a table without a header (${option('header')} none) can only be wide`, `Give a long table a header line model,item,correct, or read this one with ${option('layout')} wide.`, { file: this.file });
    }
    if (layout === 'long') {
      const model = find('model');
      const value = find('correct') ?? find('score');
      const missing = [model === undefined ? 'model' : null, item === undefined ? 'item' : null, value === undefined ? 'correct (or score)' : null].filter(Boolean);
      if (missing.length) {
        throw new GradusError(
          `a long table needs the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header has ${names.map((n) => JSON.stringify(n)).join(', ')}`,
          `Rename the columns to model,item,correct (0/1) or model,item,score (a number in [0,1]); for one row per model and one column per item, pass ${option('layout')} wide.`,
          { file: this.file, line: this.format === 'parquet' ? undefined : 1 },
        );
      }
      const type = cols.find((c) => c.name === value)!.type;
      return { layout, model, item, value, valueType: type, columns: names };
    }
    if (names.length < 2 && this.options.idColumn !== 'none') {
      throw new GradusError(
        `a wide table needs an id column and at least one item column; the header has ${names.map((n) => JSON.stringify(n)).join(', ')}`,
        'Give one row per model with the model id first and one column per item, or a long table with columns model,item,correct.',
        { file: this.file, line: 1 },
      );
    }
    return { layout, idColumn: null, columns: names };
  }

  /** Wide tables: is the first column an id? By name, else by content (anything that is not an answer makes it an id). */
  private async decideIdColumn(shape: Shape): Promise<void> {
    if (shape.layout !== 'wide' || shape.idColumn !== null) return;
    const first = shape.columns[0];
    const choice = this.options.idColumn ?? 'auto';
    if (choice === 'first' || (choice === 'auto' && ID_NAMES.includes(first.trim().toLowerCase()))) {
      shape.idColumn = first;
      return;
    }
    if (choice === 'none') return;
    const c = sqlIdent(first);
    const r = await this.conn.runAndReadAll(
      `SELECT count(*) FILTER (WHERE ${answerSql(`CAST(${c} AS VARCHAR)`)} = ${BAD}) FROM ${this.from(true)}`,
    );
    if (Number(r.getRows()[0][0]) > 0) shape.idColumn = first;
  }

  /** The source as a long relation (m, i, v) with v a number, NULL for missing, or BAD. */
  private relation(shape: Shape): string {
    if (shape.layout === 'long') {
      const c = sqlIdent(shape.value!);
      const t = shape.valueType!.toUpperCase();
      let v: string;
      if (t === 'BOOLEAN') v = `CAST(CAST(${c} AS INTEGER) AS DOUBLE)`;
      else if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/.test(t))
        v = `(CASE WHEN isnan(CAST(${c} AS DOUBLE)) THEN NULL ELSE CAST(${c} AS DOUBLE) END)`;
      else v = answerSql(`CAST(${c} AS VARCHAR)`);
      return `(SELECT CAST(${sqlIdent(shape.model!)} AS VARCHAR) AS m, CAST(${sqlIdent(shape.item!)} AS VARCHAR) AS i, ${v} AS v FROM ${this.from(false)})`;
    }
    const id = shape.idColumn;
    const base = id
      ? `SELECT CAST(${sqlIdent(id)} AS VARCHAR) AS __gradus_model, * EXCLUDE (${sqlIdent(id)}) FROM ${this.from(true)}`
      : `SELECT CAST(row_number() OVER () AS VARCHAR) AS __gradus_model, * FROM ${this.from(true)}`;
    return `(SELECT __gradus_model AS m, CAST(__gradus_item AS VARCHAR) AS i, ${answerSql('CAST(__gradus_raw AS VARCHAR)')} AS v
      FROM (UNPIVOT (${base}) ON COLUMNS(* EXCLUDE (__gradus_model)) INTO NAME __gradus_item VALUE __gradus_raw))`;
  }

  async ids(): Promise<{ models: string[]; items: string[]; stats: SourceStats }> {
    const shape = await this.prepare();
    await this.decideIdColumn(shape);
    const sql = `SELECT GROUPING(m) AS gm, m, i, count(*) AS n,
        count(*) FILTER (WHERE v = ${BAD}) AS nan,
        count(*) FILTER (WHERE v <> ${BAD} AND (v < 0 OR v > 1)) AS oor,
        count(*) FILTER (WHERE v IS NULL) AS missing,
        count(*) FILTER (WHERE v > 0 AND v < 1) AS frac
      FROM ${this.relation(shape)} GROUP BY GROUPING SETS ((m), (i))`;
    let rows: unknown[][];
    try {
      rows = (await this.conn.runAndReadAll(sql)).getRows();
    } catch (e) {
      throw await this.explainDuckError(e as Error);
    }
    await this.gzipWhole;
    const models: string[] = [];
    const items: string[] = [];
    const stats: SourceStats = { rows: 0, missing: 0, fractional: 0 };
    let bad = 0;
    let emptyId = false;
    for (const [gm, m, i, n, nan, oor, missing, frac] of rows) {
      if (Number(gm) === 0) {
        if (m === null) emptyId = true;
        else models.push(String(m));
        stats.rows += Number(n);
        stats.missing += Number(missing);
        stats.fractional += Number(frac);
        bad += Number(nan) + Number(oor);
      } else if (i === null) emptyId = true;
      else items.push(String(i));
    }
    if (bad > 0 || emptyId) throw await this.locateBad(shape);
    if (stats.rows === 0) {
      throw new GradusError('the file has a header but no responses', 'Add at least one row of answers.', { file: this.file });
    }
    return { models, items, stats };
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<void> {
    const shape = await this.prepare();
    const nItems = b.items.length;
    const big = b.models.length * nItems >= 2 ** 31;
    const tm = `${this.tag}_models`;
    const ti = `${this.tag}_items`;
    await this.loadIds(tm, b.models);
    await this.loadIds(ti, b.items);
    const code = (col: string, t: string) => `CAST(enum_code(CAST(${col} AS ${t}_e)) AS ${big ? 'BIGINT' : 'INTEGER'})`;
    const sql = `SELECT ${code('m', tm)} * ${nItems} + ${code('i', ti)} AS cell, CAST(v >= ${Number(threshold)} AS UTINYINT) AS a
      FROM ${this.relation(shape)} WHERE v IS NOT NULL`;
    try {
      const res = await this.conn.stream(sql);
      for (;;) {
        const chunk = await res.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        const n = chunk.rowCount;
        const cells = chunk.getColumnVector(0);
        const answers = chunk.getColumnVector(1);
        for (let k = 0; k < n; k++) b.set(Number(cells.getItem(k)), answers.getItem(k) as number);
      }
    } catch (e) {
      throw await this.explainDuckError(e as Error);
    } finally {
      await this.conn.run(`DROP TYPE IF EXISTS ${tm}_e; DROP TYPE IF EXISTS ${ti}_e;`).catch(() => undefined);
    }
  }

  private async loadIds(name: string, ids: readonly string[]): Promise<void> {
    await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${name}_ids (id VARCHAR, ix INTEGER)`);
    const app = await this.conn.createAppender(`${name}_ids`);
    ids.forEach((id, k) => {
      app.appendVarchar(id);
      app.appendInteger(k);
      app.endRow();
    });
    app.closeSync();
    await this.conn.run(`DROP TYPE IF EXISTS ${name}_e`);
    await this.conn.run(`CREATE TYPE ${name}_e AS ENUM (SELECT id FROM ${name}_ids ORDER BY ix)`);
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

  /** Pass 1 counted a bad answer or an empty id: find the first one, with its line and column. */
  private async locateBad(shape: Shape): Promise<GradusError> {
    let err: GradusError | null = null;
    await this.scan(({ header, fields, line }) => {
      const col = (name: string) => header.indexOf(name);
      if (shape.layout === 'long') {
        for (const name of [shape.model!, shape.item!]) {
          const v = fields[col(name)];
          if (v === null || v === undefined || String(v).trim() === '') {
            err = new GradusError(`the ${name} id is empty`, `Every row needs a ${name} id; fill it in or remove the row.`, { file: this.file, line, column: this.columnLabel(col(name), name) });
            return true;
          }
        }
        const raw = fields[col(shape.value!)];
        const a = parseAnswer(raw);
        if (a.kind === 'bad') {
          err = new GradusError(describeBad(raw, a.why), ANSWER_HINT, { file: this.file, line, column: this.columnLabel(col(shape.value!), shape.value!) });
          return true;
        }
        return false;
      }
      for (let c = 0; c < header.length; c++) {
        if (header[c] === shape.idColumn) continue;
        const a = parseAnswer(fields[c]);
        if (a.kind === 'bad') {
          err = new GradusError(`item ${JSON.stringify(header[c])}: ${describeBad(fields[c], a.why)}`, ANSWER_HINT, { file: this.file, line, column: this.columnLabel(c, header[c]) });
          return true;
        }
      }
      if (shape.idColumn && String(fields[col(shape.idColumn)] ?? '').trim() === '') {
        err = new GradusError('the model id is empty', 'Every row of a wide table starts with the model id; fill it in or remove the row.', { file: this.file, line, column: 1 });
        return true;
      }
      return false;
    });
    return err ?? new GradusError('some answers could not be read, but the line could not be found', ANSWER_HINT, { file: this.file });
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
            found = new GradusError(describeBad(raw, a.why), ANSWER_HINT, { file: this.file, line, column: this.columnLabel(header.indexOf(shape.value!), shape.value!) });
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
