import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ROOT, cli, sha, tmpDir, write } from './support/fixtures.js';

/** Every bad input ends in one paragraph naming the place, exit code 2, and no stack trace. */
function expectBad(args: string[], ...patterns: RegExp[]) {
  const r = cli(['inspect', ...args]);
  assert.equal(r.code, 2, `exit code 2 expected, got ${r.code}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.equal(r.stderr.trim().split('\n').length, 1, `one paragraph expected:\n${r.stderr}`);
  for (const p of patterns) assert.match(r.stderr, p);
  return r;
}

describe('bad input', () => {
  const dir = tmpDir();

  test('a missing required column', () => {
    const f = write(dir, 'nocol.csv', 'model,item,answer\na,x,1\n');
    expectBad([f], /nocol\.csv, line 1: a long table needs the column correct \(or score\)/, /"answer"/, /Rename the columns/);
  });

  test('an unknown format', () => {
    const f = write(dir, 'data.xlsx', 'whatever');
    expectBad([f], /data\.xlsx: unknown format/, /--format/);
  });

  test('an empty file, and one with only a header', () => {
    expectBad([write(dir, 'empty.csv', '')], /empty\.csv: the file is empty/);
    expectBad([write(dir, 'header.csv', 'model,item,correct\n')], /header\.csv: the file has a header but no responses/);
  });

  test('a score that is not a number', () => {
    const rows = Array.from({ length: 30000 }, (_, k) => `m${k % 7},i${k},1`).join('\n');
    // far past DuckDB's type-sniffing sample, so the fast path meets it mid-scan
    const f = write(dir, 'nan.csv', `model,item,correct\n${rows}\nm1,late,yes please\n`);
    expectBad([f], /nan\.csv, line 30002, column 3 \(correct\): the answer "yes please" is not a number/, /0\/1, true\/false/);
  });

  test('a score outside [0, 1], in CSV and in JSONL', () => {
    expectBad([write(dir, 'oor.csv', 'model,item,score\na,x,0.5\na,y,1.5\n')], /oor\.csv, line 3, column 3 \(score\): the score "1.5" lies outside \[0, 1\]/);
    expectBad([write(dir, 'oor.jsonl', '{"model":"a","item":"x","score":0.1}\n{"model":"a","item":"y","score":-2}\n')], /oor\.jsonl, line 2, column "score": the score -2 lies outside/);
  });

  test('a bad cell in a wide table names its row and column', () => {
    expectBad([write(dir, 'wide.csv', 'model,q1,q2\na,1,0\nb,1,maybe\n')], /wide\.csv, line 3, column 3 \(q2\): item "q2": the answer "maybe" is not a number/);
  });

  test('a line that does not parse', () => {
    expectBad([write(dir, 'ragged.csv', 'model,item,correct\na,x,1\na,y,0,extra\n')], /ragged\.csv, line 3: this line does not parse as CSV/);
    expectBad([write(dir, 'broken.jsonl', '{"model":"a","item":"x","correct":1}\n{"model": "a", "item": \n')], /broken\.jsonl, line 2(, column \d+)?: this line is not valid JSON/);
  });

  test('an empty model id', () => {
    expectBad([write(dir, 'noid.csv', 'model,item,correct\na,x,1\n,y,0\n')], /noid\.csv, line 3, column 1 \(model\): the model id is empty/);
  });

  test('conflicting answers name both lines, and a policy settles them', () => {
    const f = write(dir, 'conflict.csv', 'model,item,correct\na,x,1\nb,x,1\na,x,0\n');
    expectBad([f], /conflict\.csv, line 2 says "1"; .*conflict\.csv, line 4 says "0"/);
    const r = cli(['inspect', f, '--on-conflict', 'last', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).conflicts, 1);
  });

  test('a folder with no readable logs, and a path that does not exist', () => {
    const empty = tmpDir();
    expectBad([empty], /no lm-evaluation-harness logs/);
    expectBad([`${dir}/nope.csv`], /nope\.csv: no such file or folder/);
  });

  test('bad options', () => {
    const f = write(dir, 'ok.csv', 'model,item,correct\na,x,1\n');
    expectBad([f, '--threshold', '2'], /--threshold 2 is not in \(0, 1\]/);
    expectBad([f, '--group', 'subtask'], /--group needs --items/);
    const items = write(dir, 'items.csv', 'item,subtask\nx,s\n');
    expectBad([f, '--items', items, '--group', 'topic'], /--group "topic" is not a column of the items file/);
  });

  test('a truncated .gz file, and a plain file named .gz', () => {
    const rows = Array.from({ length: 5000 }, (_, k) => `m${k % 7},i${k},${k % 2}`).join('\n');
    const whole = zlib.gzipSync(`model,item,correct\n${rows}\n`);
    // DuckDB alone reads such a file up to the break and says nothing: the rows past it would be lost
    const cut = write(dir, 'cut.csv.gz', Buffer.alloc(0));
    fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    expectBad([cut], /cut\.csv\.gz: the gzip data ends early \(unexpected end of file\): the file is truncated/, /Copy or download the file again/);
    const plain = path.join(dir, 'plain.csv.gz');
    fs.writeFileSync(plain, 'model,item,correct\na,x,1\n');
    expectBad([plain], /plain\.csv\.gz: the file is named \.gz but is not gzip-compressed/, /Rename it without the \.gz/);
    const pq = path.join(dir, 'plain.parquet.gz');
    fs.writeFileSync(pq, 'PAR1 not really');
    expectBad([pq], /plain\.parquet\.gz: the file is named \.gz but is not gzip-compressed/);
  });

  test('a UTF-16 file, with or without its byte-order mark', () => {
    const text = 'model,item,correct\na,x,1\nb,x,0\n';
    const bom = path.join(dir, 'utf16.csv');
    fs.writeFileSync(bom, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    expectBad([bom], /utf16\.csv: the text is UTF-16, not UTF-8/, /iconv -f UTF-16 -t UTF-8/);
    const bare = path.join(dir, 'utf16.jsonl');
    fs.writeFileSync(bare, Buffer.from('{"model":"a","item":"x","correct":1}\n', 'utf16le'));
    expectBad([bare], /utf16\.jsonl: the text is UTF-16 or binary \(it holds NUL bytes\), not UTF-8/);
  });

  test('a header with a repeated column name', () => {
    expectBad([write(dir, 'twice.csv', 'model,q1,q2,q1\na,1,0,1\n')], /twice\.csv, line 1, column 4: the column name "q1" appears twice in the header \(columns 2 and 4\)/, /rename or remove one/);
  });

  test('a file separated by semicolons, and a TSV read as CSV', () => {
    expectBad([write(dir, 'semi.csv', 'model;item;correct\na;x;1\n')], /semi\.csv, line 1: the first line is one column, "model;item;correct": its fields seem separated by semicolons, but this file is read as comma-separated/, /commas between fields/);
    expectBad([write(dir, 'tabs.csv', 'model\titem\tcorrect\na\tx\t1\n')], /tabs\.csv, line 1: .*separated by tabs/, /--format to tsv/);
  });

  test('a headerless 0/1 matrix: a clear message, and read as a matrix with --header none', () => {
    const f = write(dir, 'matrix.csv', '0,1,1,0\n1,1,0,\n0,0,1,1\n');
    const hint = /line 1: the first line holds answers \("0,1,1,0"\), not column names: the table has no header\. .*set --header to none/;
    expectBad([f], hint);
    expectBad([f, '--layout', 'wide', '--id-column', 'none'], hint);
    const r = cli(['inspect', f, '--header', 'none', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.models, s.items, s.responses], [3, 4, 11]);
    assert.equal(s.meanCorrect, 6 / 11);
    expectBad([f, '--header', 'none', '--layout', 'long'], /without a header \(--header none\) can only be wide/);
  });

  test('--header none names items by column and models by row, or by the id column', async () => {
    const { readResponses } = await import('../src/index.js');
    const plain = await readResponses(write(dir, 'm.csv', '1,0\n0,\n'), { header: 'none' });
    assert.deepEqual([plain.matrix.models, plain.matrix.items, [...plain.matrix.data]], [['1', '2'], ['1', '2'], [1, 0, 0, 255]]);
    const ids = await readResponses(write(dir, 'ids.csv', 'gpt,1,0\nllama,0,1\n'), { header: 'none' });
    assert.deepEqual([ids.matrix.models, ids.matrix.items, [...ids.matrix.data]], [['gpt', 'llama'], ['2', '3'], [1, 0, 0, 1]]);
    const bad = cli(['inspect', write(dir, 'mbad.csv', '1,0\n0,2\n'), '--header', 'none']);
    assert.match(bad.stderr, /mbad\.csv, line 2, column 2 \(2\): item "2": the score "2" lies outside \[0, 1\]/);
  });

  test('nothing a user gave is modified', () => {
    const f = write(dir, 'keep.csv.gz', 'model,item,correct\na,x,1\na,x,1\n');
    const before = sha(f);
    const r = cli(['inspect', f]);
    assert.equal(r.code, 0);
    assert.match(r.stderr, /1 repeated \(model, item\) answer was identical/);
    assert.equal(sha(f), before);
  });
});

describe('help', () => {
  test('gradus --help lists the commands and each command has an example', () => {
    const r = cli(['--help']);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.equal(r.code, 0);
    assert.match(r.stdout, /inspect/);
    const commands = [...r.stdout.matchAll(/^  (\w+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    assert.ok(commands.length >= 1);
    for (const c of commands) {
      const h = cli([c, '--help']);
      assert.equal(h.code, 0, c);
      assert.match(h.stdout, /Example:\n  gradus /, `${c} --help has an example`);
      assert.match(readme, new RegExp(`### \`gradus ${c}( \\w+)?\``), `README documents gradus ${c}`);
    }
  });
});
