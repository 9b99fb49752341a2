/**
 * The JS wide readers (wideText.ts over delimitedRecords.ts, wideParquet.ts): the same cells as the long form, the
 * CSV corners RFC 4180 allows (quoted ids with commas and doubled quotes, a quoted id over two lines, CRLF, BOM,
 * records that straddle the 4 MB read chunks, gzip), and errors that name the line and column.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readResponses, GradusError, MISSING } from '../src/index.js';
import { openDuck, sqlString } from '../src/util/duck.js';
import { tmpDir, write } from './support/fixtures.js';
import { cellsOf } from './support/cells.js';
import { MatrixBuilder, type ConflictPolicy } from '../src/responses/builder.js';
import { openParquet } from '../src/responses/parquetColumns.js';
import { WideParquetSource } from '../src/responses/wideParquet.js';
import { sortNatural } from '../src/util/natural.js';

const read = (file: string, options = {}) => readResponses(file, { cache: false, ...options });

async function rejects(p: Promise<unknown>, ...patterns: RegExp[]) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof GradusError, String(e));
    for (const re of patterns) assert.match(e.message, re);
    return true;
  });
}

const TRICKY = [
  'model,q1,"q,2","say ""x""",q4',
  '"org/a, large",1,0,,NA',
  '"the ""b"" model",0,0.8,true,0.3',
  '"two\nlines",,1,false,1.0',
].join('\n');
const EXPECTED = {
  'org/a, large|q1': 1, 'org/a, large|q,2': 0, 'org/a, large|say "x"': null, 'org/a, large|q4': null,
  'the "b" model|q1': 0, 'the "b" model|q,2': 1, 'the "b" model|say "x"': 1, 'the "b" model|q4': 0,
  'two\nlines|q1': null, 'two\nlines|q,2': 1, 'two\nlines|say "x"': 0, 'two\nlines|q4': 1,
};

describe('wide CSV/TSV, read by the byte reader', () => {
  const dir = tmpDir();

  test('quoted ids with commas, doubled quotes and a line break; empty and NA missing; scores cut and counted', async () => {
    const r = await read(write(dir, 'tricky.csv', TRICKY + '\n'));
    assert.deepEqual(cellsOf(r), EXPECTED);
    assert.deepEqual([r.report.rows, r.report.missingRows, r.report.scoresCut], [12, 3, 2]);
    const strict = await read(write(dir, 'tricky2.csv', TRICKY + '\n'), { threshold: 0.9 });
    assert.equal(cellsOf(strict)['the "b" model|q,2'], 0, '0.8 is wrong at threshold 0.9');
  });

  test('CRLF line ends, a byte-order mark, no final newline, gzip and TSV give the same matrix', async () => {
    const crlf = await read(write(dir, 'crlf.csv', '\ufeff' + TRICKY.replace(/\n(?!lines)/g, '\r\n')));
    assert.deepEqual(cellsOf(crlf), EXPECTED);
    const gz = await read(write(dir, 'tricky.csv.gz', TRICKY + '\n'));
    assert.deepEqual(cellsOf(gz), EXPECTED);
    // a file whose last line ends in a bare CR after a quoted field ends as one ending after an unquoted field
    const quotedEnd = await read(write(dir, 'cr-quoted.csv', 'model,q1\r\na,1\r\nb,"0"\r'));
    const plainEnd = await read(write(dir, 'cr-plain.csv', 'model,q1\r\na,1\r\nb,0\r'));
    assert.deepEqual(cellsOf(quotedEnd), { 'a|q1': 1, 'b|q1': 0 });
    assert.deepEqual(cellsOf(plainEnd), cellsOf(quotedEnd));
    const tsv = await read(write(dir, 't.tsv', 'model\tq1\tq2\n"a\tb"\t1\t\nc\t0\t1\n'));
    assert.deepEqual(cellsOf(tsv), { 'a\tb|q1': 1, 'a\tb|q2': null, 'c|q1': 0, 'c|q2': 1 });
  });

  test('rows longer than a read chunk and records across chunk boundaries, plain and gzipped', async () => {
    const nItems = 3000;
    const nModels = 900; // ~5.4 MB: every 4 MB read ends inside a record
    const value = (m: number, i: number) => ((m * 7 + i * 13) % 11 === 0 ? '' : (m + i) % 3 === 0 ? '1' : '0');
    const lines = ['model,' + Array.from({ length: nItems }, (_, i) => `i${i}`).join(',')];
    for (let m = 0; m < nModels; m++) lines.push(`"m,${m}",` + Array.from({ length: nItems }, (_, i) => value(m, i)).join(','));
    const text = lines.join('\r\n') + '\r\n';
    for (const file of [write(dir, 'big.csv', text), write(dir, 'big.csv.gz', text)]) {
      const r = await read(file);
      assert.equal(r.matrix.models.length, nModels);
      let wrong = 0;
      for (let a = 0; a < nModels; a++) {
        const m = Number(r.matrix.models[a].slice(2));
        for (let b = 0; b < nItems; b++) {
          const want = value(m, Number(r.matrix.items[b].slice(1)));
          const got = r.matrix.data[a * nItems + b];
          if (got !== (want === '' ? MISSING : Number(want))) wrong++;
        }
      }
      assert.equal(wrong, 0, path.basename(file));
    }
  });

  test('a ragged row, an unclosed quote, text after a closing quote: the line that does not parse', async () => {
    await rejects(read(write(dir, 'ragged.csv', 'model,q1,q2\na,1,0\n"b\nb",1\nc,0,0\n')), /ragged\.csv, line 3: this line does not parse as CSV \(it has 2 fields, the header 3\)/);
    await rejects(read(write(dir, 'open.csv', 'model,q1\na,1\n"b,0\nc,1\n')), /open\.csv, line 3: this line does not parse as CSV \(a quoted field is never closed\)/);
    await rejects(read(write(dir, 'after.csv', 'model,q1\n"a"x,1\n')), /after\.csv, line 2: .*closing quote is followed by "x"/);
    await rejects(read(write(dir, 'after-utf8.csv', 'model,q1\n"a"é,1\n')), /closing quote is followed by "é"/);
    await rejects(read(write(dir, 'inner.csv', 'model,q1\na"b,1\n')), /inner\.csv, line 2: .*a quote inside the unquoted field/);
  });

  test('a truncated gzip file is an error, never a shorter table', async () => {
    const rows = ['model,' + Array.from({ length: 300 }, (_, i) => `q${i}`).join(',')];
    for (let m = 0; m < 2000; m++) rows.push(`m${m},` + Array.from({ length: 300 }, (_, i) => ((m * i) % 3 ? '1' : '0')).join(','));
    const whole = fs.readFileSync(write(dir, 'whole.csv.gz', rows.join('\n') + '\n'));
    const cut = write(dir, 'cut.csv', '');
    fs.writeFileSync(cut + '.gz', whole.subarray(0, whole.length >> 1));
    await rejects(read(cut + '.gz'), /cut\.csv\.gz: the gzip data ends early/);
  });

  test('a bad cell names its line (counting a quoted line break) and column; an empty id its line', async () => {
    await rejects(read(write(dir, 'bad.csv', 'model,q1,q2\n"x\ny",1,0\nb,1,2\n')), /bad\.csv, line 4, column 3 \(q2\): item "q2": the score "2" lies outside \[0, 1\]/);
    await rejects(read(write(dir, 'noid.csv', 'model,q1\na,1\n,0\n')), /noid\.csv, line 3, column 1: the model id is empty/);
  });

  test('a model on two rows: equal answers kept once, different ones name both places', async () => {
    const same = await read(write(dir, 'twice.csv', 'model,q1,q2\na,1,\na,1,0\n'));
    assert.deepEqual([same.report.duplicatesDropped, cellsOf(same)['a|q2']], [1, 0]);
    await rejects(read(write(dir, 'clash.csv', 'model,q1\na,1\nb,0\na,0\n')), /clash\.csv, line 2, column 2 says "1"; .*clash\.csv, line 4, column 2 says "0"/);
  });
});

describe('wide Parquet, read by hyparquet', () => {
  const dir = tmpDir();
  // written by DuckDB, as a leaderboard's export would be: typed columns, NULL for missing
  async function parquet(name: string, select: string, codec = 'snappy'): Promise<string> {
    const file = path.join(dir, name);
    const duck = await openDuck();
    try {
      await duck.conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, COMPRESSION ${codec})`);
    } finally {
      duck.close();
    }
    return file;
  }
  const TYPED = `SELECT * FROM (VALUES
      ('org/a, large', true, 0.0, NULL, 'NA', 1::BIGINT),
      ('the "b" model', false, 0.8, 1, '0.3', NULL),
      ('c', NULL, NULL, 0, '1', 0::BIGINT)) t(model, q1, q2, q3, q4, q5)`;

  test('boolean, double, integer, text and bigint columns mean what the same cells mean in a CSV', async () => {
    const pq = await read(await parquet('typed.parquet', TYPED));
    const csv = await read(write(dir, 'typed.csv', 'model,q1,q2,q3,q4,q5\n"org/a, large",true,0.0,,NA,1\n"the ""b"" model",false,0.8,1,0.3,\nc,,,0,1,0\n'));
    assert.deepEqual(pq.matrix, csv.matrix);
    assert.deepEqual(pq.report, { ...csv.report, inputs: pq.report.inputs });
    assert.deepEqual(cellsOf(pq)['the "b" model|q2'], 1);
  });

  test('gzip and Brotli pages are unpacked by node, zstd ones by fzstd, LZ4 ones read by DuckDB: the same matrix', async () => {
    const snappy = await read(await parquet('typed.parquet', TYPED));
    for (const codec of ['gzip', 'brotli', 'zstd', 'lz4']) {
      const r = await read(await parquet(`typed-${codec}.parquet`, TYPED, codec));
      assert.deepEqual(r.matrix, snappy.matrix, codec);
    }
  });

  test('no id column: rows numbered; a bad cell named by row and column, the first in row order', async () => {
    const plain = await read(await parquet('plain.parquet', 'SELECT * FROM (VALUES (1, 0), (0, NULL)) t(a, b)'));
    assert.deepEqual([plain.matrix.models, plain.matrix.items, [...plain.matrix.data]], [['1', '2'], ['a', 'b'], [1, 0, 0, MISSING]]);
    const bad = await parquet('bad.parquet', `SELECT * FROM (VALUES ('m1', 1.0, 0.5), ('m2', 0.0, 1.5), ('m3', 7.0, 0.0)) t(model, q1, q2)`);
    await rejects(read(bad), /bad\.parquet, line 2, column 3 \(q2\): item "q2": the score 1.5 lies outside \[0, 1\]/);
  });

  test('two columns of one name are refused, as in a CSV header, not read one into the other', async () => {
    // DuckDB renames a repeated name when it writes, so the second name is patched to the first in the file's
    // footer (same length; Parquet keeps no checksum over it); pyarrow writes such files as they are
    const file = await parquet('twice.parquet', `SELECT * FROM (VALUES ('m1', 1, 0), ('m2', 0, 1)) t(model, item_AAAA, item_BBBB)`);
    const bytes = fs.readFileSync(file).toString('latin1').replaceAll('item_BBBB', 'item_AAAA');
    fs.writeFileSync(file, Buffer.from(bytes, 'latin1'));
    await rejects(read(file), /twice\.parquet.*the column name "item_AAAA" appears twice in the header \(columns 2 and 3\)/s);
  });

  test('a long Parquet table still goes to the long reader', async () => {
    const r = await read(await parquet('long.parquet', `SELECT * FROM (VALUES ('a', 'x', 1), ('b', 'x', 0)) t(model, item, correct)`));
    assert.deepEqual(cellsOf(r), { 'a|x': 1, 'b|x': 0 });
  });

  // 5,000 rows in three row groups, 13 item columns: answers, NULLs and scores to cut, from the row's hash
  const cell = (q: number, bad = '') => `CASE ${bad} WHEN hash(r * 31 + ${q}) % 7 = 0 THEN NULL WHEN hash(r * 31 + ${q}) % 7 = 1 THEN 0.3 ELSE (hash(r * 31 + ${q}) % 2)::DOUBLE END AS q${q}`;
  const wide = (rows: string, bad: Record<number, string> = {}) => `SELECT 'm' || r AS model, ${Array.from({ length: 13 }, (_, q) => cell(q, bad[q] ?? '')).join(', ')} FROM ${rows}`;
  async function bigParquet(name: string, select: string): Promise<string> {
    const file = path.join(dir, name);
    const duck = await openDuck();
    try {
      await duck.conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet, ROW_GROUP_SIZE 2048)`);
    } finally {
      duck.close();
    }
    return file;
  }
  /** files read one after another into one builder, their columns split with a worker thread or not (2 threads) */
  async function fillAll(files: string[], workerCells: number, policy: ConflictPolicy = 'last') {
    const before = process.env.GRADUS_THREADS;
    process.env.GRADUS_THREADS = '2';
    try {
      const sources = [];
      for (const f of files) sources.push(new WideParquetSource(f, (await openParquet(f))!, undefined, workerCells));
      const ids = [];
      for (const s of sources) ids.push(await s.ids());
      const b = new MatrixBuilder(sortNatural([...new Set(ids.flatMap((i) => i.models))]), sortNatural([...new Set(ids.flatMap((i) => i.items))]), policy);
      const stats = [];
      try {
        for (const s of sources) stats.push(await s.fill(b, 0.5));
      } catch (e) {
        return { error: (e as Error).message, threads: sources.map((s) => s.threads) };
      }
      const named = b.firstConflict && [b.models[b.firstConflict.model], b.items[b.firstConflict.item]];
      return { result: { data: Buffer.from(b.finish().data).toString('hex'), stats, dropped: b.duplicatesDropped, conflicts: b.conflicts, named }, threads: sources.map((s) => s.threads) };
    } finally {
      if (before === undefined) delete process.env.GRADUS_THREADS;
      else process.env.GRADUS_THREADS = before;
    }
  }

  test('a first input filled on two threads gives the matrix and counts of one; a later one, repeats and all, stays on one', async () => {
    const a = await bigParquet('wide-a.parquet', wide('range(5000) t(r)'));
    // the second file repeats models 4000..4999 of the first, with other answers in a few of their cells
    const b = await bigParquet('wide-b.parquet', wide('range(4000, 7000) t(r)', { 2: 'WHEN r % 5 = 0 THEN 1 - (hash(r * 31 + 2) % 2)::DOUBLE', 11: 'WHEN r % 3 = 0 THEN 1 - (hash(r * 31 + 11) % 2)::DOUBLE' }));
    for (const policy of ['first', 'last', 'mean', 'error'] as ConflictPolicy[]) {
      const one = await fillAll([a, b], Infinity, policy);
      const split = await fillAll([a, b], 0, policy);
      assert.deepEqual([one.threads, split.threads], [[1, 1], [2, 1]], 'the worker takes the first input only');
      assert.ok(one.result!.conflicts > 0 && one.result!.dropped > 0, `${one.result!.conflicts} conflicts, ${one.result!.dropped} repeats: the second file overlaps the first`);
      assert.deepEqual(split.result, one.result, policy);
    }
    const stats = (await fillAll([a], 0)).result!.stats[0];
    assert.deepEqual(stats, { rows: 65000, missing: stats.missing, fractional: stats.fractional });
    assert.ok(stats.missing > 5000 && stats.fractional > 5000);
  });

  test('a bad cell in either half of the columns: the first in row order is named, with or without the worker', async () => {
    // bad scores at row 4300 in column q10 (the worker's half) and at row 4600 in q1 (the main thread's)
    const file = await bigParquet('wide-bad.parquet', wide('range(5000) t(r)', { 10: 'WHEN r = 4300 THEN 7.0', 1: 'WHEN r = 4600 THEN 9.0' }));
    const serial = await fillAll([file], Infinity);
    const split = await fillAll([file], 0);
    assert.match(String(serial.error), /wide-bad\.parquet, line 4301, column 12 \(q10\): item "q10": the score 7 lies outside \[0, 1\]/);
    assert.deepEqual(split, { error: serial.error, threads: [2] });
  });
});
