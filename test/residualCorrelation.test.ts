/**
 * Accuracy selection with the calibration models' residual correlations (residualCorrelation.ts, `--select
 * accuracy`): the conditioned correlations, the gains and the kriged residuals against hand-computed matrices; the
 * correlations learned on data with testlets (items of one story err together) against those testlets; an adaptive
 * test that uses them against MFI on such data; a test allowed every item ends at the observed accuracy; and the CLI
 * run, recorded in cat.json and resumed to the same bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeBank, type ItemBank } from '../src/evaluate/bank.js';
import { probability } from '../src/evaluate/correction.js';
import { fisherInfo } from '../src/evaluate/information.js';
import { ConditionedResiduals, learnResidualCorrelation, type ResidualCorrelation } from '../src/evaluate/residualCorrelation.js';
import { learnCatCorrection, runCat } from '../src/evaluate/cat.js';
import { replayResponder } from '../src/evaluate/responder.js';
import { fitIrt } from '../src/irt/fit.js';
import { MISSING, subsetMatrix, type ResponseMatrix } from '../src/responses/matrix.js';
import { writeResponses } from '../src/responses/write.js';
import { permutation, rng } from '../src/util/rng.js';
import { csvTable } from '../src/util/csv.js';
import { readResponses } from '../src/responses/read.js';
import { cli, hasShared, SHARED, tmpDir, write } from './support/fixtures.js';

const close = (x: number, y: number, tol = 1e-10, what = '') => assert.ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);

test('conditioned correlations, gains and kriged residuals equal the matrices computed by hand', () => {
  const bank = makeBank(['i0', 'i1', 'i2', 'i3'], { a: Float64Array.of(1, 1.5, 0.7, 1.2), b: Float64Array.of(0, 0.5, -0.5, 1), c: new Float64Array(4) });
  const R = Float64Array.of(
    1, 0.5, 0.2, 0.1,
    0.5, 1, 0.1, 0.3,
    0.2, 0.1, 1, 0.25,
    0.1, 0.3, 0.25, 1,
  );
  const corr: ResidualCorrelation = { R, models: 10, shrink: 0 };
  const state = new ConditionedResiduals(bank, corr);
  const theta = 0.3, se = 0.5;
  state.condition(0, theta);
  // Schur complement on items 1..3 after item 0
  const Rt = (j: number, k: number) => R[j * 4 + k] - (R[j * 4] * R[k * 4]) / R[0];
  const P = [0, 1, 2, 3].map((k) => probability(bank, k, theta));
  const D = P.map((p, k) => (k === 0 ? 0 : Math.sqrt(p * (1 - p))));
  const slope = P.map((p, k) => bank.a[k] * p * (1 - p));
  const usable = Uint8Array.of(0, 1, 1, 1);
  const out = new Float64Array(4);
  state.gains(theta, se, usable, out);
  assert.equal(out[0], -Infinity, 'an asked item is never chosen again');
  // the error variance of the estimated count of the items not asked, before and after asking j: θ's part
  // (Σ P′)²·SE² with j's Fisher information joining θ's and j leaving the sum, and the residual part D_restᵀ R̃ D_rest
  // with R̃ conditioned on j too (by its Schur complement, computed here from scratch)
  const rest = [1, 2, 3];
  const left3 = (items: number[], cond: number[]) => {
    // Dᵀ (R − R_·C R_CC⁻¹ R_C·) D over `items`, C = cond ∪ {0}, by Gaussian elimination on the small block
    const C = [0, ...cond];
    const M = C.map((x) => C.map((y) => R[x * 4 + y]));
    const inv = invert(M);
    let v = 0;
    for (const j of items) for (const l of items) {
      let r = R[j * 4 + l];
      for (let x = 0; x < C.length; x++) for (let y = 0; y < C.length; y++) r -= R[j * 4 + C[x]] * inv[x][y] * R[C[y] * 4 + l];
      v += D[j] * r * D[l];
    }
    return v;
  };
  for (const j of rest) {
    const others = rest.filter((k) => k !== j);
    const S = rest.reduce((s, k) => s + slope[k], 0), Sj = others.reduce((s, k) => s + slope[k], 0);
    const before = S * S * se * se + left3(rest, []);
    const after = (Sj * Sj) / (1 / (se * se) + fisherInfo(theta, bank.a[j], bank.b[j], 0)) + left3(others, [j]);
    close(out[j], before - after, 1e-12, `gain of item ${j}`);
  }
  // kriged residuals after one answer (y = 1 to item 0), for the bank and for two bins (items 1, 2 and item 3)
  const p0 = Math.min(0.99, Math.max(0.01, P[0]));
  const z0 = (1 - p0) / Math.sqrt(p0 * (1 - p0));
  const one = { idx: Int32Array.of(0), y: Uint8Array.of(1), n: 1 };
  const k = state.kriged(one, theta, Int32Array.of(0, 1, 1, 2), 3);
  const krig = (j: number) => D[j] * (R[j * 4] / (R[0] + 1e-6)) * z0;
  close(k.shift[0], krig(1) + krig(2) + krig(3), 1e-12, 'kriged shift');
  close(k.shift[1], krig(1) + krig(2), 1e-12, 'kriged shift, bin 0');
  close(k.shift[2], krig(3), 1e-12, 'kriged shift, bin 1');
  const left = (items: number[]) => items.reduce((s, j) => s + items.reduce((t, l) => t + D[j] * Rt(j, l) * D[l], 0), 0);
  close(k.variance[0], left(rest), 1e-12, 'variance left');
  close(k.variance[1], left([1, 2]), 1e-12, 'variance left, bin 0');
  close(k.variance[2], left([3]), 1e-12, 'variance left, bin 1');
  close(state.kriged(one, theta).variance[0], left(rest), 1e-12, 'the same without bins');
  // an item outside every bin (row 0) still counts for the bank, and for no bin
  const out1 = state.kriged(one, theta, Int32Array.of(1, 0, 1, 2), 3);
  close(out1.variance[0], left(rest), 1e-12, 'bank, with an item outside the bins');
  close(out1.variance[1], left([2]), 1e-12, 'bin 0 without the item outside');
  close(out1.variance[2], left([3]), 1e-12, 'bin 1');
  close(out1.shift[0], krig(1) + krig(2) + krig(3), 1e-12, 'bank shift');
  close(out1.shift[1], krig(2), 1e-12, 'bin 0 shift');
  // a second item: the state is the Schur complement of the first two, the shift solves the 2 × 2 system
  state.condition(3, theta);
  const k2 = state.kriged({ idx: Int32Array.of(0, 3), y: Uint8Array.of(1, 0), n: 2 }, theta);
  const p3 = P[3], z3 = (0 - p3) / Math.sqrt(p3 * (1 - p3));
  const a = R[0] + 1e-6, b = R[3], d = R[15] + 1e-6, det = a * d - b * b;
  const alpha = [(d * z0 - b * z3) / det, (a * z3 - b * z0) / det];
  close(k2.shift[0], [1, 2].reduce((s, j) => s + D[j] * (R[j * 4] * alpha[0] + R[j * 4 + 3] * alpha[1]), 0), 1e-9, 'kriged shift after two');
  const R2 = (j: number, l: number) => {
    // the Schur complement of items 0 and 3, from the 2 × 2 block's inverse
    const x = [R[j * 4], R[j * 4 + 3]], y = [R[l * 4], R[l * 4 + 3]];
    const A0 = R[0], B = R[3], C0 = R[15], dt = A0 * C0 - B * B;
    return R[j * 4 + l] - (x[0] * (C0 * y[0] - B * y[1]) + x[1] * (A0 * y[1] - B * y[0])) / dt;
  };
  close(k2.variance[0], [1, 2].reduce((s, j) => s + [1, 2].reduce((t, l) => t + D[j] * R2(j, l) * D[l], 0), 0), 1e-12, 'variance left after two');
  // without correlations the residuals are independent: R̃ = I, and nothing to krige
  const plain = new ConditionedResiduals(bank);
  plain.condition(0, theta);
  plain.gains(theta, se, usable, out);
  const S = slope[1] + slope[2] + slope[3];
  for (const j of rest) close(out[j], D[j] ** 2 + S * S * se * se - (S - slope[j]) ** 2 / (1 / (se * se) + fisherInfo(theta, bank.a[j], bank.b[j], 0)), 1e-12, `independent gain of item ${j}`);
  assert.equal(plain.kriged(one, theta).shift[0], 0);
  // correlations of another bank are refused
  assert.throws(() => new ConditionedResiduals(bank, { R: new Float64Array(9), models: 3, shrink: 0 }), /correlations of 3 items for a bank of 4/);
});

/** The inverse of a small matrix by Gauss–Jordan elimination (no pivoting: the test's blocks are well conditioned). */
function invert(M: number[][]): number[][] {
  const n = M.length, A = M.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  for (let i = 0; i < n; i++) {
    const p = A[i][i];
    for (let j = 0; j < 2 * n; j++) A[i][j] /= p;
    for (let k = 0; k < n; k++) if (k !== i) { const f = A[k][i]; for (let j = 0; j < 2 * n; j++) A[k][j] -= f * A[i][j]; }
  }
  return A.map((row) => row.slice(n));
}

