/**
 * `gradus bins --difficulty FILE --column NAME`: published difficulties (as the study released them, columns
 * `1pl_diff` and `1pl_quantile`) as a source of bins. The study's own code put item k in bin q when
 * q/10 ≤ quantile < (q+1)/10, which leaves an item at quantile 1.0 in no bin; gradus must bin every item.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { binsFromTable, readBins, splitItems } from '../src/index.js';
import { openDuck, sqlString } from '../src/util/duck.js';
import { cli, tmpDir } from './support/fixtures.js';

/** 41 items, quantiles 0, 0.025, …, 1.0 (the last exactly 1.0), difficulty rising with them. */
function crossDifficulty(dir: string): { csv: string; n: number } {
  const lines = ['id,question,1pl_diff,1pl_quantile'];
  const n = 41;
  for (let k = 0; k < n; k++) lines.push(`q${k},"What is ${k}, really?",${(-3 + (6 * k) / (n - 1)).toFixed(4)},${k / (n - 1)}`);
  const csv = path.join(dir, 'cross_difficulty.csv');
  fs.writeFileSync(csv, lines.join('\n') + '\n');
  return { csv, n };
}

test('bins --difficulty: an item at quantile 1.0 lands in the last bin; every item is binned', () => {
  const dir = tmpDir();
  const { csv, n } = crossDifficulty(dir);
  const studyRule = Array.from({ length: n }, (_, k) => k / (n - 1)).filter((q) => [...Array(10).keys()].some((b) => b / 10 <= q && q < (b + 1) / 10));
  assert.equal(studyRule.length, n - 1, 'the study rule loses the item at quantile 1.0');
  const out = path.join(dir, 'bins.csv');
  const r = cli(['bins', '--difficulty', csv, '--column', '1pl_quantile', '--k', '10', '--test-fraction', '0.25', '--seed', '3', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const bins = readBins(out);
  assert.equal(bins.length, n);
  assert.equal(bins.find((b) => b.item === 'q40')!.bin, 9);
  assert.equal(bins.find((b) => b.item === 'q0')!.bin, 0);
  for (let b = 0; b < 10; b++) assert.ok([4, 5].includes(bins.filter((x) => x.bin === b).length), 'equal-size bins');
  const made = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
  assert.equal(made.column, '1pl_quantile');
  assert.equal(made.seed, 3);
});

test('bins --difficulty: Parquet and JSONL tables give the same bins as CSV; --id-column names the id', async () => {
  const dir = tmpDir();
  const { csv } = crossDifficulty(dir);
  const parquet = path.join(dir, 't.parquet');
  const jsonl = path.join(dir, 't.jsonl');
  const duck = await openDuck();
  try {
    await duck.conn.run(`COPY (SELECT id AS question_id, "1pl_diff" FROM read_csv(${sqlString(csv)}, header=true)) TO ${sqlString(parquet)} (FORMAT parquet)`);
    await duck.conn.run(`COPY (SELECT id, "1pl_diff" FROM read_csv(${sqlString(csv)}, header=true)) TO ${sqlString(jsonl)} (FORMAT json)`);
  } finally {
    duck.close();
  }
  const a = await binsFromTable(csv, path.join(dir, 'a.csv'), { column: '1pl_diff', k: 5 });
  const b = await binsFromTable(parquet, path.join(dir, 'b.csv'), { column: '1pl_diff', idColumn: 'question_id', k: 5 });
  const c = await binsFromTable(jsonl, path.join(dir, 'c.csv'), { column: '1pl_diff', k: 5 });
  assert.deepEqual(b.rows, a.rows);
  assert.deepEqual(c.rows, a.rows);
  // the bins feed gradus split like any other
  const items = path.join(dir, 'items.jsonl');
  fs.writeFileSync(items, a.rows.map((r) => JSON.stringify({ id: r.item, prompt: 'p', answer: 'a' })).join('\n') + '\n');
  const s = await splitItems(items, path.join(dir, 'a.csv'), path.join(dir, 'split'));
  assert.equal(s.bins.length, 5);
});

test('bins --difficulty: a cell that is not a number names its line; a wrong column lists the columns; exit code 2', () => {
  const dir = tmpDir();
  const bad = path.join(dir, 'bad.csv');
  fs.writeFileSync(bad, 'id,1pl_diff\nq1,0.5\nq2,\nq3,hard\n');
  const r = cli(['bins', '--difficulty', bad, '--column', '1pl_diff', '--k', '2', '--out', path.join(dir, 'b.csv')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.csv, line 4, column 1pl_diff: the difficulty "hard" is not a number/);
  const r2 = cli(['bins', '--difficulty', bad, '--column', 'b', '--out', path.join(dir, 'b.csv')]);
  assert.equal(r2.code, 2);
  assert.match(r2.stderr, /no column "b" in the difficulty table \(it has "id", "1pl_diff"\).*--column/);
  const r3 = cli(['bins', '--difficulty', bad, '--out', path.join(dir, 'b.csv')]);
  assert.match(r3.stderr, /--difficulty needs --column/);
});
