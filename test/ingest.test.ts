import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { readResponses, MISSING, GradusError, summarize } from '../src/index.js';
import { openDuck, sqlString } from '../src/util/duck.js';
import { cellsOf, tmpDir, write } from './support/fixtures.js';

const LONG = `model,item,correct
m1,q1,1
m1,q2,0
m2,q1,0
m2,q3,1
m10,q2,1
`;

describe('long tables in every format', () => {
  const dir = tmpDir();
  const expected = { 'm1|q1': 1, 'm1|q2': 0, 'm1|q3': null, 'm2|q1': 0, 'm2|q2': null, 'm2|q3': 1, 'm10|q1': null, 'm10|q2': 1, 'm10|q3': null };

  test('csv, with natural id order and missing kept missing', async () => {
    const r = await readResponses(write(dir, 'a.csv', LONG));
    assert.deepEqual(r.matrix.models, ['m1', 'm2', 'm10']);
    assert.deepEqual(r.matrix.items, ['q1', 'q2', 'q3']);
    assert.deepEqual(cellsOf(r), expected);
  });

  for (const name of ['a.tsv', 'a.csv.gz', 'a.tsv.gz']) {
    test(name, async () => {
      const text = name.includes('tsv') ? LONG.replace(/,/g, '\t') : LONG;
      assert.deepEqual(cellsOf(await readResponses(write(dir, name, text))), expected);
    });
  }

  const jsonl = LONG.trim().split('\n').slice(1).map((l) => {
    const [model, item, correct] = l.split(',');
    return JSON.stringify({ model, item, correct: correct === '1', extra: 'ignored' });
  }).join('\n') + '\n';
  for (const name of ['a.jsonl', 'a.jsonl.gz']) {
    test(`${name} with boolean answers`, async () => {
      assert.deepEqual(cellsOf(await readResponses(write(dir, name, jsonl))), expected);
    });
  }

  test('parquet and parquet.gz', async () => {
    const csv = write(dir, 'src.csv', LONG);
    const pq = path.join(dir, 'a.parquet');
    const duck = await openDuck();
    await duck.conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(pq)} (FORMAT parquet)`);
    duck.close();
    assert.deepEqual(cellsOf(await readResponses(pq)), expected);
    const gz = write(dir, 'b.parquet.gz', fs.readFileSync(pq));
    assert.deepEqual(cellsOf(await readResponses(gz)), expected);
  });

  test('--format overrides the extension', async () => {
    const f = write(dir, 'data.txt', LONG);
    assert.deepEqual(cellsOf(await readResponses(f, { format: 'csv' })), expected);
  });
});

describe('scores', () => {
  test('scores are cut at the threshold and counted; NA and empty are missing, not wrong', async () => {
    const dir = tmpDir();
    const f = write(dir, 's.csv', 'model,item,score\na,x,0.7\na,y,0.2\na,z,NA\nb,x,1\nb,y,\nb,z,0.5\n');
    const r = await readResponses(f);
    assert.deepEqual(cellsOf(r), { 'a|x': 1, 'a|y': 0, 'a|z': null, 'b|x': 1, 'b|y': null, 'b|z': 1 });
    assert.equal(r.report.scoresCut, 3);
    assert.equal(r.report.missingRows, 2);
    assert.match(r.report.warnings.join(' '), /3 scores .* cut at 0.5/);
    const r2 = await readResponses(f, { threshold: 0.8 });
    assert.equal(cellsOf(r2)['a|x'], 0);
    assert.equal(cellsOf(r2)['b|z'], 0);
  });
});

describe('wide tables', () => {
  test('with an id column equals the long form', async () => {
    const dir = tmpDir();
    const wide = write(dir, 'w.csv', 'model,q1,q2,q3\nm1,1,0,\nm2,0,NA,1\nm10,,1,\n');
    const a = await readResponses(wide);
    const b = await readResponses(write(dir, 'l.csv', LONG));
    assert.deepEqual(a.matrix, b.matrix);
  });

  test('without an id column the rows are numbered', async () => {
    const dir = tmpDir();
    const r = await readResponses(write(dir, 'w.csv', '"Item.1","Item.2"\n0,1\n1,1\n1,NA\n'));
    assert.deepEqual(r.matrix.models, ['1', '2', '3']);
    assert.deepEqual(r.matrix.items, ['Item.1', 'Item.2']);
    assert.deepEqual(Array.from(r.matrix.data), [0, 1, 1, 1, 1, MISSING]);
  });

  test('an id column whose name says nothing is found by its content', async () => {
    const dir = tmpDir();
    const r = await readResponses(write(dir, 'w.tsv', 'who\ta\tb\nllama\t1\t0\nqwen\t0\t0\n'));
    assert.deepEqual(r.matrix.models, ['llama', 'qwen']);
  });
});

describe('several inputs merge', () => {
  test('one file per model', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'model,item,correct\nA,1,1\nA,2,0\n');
    const b = write(dir, 'b.jsonl', '{"model":"B","item":"2","correct":1}\n{"model":"B","item":"3","correct":0}\n');
    const r = await readResponses([a, b]);
    assert.deepEqual(r.matrix.models, ['A', 'B']);
    assert.deepEqual(r.matrix.items, ['1', '2', '3']);
    assert.deepEqual(cellsOf(r), { 'A|1': 1, 'A|2': 0, 'A|3': null, 'B|1': null, 'B|2': 1, 'B|3': 0 });
  });
});

describe('repeats', () => {
  test('identical repeats are kept once and counted', async () => {
    const dir = tmpDir();
    const r = await readResponses(write(dir, 'd.csv', 'model,item,correct\na,x,1\na,x,1\na,y,0\n'));
    assert.equal(r.report.duplicatesDropped, 1);
    assert.equal(r.matrix.data.length, 2);
  });

  test('conflicts: error names both lines; first/last/mean settle them', async () => {
    const dir = tmpDir();
    const f = write(dir, 'c.csv', 'model,item,correct\na,x,1\na,y,0\na,x,0\na,x,0\n');
    await assert.rejects(readResponses(f), (e: unknown) => {
      assert.ok(e instanceof GradusError);
      assert.match(e.message, /"a" answers item "x" differently/);
      assert.match(e.message, /c\.csv, line 2 says "1"/);
      assert.match(e.message, /c\.csv, line 4 says "0"/);
      assert.match(e.message, /`onConflict` first\|last\|mean/);
      return true;
    });
    const get = async (p: 'first' | 'last' | 'mean') => cellsOf(await readResponses(f, { onConflict: p }))['a|x'];
    assert.equal(await get('first'), 1);
    assert.equal(await get('last'), 0);
    assert.equal(await get('mean'), 0); // 1, 0, 0 → mean 1/3
  });

  test('conflicts across two files name both files', async () => {
    const dir = tmpDir();
    const a = write(dir, 'a.csv', 'model,item,correct\nm,i,1\n');
    const b = write(dir, 'b.csv', 'model,item,correct\nm,i,0\n');
    await assert.rejects(readResponses([a, b]), /a\.csv, line 2 says "1".*b\.csv, line 2 says "0"/);
  });
});

describe('summary', () => {
  test('counts items and models without variation', async () => {
    const dir = tmpDir();
    const r = await readResponses(write(dir, 's.csv', 'model,item,correct\na,x,1\na,y,1\nb,x,0\nb,y,1\nc,x,0\n'));
    const s = summarize(r.matrix, r.report);
    assert.equal(s.models, 3);
    assert.equal(s.responses, 5);
    assert.equal(s.itemsAllCorrect, 1); // y
    assert.equal(s.itemsAllWrong, 0);
    assert.equal(s.modelsNoWrong, 1); // a
    assert.equal(s.modelsNoCorrect, 1); // c
    assert.ok(Math.abs(s.shareMissing - 1 / 6) < 1e-12);
    assert.ok(Math.abs(s.meanCorrect - 3 / 5) < 1e-12);
  });
});

describe('matrix cache', () => {
  test('a second read of an unchanged file comes from the cache; a change to the file or an option reads afresh', async () => {
    const dir = tmpDir();
    const cache = path.join(dir, 'cache');
    const old = process.env.GRADUS_CACHE_DIR;
    process.env.GRADUS_CACHE_DIR = cache;
    try {
      const f = write(dir, 'r.csv', 'model,item,score\na,x,1\na,x,1\nb,x,0.7\nb,y,0\n');
      const first = await readResponses(f);
      const files = fs.readdirSync(cache);
      assert.equal(files.length, 1);
      // the cache file is what the second read returns: poison its cells and the poison shows
      const file = path.join(cache, files[0]);
      const bytes = fs.readFileSync(file);
      bytes[bytes.length - 1] = 1;
      fs.writeFileSync(file, bytes);
      const second = await readResponses(f);
      assert.deepEqual(second.report, first.report);
      assert.deepEqual([...first.matrix.data], [1, MISSING, 1, 0]);
      assert.deepEqual([...second.matrix.data], [1, MISSING, 1, 1]);
      // a different threshold is another key
      const cut = await readResponses(f, { threshold: 0.8 });
      assert.equal(cut.matrix.data[2], 0);
      assert.equal(fs.readdirSync(cache).length, 2);
      // new content (same path) is another key
      fs.writeFileSync(f, 'model,item,correct\na,x,0\n');
      const changed = await readResponses(f);
      assert.deepEqual([...changed.matrix.data], [0]);
      // turned off: nothing read from or written to the cache
      const before = fs.readdirSync(cache).length;
      fs.writeFileSync(f, 'model,item,correct\na,x,1\n');
      assert.deepEqual([...(await readResponses(f, { cache: false })).matrix.data], [1]);
      process.env.GRADUS_CACHE_DIR = 'off';
      await readResponses(f);
      assert.equal(fs.readdirSync(cache).length, before);
    } finally {
      if (old === undefined) delete process.env.GRADUS_CACHE_DIR;
      else process.env.GRADUS_CACHE_DIR = old;
    }
  });
});
