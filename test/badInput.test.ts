import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
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