/** Models answering items in stories of `per`: a story effect u ~ N(0, sdStory²) per model joins θ for its items. */
function testlets(models: number, stories: number, per: number, sdStory: number, seed: number): { matrix: ResponseMatrix; story: Int32Array } {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
  const N = stories * per;
  const a = Float64Array.from({ length: N }, () => 0.8 + 0.8 * r.next());
  const b = Float64Array.from({ length: N }, () => 2 * gauss() * 0.8);
  const data = new Uint8Array(models * N);
  for (let m = 0; m < models; m++) {
    const theta = gauss();
    for (let s = 0; s < stories; s++) {
      const u = sdStory * gauss();
      for (let k = 0; k < per; k++) {
        const i = s * per + k;
        data[m * N + i] = r.next() < 1 / (1 + Math.exp(-a[i] * (theta + u - b[i]))) ? 1 : 0;
      }
    }
  }
  return { matrix: { models: Array.from({ length: models }, (_, m) => `m${m}`), items: Array.from({ length: N }, (_, i) => `s${Math.floor(i / per)}/q${i % per}`), data }, story: Int32Array.from({ length: N }, (_, i) => Math.floor(i / per)) };
}

async function bankOf(cal: ResponseMatrix): Promise<ItemBank> {
  const fit = await fitIrt(cal, { model: '2pl', method: 'mml' });
  return makeBank(fit.items.item, { a: fit.items.a, b: fit.items.b, c: fit.items.c }, 0, fit.info.latent_var || 1);
}

