/**
 * What counts as an answer. One definition, used by the SQL fast path (as an expression) and by the JS
 * readers (as a function), so that every format reads a cell the same way.
 * - missing: empty, NA, NaN, null, None (missing is never wrong)
 * - true/false, yes/no → 1/0
 * - a number in [0, 1]: 0 and 1 are answers; anything between is a score, cut at the threshold (≥ threshold is correct)
 */
export const MISSING_WORDS = ['', 'NA', 'N/A', 'NAN', 'NULL', 'NONE'];

export type Answer = { kind: 'missing' } | { kind: 'value'; v: number } | { kind: 'bad'; why: 'not-a-number' | 'out-of-range' };

export function parseAnswer(raw: unknown): Answer {
  if (raw === null || raw === undefined) return { kind: 'missing' };
  if (typeof raw === 'boolean') return { kind: 'value', v: raw ? 1 : 0 };
  let v: number;
  if (typeof raw === 'number') {
    v = raw;
  } else {
    const s = String(raw).trim();
    if (MISSING_WORDS.includes(s.toUpperCase())) return { kind: 'missing' };
    const l = s.toLowerCase();
    if (l === 'true' || l === 'yes' || l === 't') return { kind: 'value', v: 1 };
    if (l === 'false' || l === 'no' || l === 'f') return { kind: 'value', v: 0 };
    v = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s) ? Number(s) : NaN;
    if (Number.isNaN(v)) return { kind: 'bad', why: 'not-a-number' };
  }
  if (Number.isNaN(v)) return { kind: 'missing' };
  if (v < 0 || v > 1) return { kind: 'bad', why: 'out-of-range' };
  return { kind: 'value', v };
}

/** The same rules as parseAnswer, as a DuckDB expression over a VARCHAR column; NULL means missing, -1 not a number. */
export function answerSql(col: string): string {
  const t = `trim(${col})`;
  const missing = MISSING_WORDS.map((w) => `'${w}'`).join(',');
  return `(CASE WHEN ${col} IS NULL OR upper(${t}) IN (${missing}) THEN NULL
    WHEN lower(${t}) IN ('true','yes','t') THEN 1.0
    WHEN lower(${t}) IN ('false','no','f') THEN 0.0
    WHEN regexp_full_match(${t}, '[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?') THEN CAST(${t} AS DOUBLE)
    ELSE -1e308 END)`;
}

export function describeBad(raw: unknown, why: 'not-a-number' | 'out-of-range'): string {
  const shown = JSON.stringify(typeof raw === 'string' ? raw : raw);
  return why === 'not-a-number'
    ? `the answer ${shown} is not a number`
    : `the score ${shown} lies outside [0, 1]`;
}

export const ANSWER_HINT =
  'Answers must be 0/1, true/false, or a score in [0, 1]; leave the cell empty or write NA for a missing answer.';
