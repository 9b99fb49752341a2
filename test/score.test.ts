import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { rng } from '../src/util/rng.js';
import { matrixFromRows, scoreMatrix } from '../src/index.js';
import { cli, tmpDir, write } from './support/fixtures.js';

function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const mx = Array.from(x).reduce((s, v) => s + v, 0) / n;
  const my = Array.from(y).reduce((s, v) => s + v, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let k = 0; k < n; k++) {
    sxy += (x[k] - mx) * (y[k] - my);
    sxx += (x[k] - mx) ** 2;
    syy += (y[k] - my) ** 2;
  }
  return sxy / Math.sqrt(sxx * syy);
}

const csvRows = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));

/**
 * New respondents to the calibration's items: the items' true parameters (from the calibration's truth file), and
 * abilities drawn here from a seed of the test's own, so these models answered nothing the fit saw.
 */
function newModels(truthItems: string, n: number, seed: number): { file: string; theta: number[] } {
  const items = csvRows(truthItems).map(([item, b, a, c]) => ({ item, b: Number(b), a: Number(a), c: Number(c) }));
  const r = rng(seed);
  const theta = Array.from({ length: n }, () => r.normal());
  const lines = ['model,item,correct'];
  theta.forEach((t, j) => {
    for (const it of items) {
      // P(correct | θ) = c + (1 − c) / (1 + exp(−a(θ − b))), the README's model, written here independently
      const p = it.c + (1 - it.c) / (1 + Math.exp(-it.a * (t - it.b)));
      lines.push(`new${String(j).padStart(3, '0')},${it.item},${r.next() < p ? 1 : 0}`);
    }
  });
  return { file: write(path.dirname(truthItems), 'fresh.csv', lines.join('\n') + '\n'), theta };
}

test('score: abilities of models that were not in the calibration track their own truth', () => {
  const dir = tmpDir();
  const calib = path.join(dir, 'calib.csv');
  assert.equal(cli(['simulate', '--models', '800', '--items', '50', '--model', '2pl', '--seed', '31', '--out', calib]).code, 0);
  assert.equal(cli(['fit', calib, '--model', '2pl', '--out', path.join(dir, 'fit')]).code, 0);
  const fresh = newModels(path.join(dir, 'calib.truth-items.csv'), 400, 977);
  const r = cli(['score', fresh.file, '--items', path.join(dir, 'fit', 'items.csv'), '--method', 'wle']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'model,theta,se_theta,n');
  const est = lines.slice(1).map((l) => l.split(','));
  assert.equal(est.length, 400);
  // none of the scored models is one the fit calibrated on
  const calibrated = new Set(csvRows(path.join(dir, 'fit', 'models.csv')).map(([m]) => m));
  assert.ok(est.every(([m]) => !calibrated.has(m)));
  // their abilities are not the calibration's (same row, other respondent) ...
  const calibTheta = csvRows(path.join(dir, 'calib.truth-models.csv')).slice(0, 400).map(([, t]) => Number(t));
  assert.ok(Math.abs(corr(fresh.theta, calibTheta)) < 0.2, `new vs calibration abilities r = ${corr(fresh.theta, calibTheta)}`);
  // ... and the bank recovers them
  const rho = corr(est.map(([, t]) => Number(t)), fresh.theta);
  assert.ok(rho > 0.9, `r(estimate, truth) = ${rho}`);
  assert.ok(est.every(([, , se, n]) => Number(se) > 0 && Number(n) === 50));
});

test('scoreMatrix: answers to items the bank does not know are ignored and listed; none known is an error', () => {
  const dir = tmpDir();
  write(dir, 'fit/items.csv', 'item,b,a,c\nq1,-1,1,0\nq2,0,1,0\nq3,1,1,0\nq4,,,\n');
  const m = matrixFromRows([[1, 1, 1, 0], [0, null, null, null]], ['x', 'y'], ['q1', 'q2', 'q4', 'other']);
  const r = scoreMatrix(m, path.join(dir, 'fit'));
  assert.deepEqual(r.unknownItems.sort(), ['other', 'q4']);
  assert.deepEqual(Array.from(r.n), [2, 1]);
  assert.ok(r.theta[0] > r.theta[1]);
  const none = matrixFromRows([[1]], ['x'], ['other']);
  assert.throws(() => scoreMatrix(none, path.join(dir, 'fit')), /none of the responses are to calibrated items\. Check that the item ids match those in the `items` file/);
});
