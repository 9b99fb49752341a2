/**
 * Parquet tables read by our page decoder (parquetColumns.ts, via longParquet.ts and wideParquet.ts) give exactly
 * what DuckDB's reader (tableSource.ts) gives for the same file: the same ids, cells and counts, the same error
 * messages. The files are written by DuckDB's own Parquet writer in each test: dictionary and PLAIN pages
 * (DICTIONARY_SIZE_LIMIT 1 turns the dictionary off), nulls, several row groups (ROW_GROUP_SIZE 2048, DuckDB's
 * smallest), each codec we decode, and files we leave to the other readers. DuckDB writes data page v1 headers
 * even with PARQUET_VERSION V2, so hyparquet-writer (whose pages are all v2) writes the v2 files.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { readResponses, GradusError, type ReadOptions } from '../src/index.js';
import { openDuck, sqlString } from '../src/util/duck.js';
import { sortNatural } from '../src/util/natural.js';
import { MatrixBuilder, type ConflictPolicy } from '../src/responses/builder.js';
import { TableSource } from '../src/responses/tableSource.js';
import { columnSupported, openParquet, unpackHybrid } from '../src/responses/parquetColumns.js';
import { LongParquetSource, longColumns } from '../src/responses/longParquet.js';
import { tmpDir } from './support/fixtures.js';
import { parquetWriteFile } from 'hyparquet-writer';

const dir = tmpDir();
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `select`'s rows written by DuckDB as `name`, with COPY options `opts`. */
async function writeParquet(name: string, select: string, opts = ''): Promise<string> {
  const file = path.join(dir, name);
  const d = await openDuck();
  try {
    await d.conn.run(`COPY (${select}) TO ${sqlString(file)} (FORMAT parquet${opts ? ', ' + opts : ''})`);
  } finally {
    d.close();
  }
  return file;
}

/** The file read the way read.ts does, but through DuckDB's reader alone. */
async function viaDuck(file: string, options: ReadOptions = {}) {
  const d = await openDuck();
  const s = new TableSource(file, d.conn, options);
  try {
    const ids = await s.ids();
    const b = new MatrixBuilder(sortNatural(new Set(ids.models)), sortNatural(new Set(ids.items)), (options.onConflict ?? 'error') as ConflictPolicy);
    const stats = await s.fill(b, options.threshold ?? 0.5);
    const m = b.finish();
    return { models: m.models, items: m.items, data: Buffer.from(m.data).toString('hex'), counts: [stats.rows, stats.missing, stats.fractional, b.duplicatesDropped, b.conflicts] };
  } finally {
    s.close();
    d.close();
  }
}

async function viaGradus(file: string, options: ReadOptions = {}) {
  const { matrix: m, report: r } = await readResponses(file, { cache: false, ...options });
  return { models: m.models, items: m.items, data: Buffer.from(m.data).toString('hex'), counts: [r.rows, r.missingRows, r.scoresCut, r.duplicatesDropped, r.conflicts] };
}

async function sameAsDuck(file: string, options: ReadOptions = {}) {
  const ours = await viaGradus(file, options);
  assert.deepEqual(ours, await viaDuck(file, options));
  assert.ok(ours.models.length > 1 && ours.items.length > 1);
  return ours;
}

/** Does our decoder read this file (rather than DuckDB's or hyparquet's reader)? */
async function decoded(file: string, layout: 'long' | 'wide'): Promise<boolean> {
  const t = await openParquet(file);
  if (!t?.names) return false;
  if (layout === 'long') return longColumns(t.metadata, t.names) !== null;
  return t.names.every((_, c) => c === 0 || columnSupported(t.metadata, c));
}

async function encodings(file: string): Promise<string[]> {
  const t = await openParquet(file);
  return [...new Set(t!.metadata.row_groups.flatMap((g) => g.columns.flatMap((c) => c.meta_data!.encodings)))].sort();
}

async function rejectsAlike(file: string, options: ReadOptions = {}): Promise<string> {
  const message = (p: Promise<unknown>) => p.then(() => assert.fail('no error'), (e: unknown) => {
    assert.ok(e instanceof GradusError, String(e));
    return e.message;
  });
  const ours = await message(viaGradus(file, options));
  assert.equal(ours, await message(viaDuck(file, options)));
  return ours;
}

/** 7,200 rows: 60 models × 120 items; every 7th answer null; `answer` is the SQL of the answer column. */
const long = (answer: string, where = 'true') =>
  `SELECT 'org/m' || (r // 120) AS model, 'q' || (r % 120) AS item, CASE WHEN r % 7 = 0 THEN NULL ELSE ${answer} END AS correct FROM range(7200) t(r) WHERE ${where}`;