const truthOf = (m: ResponseMatrix) => m.models.map((_, r) => {
  let s = 0, n = 0;
  for (let j = 0; j < m.items.length; j++) { const v = m.data[r * m.items.length + j]; if (v !== MISSING) { s += v; n++; } }
  return s / n;
});

test('correlations learned on testlet data: strong within a story, near 0 across, unit diagonal, shrunk as asked', async () => {
  const { matrix, story } = testlets(500, 16, 5, 1.2, 3);
  const bank = await bankOf(matrix);
  const c = learnResidualCorrelation(bank, matrix, 0)!;
  const half = learnResidualCorrelation(bank, matrix, 0.5)!;
  assert.equal(c.models, 500);
  const N = bank.ids.length;
  let within = 0, nw = 0, across = 0, na = 0;
  for (let i = 0; i < N; i++) {
    assert.equal(c.R[i * N + i], 1);
    for (let j = i + 1; j < N; j++) {
      assert.equal(c.R[i * N + j], c.R[j * N + i]);
      close(half.R[i * N + j], 0.5 * c.R[i * N + j], 1e-12, 'shrink');
      if (story[i] === story[j]) { within += c.R[i * N + j]; nw++; } else { across += c.R[i * N + j]; na++; }
    }
  }
  assert.ok(within / nw > 0.15, `mean correlation within a story ${within / nw}`);
  assert.ok(Math.abs(across / na) < 0.05, `mean correlation across stories ${across / na}`);
  // too few models answering half the bank: none learned
  assert.equal(learnResidualCorrelation(bank, subsetMatrix(matrix, [0, 1], [...matrix.items.keys()])), undefined);
});

