import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fitIrt, GradusError, readBins, readFitFolder, readStability, simulate, writeBins, writeFit, writeStability } from '../src/index.js';
import { cli, tmpDir, write } from './support/fixtures.js';

const HEADER = 'item,b,a,c,se_b,se_a,n,p_correct,infit,outfit';

/** A fit folder with items.csv as given and fit.json, models.csv as gradus fit writes them. */
function fitFolder(items: string, fitJson = '{"model":"rasch","method":"mml"}\n'): string {
  const dir = tmpDir();
  write(dir, 'fit/items.csv', items);
  write(dir, 'fit/models.csv', 'model,theta,se_theta,n,p_correct\nm1,0.5,0.3,3,0.66\n');
  write(dir, 'fit/fit.json', fitJson);
  return path.join(dir, 'fit');
}

describe('the fit folder: one reader', () => {
  test('reads back exactly what writeFit wrote', async () => {
    const sim = simulate({ models: 200, items: 12, model: '2pl', seed: 6 });
    const fit = await fitIrt(sim.matrix, { model: '2pl' });
    const dir = path.join(tmpDir(), 'fit');
    writeFit(dir, fit);
    const back = readFitFolder(dir);
    assert.deepEqual(back.items.item, fit.items.item);
    for (const c of ['b', 'a', 'c', 'se_b', 'se_a', 'p_correct', 'infit', 'outfit'] as const) assert.deepEqual(back.items[c], fit.items[c], c);
    assert.deepEqual(back.items.n, fit.items.n);
    assert.deepEqual(back.models!.theta, fit.models.theta);
    assert.equal(back.info!.model, '2pl');
    assert.equal(readFitFolder(path.join(dir, 'items.csv')).items.item.length, 12);
  });

  test('a bad cell is named by file, line and column, the same for score, bins and agree', () => {
    const dir = fitFolder(`${HEADER}\nq1,0.1,1,0,,,5,0.6,,\nq2,0.2,one,0,,,5,0.4,,\n`);
    const file = path.join(dir, 'items.csv');
    assert.throws(() => readFitFolder(dir), (e: GradusError) => {
      assert.deepEqual(e.place, { file, line: 3, column: 'a' });
      assert.match(e.message, /^.*items\.csv, line 3, column a: a "one" is not a number\. Give a fit folder written by `gradus fit --out DIR`/);
      return true;
    });
    const responses = write(path.dirname(dir), 'r.csv', 'model,item,correct\nx,q1,1\n');
    const items = write(path.dirname(dir), 'labels.csv', 'item,level\nq1,easy\nq2,hard\n');
    for (const args of [['score', responses, '--items', dir], ['bins', dir, '--k', '2', '--out', path.join(dir, '..', 'bins.csv')], ['agree', dir, '--items', items, '--label', 'level']]) {
      const r = cli(args);
      assert.equal(r.code, 2, args[0]);
      assert.equal(r.stderr, `gradus: ${file}, line 3, column a: a "one" is not a number. Give a fit folder written by \`gradus fit --out DIR\` (items.csv, models.csv, fit.json), or its items.csv.\n`, args[0]);
    }
  });

  test('missing columns, repeated items, a broken fit.json and an absent folder are clear errors', () => {
    assert.throws(() => readFitFolder(fitFolder('item,a\nq1,1\n')), /lacks the column "b"; its header is "item","a"/);
    assert.throws(() => readFitFolder(fitFolder('item,b\nq1,1\n'), { need: ['p_correct'] }), /lacks the column "p_correct"/);
    assert.throws(() => readFitFolder(fitFolder(`${HEADER}\nq1,0,1,0,,,1,1,,\nq1,1,1,0,,,1,0,,\n`)), (e: GradusError) => e.place.line === 3 && /item "q1" is listed twice \(first on line 2\)/.test(e.message));
    assert.throws(() => readFitFolder(fitFolder(`${HEADER}\n`, '{\n  "model": "rasch",\n}\n')), (e: GradusError) => e.place.file!.endsWith('fit.json') && e.place.line === 3 && /fit\.json is not valid JSON/.test(e.message));
    assert.throws(() => readFitFolder(path.join(tmpDir(), 'nowhere')), /nowhere: no such file \(expected a fit's items\.csv\)\. Give a fit folder/);
  });
});

describe('bins.csv: one reader and writer', () => {
  test('round trip, with groups and the sidecar of how they were made', () => {
    const file = path.join(tmpDir(), 'bins.csv');
    const rows = [
      { item: 'a', difficulty: -1.5, bin: 0, split: 'train' as const, group: 'g1' },
      { item: 'b', difficulty: 0.25, bin: 1, split: 'test' as const, group: 'g,2' },
    ];
    writeBins(file, rows, { k: 2 });
    assert.deepEqual(readBins(file), rows);
    assert.deepEqual(JSON.parse(fs.readFileSync(`${file}.json`, 'utf8')), { k: 2 });
  });

  test('bad rows are named by line and column, in every command that reads bins', () => {
    const dir = tmpDir();
    const bad = (text: string, re: RegExp, line?: number) => {
      const file = write(dir, 'bins.csv', text);
      assert.throws(() => readBins(file), (e: GradusError) => re.test(e.message) && e.place.line === line);
    };
    bad('item,difficulty,bin,split\na,0,0,train\nb,1,1,validation\n', /split "validation" is not train or test/, 3);
    bad('item,difficulty,bin,split\na,0,-1,train\n', /bin "-1" is not a bin number/, 2);
    bad('item,difficulty,bin,split\na,0,0,train\na,1,1,test\n', /item "a" is binned twice/, 3);
    bad('item,difficulty,bin,split\na,easy,0,train\n', /difficulty "easy" is not a number/, 2);
    bad('item,bin,split\na,0,train\n', /lacks the column "difficulty"/, 1);
    const file = write(dir, 'bins.csv', 'item,difficulty,bin,split\na,0,0,train\nb,1,1,validation\n');
    const items = write(dir, 'items.jsonl', '{"id":"a"}\n{"id":"b"}\n');
    const r = cli(['split', items, '--bins', file, '--out', path.join(dir, 'split')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^gradus: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, line 3, column split: split "validation" is not train or test\\.`));
  });
});

describe('stability.csv: one reader and writer', () => {
  test('round trip, and a share outside [0, 1] is named by line and column', () => {
    const file = path.join(tmpDir(), 'stability.csv');
    const r = { item: ['a', 'b'], difficulty: Float64Array.of(-0.5, 1.25), bin: Int32Array.of(0, 1), sameBin: Float64Array.of(0.9, 0.35) };
    writeStability(file, r as unknown as Parameters<typeof writeStability>[1]);
    assert.deepEqual(readStability(file), [
      { item: 'a', difficulty: -0.5, bin: 0, same_bin: 0.9 },
      { item: 'b', difficulty: 1.25, bin: 1, same_bin: 0.35 },
    ]);
    fs.writeFileSync(file, 'item,difficulty,bin,same_bin\na,0,0,1.5\n');
    assert.throws(() => readStability(file), (e: GradusError) => e.place.line === 2 && e.place.column === 'same_bin' && /same_bin "1\.5" is not a share in \[0, 1\]/.test(e.message));
  });
});