describe('long Parquet tables through the page decoder', () => {
  test('integer answers with nulls, dictionary pages, four row groups, in each codec we decode', async () => {
    for (const codec of ['snappy', 'gzip', 'zstd', 'uncompressed']) {
      const file = await writeParquet(`long-${codec}.parquet`, long('(hash(r) % 2)::INTEGER'), `COMPRESSION ${codec}, ROW_GROUP_SIZE 2048`);
      assert.ok(await decoded(file, 'long'), codec);
      assert.ok((await openParquet(file))!.metadata.row_groups.length >= 3);
      const r = await sameAsDuck(file);
      assert.deepEqual([r.models.length, r.items.length, r.counts[0], r.counts[1]], [60, 120, 7200, 1029]);
    }
  });

  test('PLAIN pages (no dictionary) and data pages v2 give the same matrix', async () => {
    const plain = await writeParquet('long-plain.parquet', long('(hash(r) % 2)::BIGINT'), 'DICTIONARY_SIZE_LIMIT 1');
    assert.ok(!(await encodings(plain)).some((e) => e.includes('DICTIONARY')), 'the writer made PLAIN pages');
    assert.ok(await decoded(plain, 'long'));
    await sameAsDuck(plain);
    const v2 = await writeParquet('long-v2.parquet', long('(hash(r) % 2)::INTEGER'), 'PARQUET_VERSION V2, ROW_GROUP_SIZE 2048');
    assert.ok(await decoded(v2, 'long'));
    await sameAsDuck(v2);
  });

  test('data pages v2 of another writer (hyparquet-writer): several pages a chunk, RLE booleans, PLAIN strings, nulls', async () => {
    const n = 6000;
    const model = Array.from({ length: n }, (_, r) => `org/m${r % 97}`);
    const item = Array.from({ length: n }, (_, r) => `q${Math.floor(r / 97)}`);
    const bool = Array.from({ length: n }, (_, r) => (r % 13 === 0 ? null : (r * 7919) % 3 === 0));
    const int = Array.from({ length: n }, (_, r) => (r % 11 === 0 ? null : (r * 31) % 2));
    for (const [name, answer, codec] of [['v2-bool', { data: bool, type: 'BOOLEAN' }, 'SNAPPY'], ['v2-int', { data: int, type: 'INT32' }, 'UNCOMPRESSED']] as const) {
      const file = path.join(dir, `${name}.parquet`);
      await parquetWriteFile({
        filename: file,
        codec,
        rowGroupSize: 2500,
        pageSize: 1500,
        columnData: [
          { name: 'model', data: model, type: 'STRING' },
          { name: 'item', data: item, type: 'STRING', encoding: 'PLAIN' },
          { name: 'correct', ...answer },
        ],
      });
      const t = (await openParquet(file))!;
      const stats = t.metadata.row_groups[0].columns.flatMap((c) => c.meta_data!.encoding_stats ?? []);
      assert.ok(stats.some((e) => e.page_type === 'DATA_PAGE_V2' && e.count > 1), 'several v2 pages in a chunk');
      const enc = t.metadata.row_groups[0].columns.map((c) => c.meta_data!.encodings);
      assert.ok(enc[0].includes('RLE_DICTIONARY') && enc[1].includes('PLAIN') && !enc[1].includes('RLE_DICTIONARY'));
      if (name === 'v2-bool') assert.ok(enc[2].includes('RLE'), 'booleans RLE-encoded');
      assert.ok(await decoded(file, 'long'), name);
      const r = await sameAsDuck(file);
      assert.equal(r.counts[1], answer.data.filter((v) => v === null).length);
    }
  });

  test('boolean, double (scores cut at the threshold, NaN missing) and string answers', async () => {
    const bool = await writeParquet('long-bool.parquet', long('hash(r) % 2 = 0'));
    const dbl = await writeParquet('long-double.parquet', long(`CASE WHEN r % 11 = 0 THEN 'NaN'::DOUBLE ELSE (hash(r) % 5) / 4.0 END`), 'DICTIONARY_SIZE_LIMIT 1');
    const words = `['1', '0', 'yes', 'no', 'NA', ' 0.75 ', '', 'TRUE', '0.2', 'f'][(hash(r) % 10 + 1)::BIGINT]`;
    const str = await writeParquet('long-string.parquet', long(words));
    for (const file of [bool, dbl, str]) {
      assert.ok(await decoded(file, 'long'), file);
      await sameAsDuck(file);
    }
    const cut = await sameAsDuck(dbl, { threshold: 0.8 });
    assert.ok(Number(cut.counts[2]) > 0, 'scores between 0 and 1 were cut');
    await sameAsDuck(str, { threshold: 0.8 });
  });

  test('integer ids, and repeated (model, item) rows under each --on-conflict policy', async () => {
    const ints = await writeParquet('long-int-ids.parquet', `SELECT r // 50 AS model, (r % 50)::BIGINT AS item, (hash(r) % 2)::INTEGER AS correct FROM range(3000) t(r)`);
    assert.ok(await decoded(ints, 'long'));
    await sameAsDuck(ints);
    // the second half repeats the first with other answers: row order decides first and last
    const dup = await writeParquet('long-dup.parquet', `SELECT 'm' || (r % 1500 // 30) AS model, 'i' || (r % 30) AS item, (hash(r) % 2)::INTEGER AS correct FROM range(3000) t(r) ORDER BY r`, 'ROW_GROUP_SIZE 2048');
    for (const onConflict of ['first', 'last', 'mean'] as const) await sameAsDuck(dup, { onConflict });
    // the places come from DuckDB's reader (locate), so only the message's shape is ours to check
    await assert.rejects(viaGradus(dup), /model "m\d+" answers item "i\d+" differently in two places \(.*line \d+ says "[01]"; .*line \d+ says "[01]"\)/);
  });

  test('a bad answer, an empty id and a null id are reported as DuckDB\'s reader reports them', async () => {
    const bad = await writeParquet('long-bad.parquet', long(`CASE WHEN r = 4000 THEN 'maybe' ELSE (hash(r) % 2)::VARCHAR END`));
    assert.match(await rejectsAlike(bad), /"maybe" is not a number/);
    const out = await writeParquet('long-out.parquet', long(`CASE WHEN r = 5000 THEN 3 ELSE hash(r) % 2 END::INTEGER`));
    assert.match(await rejectsAlike(out), /outside \[0, 1\]/);
    const blank = await writeParquet('long-blank.parquet', `SELECT CASE WHEN r = 77 THEN ' ' ELSE 'm' || (r // 10) END AS model, 'i' || (r % 10) AS item, 1 AS correct FROM range(300) t(r)`);
    assert.match(await rejectsAlike(blank), /model id is empty/);
    const nul = await writeParquet('long-null.parquet', `SELECT 'm' || (r // 10) AS model, CASE WHEN r = 201 THEN NULL ELSE 'i' || (r % 10) END AS item, 1 AS correct FROM range(300) t(r)`);
    assert.match(await rejectsAlike(nul), /item id is empty/);
  });

  test('pass 1 split with a worker thread (the later row groups) gives the same ids and matrix', async () => {
    // new ids in the worker's half too (models 40..59 appear only there), so the merge must renumber them
    const file = await writeParquet('long-worker.parquet', long('(hash(r) % 2)::INTEGER'), 'ROW_GROUP_SIZE 2048');
    const table = (await openParquet(file))!;
    const source = new LongParquetSource(file, table, longColumns(table.metadata, table.names!)!, () => assert.fail('no DuckDB fallback'), 0);
    const ids = await source.ids();
    const b = new MatrixBuilder(sortNatural(ids.models), sortNatural(ids.items), 'error');
    const stats = await source.fill(b, 0.5);
    source.close();
    const duck = await viaDuck(file);
    assert.deepEqual([b.models, b.items, Buffer.from(b.finish().data).toString('hex')], [duck.models, duck.items, duck.data]);
    assert.deepEqual([stats.rows, stats.missing], duck.counts.slice(0, 2));
  });

  test('files the decoder leaves alone (a nested column, a DECIMAL answer, LZ4 pages) still read, through DuckDB', async () => {
    const nested = await writeParquet('long-nested.parquet', `SELECT 'm' || (r // 10) AS model, 'i' || (r % 10) AS item, (r % 2)::INTEGER AS correct, [r, r] AS extra FROM range(300) t(r)`);
    const decimal = await writeParquet('long-decimal.parquet', long('((hash(r) % 3) / 2.0)::DECIMAL(4,2)'));
    const lz4 = await writeParquet('long-lz4.parquet', long('(hash(r) % 2)::INTEGER'), 'COMPRESSION lz4');
    assert.equal((await openParquet(lz4)), null, 'no LZ4 decompressor here');
    for (const file of [nested, decimal, lz4]) {
      assert.equal(await decoded(file, 'long'), false, file);
      await sameAsDuck(file);
    }
  });
});

