/**
 * One byte per answer between DuckDB and the matrix. DuckDB turns each raw answer into a code (the rules of
 * answer.ts, with the threshold applied), so that JS reads whole typed columns and counts as it fills, without
 * a value per row crossing into JS objects, and a table is read in one pass after its ids.
 */
import { MISSING } from './matrix.js';
import { answerSql, parseAnswer, type Answer } from './answer.js';
import type { MatrixBuilder } from './builder.js';
import type { SourceStats } from './source.js';

export const CODE_WRONG = 0;
export const CODE_RIGHT = 1;
export const CODE_MISSING = 2;
/** a score strictly between 0 and 1, cut to right (3) or wrong (4) */
export const CODE_CUT_RIGHT = 3;
export const CODE_CUT_WRONG = 4;
/** not a number, or outside [0, 1] */
export const CODE_BAD = 5;
/** a score strictly between 0 and 1 read before the threshold is known (longRows.ts); its value travels beside it */
export const CODE_SCORE = 6;

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL)/;

/** Column `col` of DuckDB type `type` as a DOUBLE: NULL when missing, -1e308 when not a number (answer.ts's rules). */
export function valueSql(col: string, type: string): string {
  const t = type.toUpperCase();
  if (t === 'BOOLEAN') return `CAST(CAST(${col} AS INTEGER) AS DOUBLE)`;
  if (NUMERIC.test(t)) return `(CASE WHEN isnan(CAST(${col} AS DOUBLE)) THEN NULL ELSE CAST(${col} AS DOUBLE) END)`;
  return answerSql(`CAST(${col} AS VARCHAR)`);
}

/** The code of a DOUBLE column `x` from valueSql, the threshold applied, as UTINYINT. */
export function codeSql(x: string, threshold: number): string {
  const t = Number(threshold);
  return `(CASE WHEN ${x} IS NULL THEN ${CODE_MISSING} WHEN ${x} < 0 OR ${x} > 1 THEN ${CODE_BAD}
    WHEN ${x} >= ${t} THEN (CASE WHEN ${x} < 1 THEN ${CODE_CUT_RIGHT} ELSE ${CODE_RIGHT} END)
    ELSE (CASE WHEN ${x} > 0 THEN ${CODE_CUT_WRONG} ELSE ${CODE_WRONG} END) END)::UTINYINT`;
}

const INTEGER = /^(BOOLEAN|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT)$/;

/**
 * The code of column `col` of DuckDB type `type`: codeSql over valueSql, or for whole numbers (0/1 columns, the
 * common case) a shorter CASE with the same outcome, since 1 is at or above any threshold in (0, 1] and 0 below it;
 * the general form measured three times slower.
 */
export function answerCodeSql(col: string, type: string, threshold: number): string {
  const t = type.toUpperCase();
  if (!INTEGER.test(t)) return codeSql(valueSql(col, type), threshold);
  const x = t === 'BOOLEAN' ? `CAST(${col} AS INTEGER)` : col;
  return `(CASE WHEN ${x} IS NULL THEN ${CODE_MISSING} WHEN ${x} = 1 THEN ${CODE_RIGHT} WHEN ${x} = 0 THEN ${CODE_WRONG} ELSE ${CODE_BAD} END)::UTINYINT`;
}

/** The code of one raw answer for the JS readers: parseAnswer's rules with the threshold applied, as codeSql does. */
export function codeAnswer(raw: unknown, threshold: number): number {
  return thresholdCode(parseAnswer(raw), threshold);
}

function thresholdCode(a: Answer, threshold: number): number {
  const c = codeBeforeThreshold(a);
  return c === CODE_SCORE ? cutScore((a as { v: number }).v, threshold) : c;
}

/** The code of a parsed answer when the threshold is not known yet: a score strictly between 0 and 1 is CODE_SCORE. */
export function codeBeforeThreshold(a: Answer): number {
  if (a.kind === 'missing') return CODE_MISSING;
  if (a.kind === 'bad') return CODE_BAD;
  if (a.v === 1) return CODE_RIGHT;
  if (a.v === 0) return CODE_WRONG;
  return CODE_SCORE;
}

/** A score strictly between 0 and 1, cut at the threshold (≥ threshold is right). */
export function cutScore(v: number, threshold: number): number {
  return v >= threshold ? CODE_CUT_RIGHT : CODE_CUT_WRONG;
}

const ZERO = 48;
const ONE = 49;

/**
 * The code of a delimited cell read as bytes [s, s + len) of buf, when they are 0, 1 or nothing (most cells of a
 * 0/1 table, told without a string); -1 when its text must go through parseAnswer.
 */
