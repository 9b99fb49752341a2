/**
 * The long CSV/TSV byte reader (longText.ts) against the DuckDB path it replaced (TableSource, called directly):
 * the same ids, the same matrix to the byte, the same counts and the same settling of repeated answers, whether the
 * file is read by worker threads over many small byte ranges, as one stream on the main thread, or gunzipped; and
 * the same messages for a bad answer or an empty id. The CSV corners are RFC 4180's (quoted fields with separators,
 * doubled quotes and line breaks; CRLF), plus a UTF-8 byte-order mark.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, MISSING } from '../src/index.js';
import { openDuck } from '../src/util/duck.js';
import { sortNatural } from '../src/util/natural.js';
import { MatrixBuilder, type ConflictPolicy } from '../src/responses/builder.js';
import { TableSource } from '../src/responses/tableSource.js';
import { LongTextSource, type LongTextOptions } from '../src/responses/longText.js';
import { cutAtLineEnds } from '../src/responses/longParts.js';
import { detectFormat } from '../src/responses/format.js';
import { readHeader } from '../src/responses/locate.js';
import type { ResponseSource } from '../src/responses/source.js';
import { tmpDir, write } from './support/fixtures.js';

const duck = await openDuck();
after(() => duck.close());

/** Many small ranges, two workers: a 2 kB file is cut some forty times. */
const SMALL_PARTS: LongTextOptions = { threads: 2, partBytes: 48 };

async function longText(file: string, o: LongTextOptions): Promise<LongTextSource> {
  const { format, gzip } = detectFormat(file);
  const delimiter = format === 'tsv' ? '\t' : ',';
  return new LongTextSource(file, delimiter, gzip, await readHeader(file, delimiter, gzip), o);
}

/** What read.ts does with one source: ids in natural order, then the fill. */
async function readWith(s: ResponseSource, threshold = 0.5, policy: ConflictPolicy = 'first') {
  try {
    const ids = await s.ids();
    const b = new MatrixBuilder(sortNatural(ids.models), sortNatural(ids.items), policy);
    const stats = await s.fill(b, threshold);
    const m = b.finish();
    return { models: m.models, items: m.items, data: Array.from(m.data), stats, dropped: b.duplicatesDropped, conflicts: b.conflicts, firstConflict: b.firstConflict };
  } finally {
    s.close();
  }
}

/** Our reader (with `o`) and DuckDB's give the same result, which is returned. */
async function sameAsDuck(file: string, o: LongTextOptions, threshold = 0.5, policy: ConflictPolicy = 'first') {
  const ours = await readWith(await longText(file, o), threshold, policy);
  const duckdb = await readWith(new TableSource(file, duck.conn), threshold, policy);
  assert.deepEqual(ours, duckdb);
  return ours;
}

/** Both readers fail with the same message, which must match every pattern. */
async function sameError(file: string, o: LongTextOptions, ...patterns: RegExp[]) {
  const message = async (open: () => Promise<ResponseSource>) => {
    try {
      await readWith(await open());
    } catch (e) {
      assert.ok(e instanceof GradusError, String(e));
      return e.message;
    }
    assert.fail(`${file} was read without an error`);
  };
  const ours = await message(() => longText(file, o));
  assert.equal(ours, await message(async () => new TableSource(file, duck.conn)));
  for (const re of patterns) assert.match(ours, re);
}

const MODELS = ['"org/a, large"', '"the ""b"" model"', 'plain-c', '"two\nlines"', 'd'];
const ANSWERS = ['1', '0', '', 'NA', '0.8', '0.3', 'true', 'no', '"1"', '" 0 "', '1.0', 'N/A'];

/** A long table in which every model answers every item (some twice), the answers cycling through ANSWERS. */
function table(models: string[], nItems: number, sep = ','): string {
  const lines = [`model${sep}item${sep}correct`];
  let k = 0;
  for (const m of models) {
    for (let i = 0; i < nItems; i++) {
      const item = i % 4 === 1 ? `"q,${i}"` : `q${i}`;
      lines.push([m, item, ANSWERS[k++ % ANSWERS.length]].join(sep));
      // a repeat: the same answer every third time, else a different one
      if (i % 5 === 2) lines.push([m, item, k % 3 === 0 ? ANSWERS[(k - 1) % ANSWERS.length] : '1'].join(sep));
    }
  }
  return lines.join('\n') + '\n';
}