/** 3,000 models (several row groups) × `n` items q0… of answer SQL `answer` (over row r and column k), nulls mixed in. */
function wide(n: number, answer: (k: number) => string): string {
  const cols = Array.from({ length: n }, (_, k) => `CASE WHEN (r + ${k}) % 9 = 0 THEN NULL ELSE ${answer(k)} END AS q${k}`);
  return `SELECT 'org/m' || r AS model, ${cols.join(', ')} FROM range(3000) t(r)`;
}

describe('wide Parquet tables through the page decoder', () => {
  test('integer, boolean, double and string item columns; dictionary and PLAIN pages; each codec', async () => {
    const answers = (k: number) => [`(hash(r, ${k}) % 2)::TINYINT`, `hash(r, ${k}) % 2 = 0`, `(hash(r, ${k}) % 5) / 4.0`, `['1', '0', 'NA', 'yes', '0.6'][(hash(r, ${k}) % 5 + 1)::BIGINT]`][k % 4];
    for (const opts of ['COMPRESSION snappy, ROW_GROUP_SIZE 2048', 'COMPRESSION gzip, DICTIONARY_SIZE_LIMIT 1', 'COMPRESSION zstd', 'COMPRESSION uncompressed, PARQUET_VERSION V2']) {
      const file = await writeParquet(`wide-${opts.replace(/\W+/g, '-')}.parquet`, wide(70, answers), opts);
      assert.ok(await decoded(file, 'wide'), opts);
      const r = await sameAsDuck(file, { layout: 'wide' });
      assert.deepEqual([r.models.length, r.items.length], [3000, 70]);
      assert.deepEqual(r, await viaGradus(file), 'the layout is found without --layout');
    }
  });

  test('the first bad cell in row order is named with its row and column, as DuckDB\'s reader names it', async () => {
    const bad = (k: number) => `CASE WHEN (r = 2500 AND ${k} = 3) OR (r = 2600 AND ${k} = 10) THEN 'oops' WHEN r = 2700 AND ${k} = 1 THEN '7' ELSE (hash(r, ${k}) % 2)::VARCHAR END`;
    const file = await writeParquet('wide-bad.parquet', wide(20, bad), 'ROW_GROUP_SIZE 2048');
    assert.ok(await decoded(file, 'wide'));
    assert.match(await rejectsAlike(file, { layout: 'wide' }), /line 2501, column 5 \(q3\): item "q3": the answer "oops" is not a number/);
    // columns are decoded 64 at a time: a bad cell in a later block but an earlier row still comes first
    // (DuckDB's wide reader ran out of its memory on 130 columns of CASE expressions, so the message is spelled out)
    const many = await writeParquet('wide-bad-many.parquet', wide(130, (k) => `CASE WHEN (r = 2500 AND ${k} = 3) OR (r = 2400 AND ${k} = 100) THEN 'oops' ELSE (hash(r, ${k}) % 2)::VARCHAR END`), 'ROW_GROUP_SIZE 2048');
    await assert.rejects(viaGradus(many, { layout: 'wide' }), /line 2401, column 102 \(q100\): item "q100": the answer "oops" is not a number/);
  });

  test('a wide table with a column the decoder leaves alone (DECIMAL) reads through hyparquet the same', async () => {
    const file = await writeParquet('wide-decimal.parquet', wide(6, (k) => (k === 2 ? `((hash(r) % 3) / 2.0)::DECIMAL(4,2)` : `(hash(r, ${k}) % 2)::INTEGER`)));
    assert.equal(await decoded(file, 'wide'), false);
    await sameAsDuck(file, { layout: 'wide', threshold: 0.6 });
  });
});