test('on testlet data an adaptive test by accuracy with the correlations beats MFI and independent residuals at the same length, its intervals cover; every item asked ends at the observed accuracy', async () => {
  const { matrix } = testlets(700, 30, 5, 3, 11);
  const all = [...matrix.items.keys()];
  const cal = subsetMatrix(matrix, [...Array(550).keys()], all);
  const fresh = subsetMatrix(matrix, Array.from({ length: 150 }, (_, k) => 550 + k), all);
  const bank = await bankOf(cal);
  const correlation = learnResidualCorrelation(bank, cal)!;
  const truth = truthOf(fresh);
  const mae = (rows: Array<{ accuracy: number }>) => rows.reduce((s, r, m) => s + Math.abs(r.accuracy - truth[m]), 0) / rows.length;
  const o = { maxItems: 20, stopSe: 0 };
  const mfi = await runCat(bank, replayResponder(bank, fresh), o);
  const acc = await runCat(bank, replayResponder(bank, fresh), { ...o, select: 'accuracy', correlation });
  const independent = await runCat(bank, replayResponder(bank, fresh), { ...o, select: 'accuracy' });
  // stories of five with a strong story effect: a small margin on 150 models, but the same on every run
  assert.ok(mae(acc.rows) < mae(independent.rows), `with correlations ${mae(acc.rows)} against without ${mae(independent.rows)}`);
  assert.ok(mae(acc.rows) < mae(mfi.rows), `accuracy ${mae(acc.rows)} against mfi ${mae(mfi.rows)}`);
  // the correction's replays (cross-fitted correlations) size intervals that cover most fresh models
  const correction = await learnCatCorrection(bank, cal, { ...o, select: 'accuracy', correlation });
  const sized = await runCat(bank, replayResponder(bank, fresh), { ...o, select: 'accuracy', correlation, correction });
  const cover = sized.rows.filter((r, m) => truth[m] >= r.ci_low && truth[m] <= r.ci_high).length / sized.rows.length;
  assert.ok(cover >= 0.88 && cover <= 1, `95% intervals cover ${cover}`);
  // allowed the whole bank, nothing is left to predict
  const few = subsetMatrix(fresh, [0, 1, 2], all);
  const whole = await runCat(bank, replayResponder(bank, few), { maxItems: bank.ids.length, stopSe: 0, select: 'accuracy', correlation });
  whole.rows.forEach((r, m) => {
    assert.equal(r.n_answered, bank.ids.length);
    close(r.accuracy, truth[m], 1e-12, 'whole bank');
    assert.ok(r.ci_high - r.ci_low < 1e-6, 'no width left');
  });
});