describe('long CSV/TSV, read by the byte reader', () => {
  const dir = tmpDir();
  const plain = MODELS.filter((m) => !m.includes('\n'));

  test('workers over many ranges, the main thread and DuckDB give the same matrix, counts and repeats', async () => {
    const file = write(dir, 'plain.csv', table(plain, 30));
    assert.ok(cutAtLineEnds(file, fs.statSync(file).size, SMALL_PARTS.partBytes!).length > 20, 'the file is cut into many ranges');
    const source = await longText(file, SMALL_PARTS);
    const ours = await readWith(source);
    assert.equal(source.readBy, 'workers');
    assert.deepEqual(ours, await sameAsDuck(file, { threads: 1 }));
    // 4 models × (30 items + 6 repeats); every row is missing, a cell's first answer, a repeat dropped or a conflict
    assert.equal(ours.stats.rows, 4 * 36);
    assert.equal(ours.stats.missing, 4 * 36 - ours.data.filter((v) => v !== MISSING).length - ours.dropped - ours.conflicts);
    assert.ok(ours.stats.fractional > 0 && ours.dropped > 0 && ours.conflicts > 0, 'scores were cut, repeats dropped and settled');
    assert.ok(ours.models.includes('the "b" model') && ours.items.includes('q,5'));
  });

  test('each conflict policy and a threshold settle as DuckDB settles them, across ranges', async () => {
    const file = write(dir, 'policies.csv', table(plain, 30));
    for (const policy of ['first', 'last', 'mean'] as ConflictPolicy[]) await sameAsDuck(file, SMALL_PARTS, 0.5, policy);
    const strict = await sameAsDuck(file, SMALL_PARTS, 0.9);
    const loose = await sameAsDuck(file, SMALL_PARTS, 0.5);
    assert.notDeepEqual(strict.data, loose.data, '0.8 is wrong at threshold 0.9');
  });

  test('a quoted id holding a line break, where the cuts fall inside quotes: read again as one stream', async () => {
    const file = write(dir, 'newlines.csv', table(MODELS, 30));
    const source = await longText(file, SMALL_PARTS);
    const ours = await readWith(source);
    assert.equal(source.readBy, 'stream');
    assert.deepEqual(ours, await sameAsDuck(file, { threads: 1 }));
    assert.ok(ours.models.includes('two\nlines'));
  });

  test('CRLF line ends, a byte-order mark, no final line end, blank lines', async () => {
    const text = table(plain, 20).replace(/\n/g, '\r\n');
    const ours = await sameAsDuck(write(dir, 'crlf.csv', '\ufeff' + text), SMALL_PARTS);
    assert.deepEqual(ours, await sameAsDuck(write(dir, 'lf.csv', table(plain, 20)), SMALL_PARTS));
    assert.deepEqual(ours, await sameAsDuck(write(dir, 'no-final-newline.csv', table(plain, 20).trimEnd()), SMALL_PARTS));
    const blank = table(plain, 20).split('\n');
    blank.splice(40, 0, '', '');
    assert.deepEqual(ours, await sameAsDuck(write(dir, 'blank-lines.csv', blank.join('\n')), SMALL_PARTS));
  });

  test('TSV with quoted tabs, and gzip', async () => {
    await sameAsDuck(write(dir, 'tabs.tsv', table(['"a\tb"', 'c', '"d ""e"""'], 25, '\t')), SMALL_PARTS);
    const gz = await longText(write(dir, 'plain.csv.gz', table(MODELS, 25)), SMALL_PARTS);
    assert.deepEqual(await readWith(gz), await sameAsDuck(write(dir, 'plain25.csv', table(MODELS, 25)), SMALL_PARTS));
    assert.equal(gz.readBy, 'stream');
  });

  test('a bad answer in a later range: its line and column, as DuckDB\'s path names them', async () => {
    const lines = table(plain, 30).split('\n');
    lines[101] = 'plain-c,q77,maybe';
    const file = write(dir, 'bad.csv', lines.join('\n'));
    await sameError(file, SMALL_PARTS, /bad\.csv, line 102, column 3 \(correct\): the answer "maybe" is not a number/);
    lines[101] = 'plain-c,q77,1.5';
    await sameError(write(dir, 'bad2.csv', lines.join('\n')), SMALL_PARTS, /line 102, column 3 \(correct\): the score "1.5" lies outside \[0, 1\]/);
    // after ids with line breaks in them (rows of "two\nlines" come before): lines are counted, not records
    const broken = table(MODELS, 30).split('\n');
    const at = broken.findIndex((l, k) => k > 150 && l.startsWith('d,'));
    broken[at] = 'd,q77,maybe';
    await sameError(write(dir, 'bad3.csv', broken.join('\n')), { threads: 2, partBytes: 1500 }, new RegExp(`bad3\\.csv, line ${at + 1}, column 3`));
  });

  test('an empty id, even after a bad answer: the first problem in file order is named', async () => {
    const lines = table(plain, 30).split('\n');
    lines[120] = ',q3,1';
    await sameError(write(dir, 'empty.csv', lines.join('\n')), SMALL_PARTS, /empty\.csv, line 121, column 1 \(model\): the model id is empty/);
    lines[60] = 'plain-c, ,0';
    await sameError(write(dir, 'empty2.csv', lines.join('\n')), SMALL_PARTS, /line 61, column 2 \(item\): the item id is empty/);
    lines[50] = 'plain-c,q3,x';
    await sameError(write(dir, 'empty3.csv', lines.join('\n')), SMALL_PARTS, /line 51, column 3 \(correct\): the answer "x" is not a number/);
  });

  test('a missing column, a ragged row and an unclosed quote are named with their line', async () => {
    await sameError(write(dir, 'nocol.csv', 'model,item,answer\na,x,1\n'), SMALL_PARTS, /nocol\.csv, line 1: a long table needs the column correct \(or score\)/);
    const lines = table(plain, 30).split('\n');
    lines[90] = 'plain-c,q3';
    const ragged = write(dir, 'ragged.csv', lines.join('\n'));
    await assert.rejects(readWith(await longText(ragged, SMALL_PARTS)), /ragged\.csv, line 91: this line does not parse as CSV \(it has 2 fields, the header 3\)/);
    await assert.rejects(readWith(new TableSource(ragged, duck.conn)), /ragged\.csv, line 91/);
    lines[90] = 'plain-c,q3,1';
    lines[lines.length - 1] = 'plain-c,"q3,1';
    const open = write(dir, 'open.csv', lines.join('\n'));
    await assert.rejects(readWith(await longText(open, SMALL_PARTS)), new RegExp(`open\\.csv, line ${lines.length}: this line does not parse as CSV \\(a quoted field is never closed\\)`));
  });

  test('ids are kept as written, where DuckDB\'s sniffer read a column of numbers as numbers', async () => {
    const file = write(dir, 'numbers.csv', 'model,item,correct\n007,1.50,1\n8,2.0,0\n');
    assert.deepEqual(await (await longText(file, SMALL_PARTS)).ids(), { models: ['007', '8'], items: ['1.50', '2.0'] });
    // the DuckDB path typed the item column DOUBLE and cast it back: 1.50 became 1.5
    assert.deepEqual((await new TableSource(file, duck.conn).ids()).items.sort(), ['1.5', '2.0']);
  });

  test('a gzipped table cut short is named as such, not read in part', async () => {
    const whole = write(dir, 'cut.csv.gz', table(plain, 200));
    const bytes = fs.readFileSync(whole);
    fs.writeFileSync(whole, bytes.subarray(0, bytes.length - 40));
    await assert.rejects(readWith(await longText(whole, SMALL_PARTS)), /cut\.csv\.gz: the gzip data ends early/);
  });

  test('more than 65,536 distinct items: id numbers past 16 bits', async () => {
    const lines = ['model,item,correct'];
    for (let i = 0; i < 70_000; i++) lines.push(`m${i % 3},i${i},${i % 7 === 0 ? '' : i % 2}`);
    const file = write(dir, 'many-items.csv', lines.join('\n') + '\n');
    // one numberer sees all 70,000 (two workers would each number about half)
    const ours = await sameAsDuck(file, { threads: 1 });
    assert.deepEqual(await readWith(await longText(file, { threads: 2, partBytes: 64 << 10 })), ours);
    assert.equal(ours.items.length, 70_000);
    // 69999 % 3 === 0: m0 answered it (69999 is odd: right), m2 did not
    assert.equal(ours.data[ours.items.indexOf('i69999')], 1);
    assert.equal(ours.data[2 * 70_000 + ours.items.indexOf('i69999')], MISSING);
  });

  test('a file of a header only has no responses', async () => {
    await sameError(write(dir, 'header.csv', 'model,item,correct\n'), SMALL_PARTS, /header\.csv: the file has a header but no responses/);
  });

  test('locate names every line of a (model, item), for the conflict message', async () => {
    const file = write(dir, 'where.csv', 'model,item,correct\n"a\nb",x,1\nc,x,0\n"a\nb",x,0\n');
    const source = await longText(file, SMALL_PARTS);
    assert.deepEqual(await source.locate('a\nb', 'x'), [
      { file, line: 2, answer: '1' },
      { file, line: 5, answer: '0' },
    ]);
    assert.equal(path.basename(file), 'where.csv');
  });
});