export function quickCode(buf: Uint8Array, s: number, len: number, quoted: number): number {
  if (len === 0) return CODE_MISSING;
  if (len !== 1 || quoted !== 0) return -1;
  const b = buf[s];
  return b === ONE ? CODE_RIGHT : b === ZERO ? CODE_WRONG : -1;
}

/** distinct non-0/1 cell values remembered per fill: scores and markers repeat ("0.5", "NA"), free text does not */
const MEMO_LIMIT = 1 << 16;

/** parseAnswer for the JS readers' cells, each distinct value parsed once (up to MEMO_LIMIT values). */
export function memoAnswers(): (raw: unknown) => Answer {
  const memo = new Map<unknown, Answer>();
  return (raw) => {
    let a = memo.get(raw);
    if (a === undefined) {
      a = parseAnswer(raw);
      if (memo.size < MEMO_LIMIT) memo.set(raw, a);
    }
    return a;
  };
}

/** codeAnswer for the JS readers' cells, each distinct value parsed once. */
export function memoCoder(threshold: number): (raw: unknown) => number {
  const parse = memoAnswers();
  return (raw) => thresholdCode(parse(raw), threshold);
}

/** What a fill counted; `bad` > 0 means the source must find and name the first bad cell. */
export interface FillCounts extends SourceStats {
  bad: number;
}

export function newCounts(): FillCounts {
  return { rows: 0, missing: 0, fractional: 0, bad: 0 };
}

/** The answer a code other than right or wrong writes (a cut score), or −1 for none (missing, bad); counted. */
function special(c: number, counts: FillCounts): number {
  if (c === CODE_MISSING) {
    counts.missing++;
    return -1;
  }
  if (c === CODE_BAD) {
    counts.bad++;
    return -1;
  }
  counts.fractional++;
  return c === CODE_CUT_RIGHT ? 1 : 0;
}

/** One answer into its cell; a cell that holds one already goes to the builder's rules for repeats. */
function put(b: CellSink, cell: number, a: number): void {
  if (b.data[cell] === MISSING) b.data[cell] = a;
  else b.set(cell, a);
}

/** Put n coded answers into the builder: `cellOf(k)` is the matrix cell of the k-th. */
export function applyCodes(b: MatrixBuilder, codes: Uint8Array, n: number, cellOf: (k: number) => number, counts: FillCounts): void {
  counts.rows += n;
  for (let k = 0; k < n; k++) {
    let a = codes[k];
    if (a > CODE_RIGHT && (a = special(a, counts)) < 0) continue;
    put(b, cellOf(k), a);
  }
}

/** Where coded answers go: the builder, or on a worker thread the shared cells alone (see wideParquetFill.ts). */
export type CellSink = Pick<MatrixBuilder, 'data' | 'set'>;

/**
 * Put one decoded column of a wide table into the builder: codes[r] is row r's answer, its cell
 * rowCells[rowStart + r] + item. applyCodes' loop over typed arrays, without a closure per answer.
 */
export function applyColumn(b: CellSink, codes: Int32Array, n: number, rowCells: Float64Array, rowStart: number, item: number, counts: FillCounts): void {
  counts.rows += n;
  for (let r = 0; r < n; r++) {
    let a = codes[r];
    if (a > CODE_RIGHT && (a = special(a, counts)) < 0) continue;
    put(b, rowCells[rowStart + r] + item, a);
  }
}

/** How a long table's answer travels: its matrix cell times 8 plus its code, one number a row (see packedSql). */
export const PACK = 8;

function packsInInt32(nCells: number): boolean {
  return nCells * PACK < 2 ** 31;
}

/** An array for n packed answers of a matrix of nCells cells, of the type packedSql would give. */
export function packedArray(nCells: number, n: number): Int32Array | Float64Array {
  return packsInInt32(nCells) ? new Int32Array(n) : new Float64Array(n);
}

/** The packed column of cell `cell` and code `code` (both SQL), and its type: INTEGER while it fits, else DOUBLE (exact to 2^53). */
export function packedSql(cell: string, code: string, nCells: number): string {
  const type = packsInInt32(nCells) ? 'INTEGER' : 'DOUBLE';
  return `(CAST(${cell} AS ${type}) * ${PACK} + CAST(${code} AS ${type}))`;
}

/**
 * Put n packed answers into the builder: the long tables' loop, over one typed column with the counts in locals
 * (a closure per answer, and a second column per chunk, cost seconds at 75M answers).
 */
export function applyPacked(b: MatrixBuilder, packed: Int32Array | Float64Array, n: number, counts: FillCounts): void {
  counts.rows += n;
  for (let k = 0; k < n; k++) {
    const x = packed[k];
    let a = x % PACK;
    const cell = (x - a) / PACK;
    if (a > CODE_RIGHT && (a = special(a, counts)) < 0) continue;
    put(b, cell, a);
  }
}