test('MuSR (Open LLM Leaderboard): with 50 items, accuracy selection with the correlations errs far less than MFI on held-out models', { skip: hasShared ? false : 'no ../shared/data' }, async () => {
  const { matrix } = await readResponses(path.join(SHARED, 'openllm-v2', 'musr.responses.csv'));
  // the bench's split: a seeded 20% of the models held out, the 2PL and the correlations from the rest
  const order = permutation(matrix.models.length, rng(1));
  const size = Math.round(matrix.models.length / 5);
  const all = [...matrix.items.keys()];
  const fresh = subsetMatrix(matrix, Array.from(order.slice(0, size)).sort((x, y) => x - y), all);
  const cal = subsetMatrix(matrix, Array.from(order.slice(size)).sort((x, y) => x - y), all);
  const bank = await bankOf(cal);
  const correlation = learnResidualCorrelation(bank, cal)!;
  const truth = truthOf(fresh);
  const mae = (rows: Array<{ accuracy: number }>) => rows.reduce((s, r, m) => s + Math.abs(r.accuracy - truth[m]), 0) / rows.length;
  const o = { maxItems: 50, stopSe: 0 };
  const mfi = mae((await runCat(bank, replayResponder(bank, fresh), o)).rows);
  const acc = mae((await runCat(bank, replayResponder(bank, fresh), { ...o, select: 'accuracy', correlation })).rows);
  // both without the calibration replays' correction
  assert.ok(acc < 0.7 * mfi, `accuracy selection ${acc} against mfi ${mfi}`);
});

test('cat --select accuracy: correlations from the calibration responses, recorded in cat.json; a rerun resumes to the same bytes', async () => {
  const dir = tmpDir('gradus-acc-');
  const { matrix } = testlets(260, 10, 4, 1, 5);
  const all = [...matrix.items.keys()];
  const cal = subsetMatrix(matrix, [...Array(220).keys()], all);
  const fresh = subsetMatrix(matrix, Array.from({ length: 40 }, (_, k) => 220 + k), all);
  await writeResponses(cal, path.join(dir, 'cal.csv'));
  await writeResponses(fresh, path.join(dir, 'new.csv'));
  const bank = await bankOf(cal);
  write(dir, 'fit/items.csv', csvTable(['item', 'b', 'a', 'c'], bank.ids.length, (r, c) => [bank.ids[r], bank.b[r], bank.a[r], bank.c[r]][c]));
  write(dir, 'fit/fit.json', JSON.stringify({ model: '2pl', method: 'mml', latent_var: bank.variance, inputs: [path.join(dir, 'cal.csv')] }));
  const args = ['cat', path.join(dir, 'fit'), '--replay', path.join(dir, 'new.csv'), '--select', 'accuracy', '--stop-se', '0', '--max-items', '12', '--out', path.join(dir, 'cat')];
  let r = cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /residual correlations learned on 220 calibration models/);
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'cat', 'cat.json'), 'utf8'));
  assert.equal(json.settings.select, 'accuracy');
  assert.equal(json.settings.residual_correlation.models, 220);
  assert.equal(json.settings.residual_correlation.shrink, 0.5);
  assert.match(json.settings.residual_correlation.digest, /^[0-9a-f]{16}$/);
  const estimates = fs.readFileSync(path.join(dir, 'cat', 'estimates.csv'), 'utf8');
  const trajectory = fs.readFileSync(path.join(dir, 'cat', 'trajectory.csv'), 'utf8');
  // cut the trajectory after some steps: the rerun asks only the rest and ends where the whole run did
  const lines = trajectory.split('\n');
  fs.writeFileSync(path.join(dir, 'cat', 'trajectory.csv'), lines.slice(0, 100).join('\n') + '\n');
  r = cli(args);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'cat', 'trajectory.csv'), 'utf8'), trajectory);
  assert.equal(fs.readFileSync(path.join(dir, 'cat', 'estimates.csv'), 'utf8'), estimates);
  // without calibration responses it still runs, on independent residuals, and says so
  r = cli([...args.slice(0, -1), path.join(dir, 'cat2'), '--no-correction']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /no residual correlations \(no calibration responses\)/);
  const json2 = JSON.parse(fs.readFileSync(path.join(dir, 'cat2', 'cat.json'), 'utf8'));
  assert.deepEqual(json2.residual_correlation, { models: 0, why: 'no calibration responses' });
  assert.equal(json2.settings.residual_correlation, null);
  // other calibration responses mean other correlations, so other items: the first run's folder is not resumed
  await writeResponses(subsetMatrix(cal, [...Array(200).keys()], all), path.join(dir, 'cal.csv'));
  r = cli(args);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /other settings/);
});