describe('the RLE / bit-packed hybrid', () => {
  /** values bit-packed LSB first, as the Parquet spec lays them out, in one run (header: groups << 1 | 1) */
  function bitPacked(values: number[], width: number): Uint8Array {
    const groups = Math.ceil(values.length / 8);
    const bytes = new Uint8Array(1 + groups * width);
    bytes[0] = (groups << 1) | 1;
    values.forEach((v, k) => {
      for (let bit = 0; bit < width; bit++) if (Math.floor(v / 2 ** bit) % 2) bytes[1 + ((k * width + bit) >> 3)] |= 1 << ((k * width + bit) & 7);
    });
    return bytes;
  }

  test('bit-packed runs of every width from 1 to 32 read back, and an RLE run repeats its value', () => {
    for (let width = 1; width <= 32; width++) {
      const values = Array.from({ length: 13 }, (_, k) => Math.floor(((k * 2654435761) % 2 ** 32) / 2 ** (32 - width)));
      values[0] = 2 ** width - 1;
      const out = new Int32Array(13);
      const packed = bitPacked(values, width);
      unpackHybrid(packed, 0, packed.length, width, out, 0, 13, null);
      assert.deepEqual(Array.from(out), values.map((v) => v | 0), `width ${width}`);
    }
    const rle = new Int32Array(5);
    unpackHybrid(Uint8Array.from([5 << 1, 0x34, 0x12]), 0, 3, 13, rle, 0, 5, Int32Array.from({ length: 0x1235 }, (_, k) => k * 2));
    assert.deepEqual(Array.from(rle), [0x2468, 0x2468, 0x2468, 0x2468, 0x2468]);
  });
});
