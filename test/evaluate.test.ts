/**
 * Adaptive testing, accuracy reconstruction and anchor subsets on simulated 2PL data with known parameters, and the
 * pitfalls of the reference tools: an item asked twice (mirtCAT #51), infinite ML ability early, stopping on length
 * only (Fluid Benchmarking), corrections tuned on the models they are judged on (tinyBenchmarks).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../src/irt/simulate.js';
import { subsetMatrix, MISSING } from '../src/responses/matrix.js';
import { makeBank, type ItemBank } from '../src/evaluate/bank.js';
import { estimateTheta } from '../src/evaluate/ability.js';
import { runCat, type CatStep } from '../src/evaluate/cat.js';
import { replayResponder, type Responder } from '../src/evaluate/responder.js';
import { estimateAccuracy } from '../src/evaluate/estimate.js';
import { selectSubset } from '../src/evaluate/subset.js';
import { learnCorrection } from '../src/evaluate/correction.js';
import { GradusError } from '../src/errors.js';
import { rng } from '../src/util/rng.js';

function world(models: number, items: number, seed = 5) {
  const sim = simulate({ models, items, model: '2pl', seed });
  return { sim, bank: makeBank(sim.matrix.items, sim.params) };
}

test('a replayed CAT that may use every item ends at the full-test estimate (eap, map, wle)', async () => {
  const { sim, bank } = world(4, 40);
  for (const estimator of ['eap', 'map', 'wle'] as const) {
    const r = await runCat(bank, replayResponder(bank, sim.matrix), { estimator, stopSe: 0, maxItems: 100 });
    sim.matrix.models.forEach((_, m) => {
      const y = sim.matrix.data.subarray(m * 40, m * 40 + 40);
      const full = estimateTheta(bank, { idx: Int32Array.from(y.keys()), y: Uint8Array.from(y), n: 40 }, estimator);
      assert.equal(r.rows[m].n_answered, 40);
      assert.equal(r.stops[m].stop, 'bank');
      assert.ok(Math.abs(r.rows[m].theta - full.theta) < 1e-9, `${estimator}: ${r.rows[m].theta} vs ${full.theta}`);
      assert.ok(Math.abs(r.rows[m].se_theta - full.se) < 1e-9);
      // every item answered: the accuracy is the observed one, with no uncertainty left
      const observed = y.reduce((s, v) => s + v, 0) / 40;
      assert.ok(Math.abs(r.rows[m].accuracy - observed) < 1e-12 && r.rows[m].ci_high - r.rows[m].ci_low < 1e-12);
    });
  }
});

test('no item is asked twice, under MFI, KL, random, randomesque and content balancing, with gaps in the answers', async () => {
  const { sim, bank } = world(60, 50, 9);
  // a third of the answers missing: the replay may ask only what each model answered
  sim.matrix.data.forEach((_, k) => { if (k % 4 === 1) sim.matrix.data[k] = MISSING; });
  const groupOf = Int32Array.from({ length: 50 }, (_, i) => i % 3);
  const balance = { groupOf, share: Float64Array.of(1 / 3, 1 / 3, 1 / 3) };
  for (const o of [{ select: 'mfi' as const, randomesque: 5 }, { select: 'kl' as const }, { select: 'random' as const }, { select: 'mfi' as const, balance }]) {
    const steps: CatStep[] = [];
    await runCat(bank, replayResponder(bank, sim.matrix), { ...o, stopSe: 0, maxItems: 50, seed: 3 }, { onStep: (s) => steps.push(s) });
    for (const model of sim.matrix.models) {
      const mine = steps.filter((s) => s.model === model).map((s) => s.item);
      assert.equal(new Set(mine).size, mine.length, `${o.select}: ${model} was asked an item twice`);
      const m = sim.matrix.models.indexOf(model);
      assert.ok(mine.every((i) => sim.matrix.data[m * 50 + i] !== MISSING));
      // it ran until the model's answered items were spent
      assert.equal(mine.length, sim.matrix.data.subarray(m * 50, m * 50 + 50).filter((v) => v !== MISSING).length);
    }
    if (o.balance) {
      const first = steps.filter((s) => s.model === sim.matrix.models[0]).slice(0, 9).map((s) => groupOf[s.item]);
      assert.deepEqual([0, 1, 2].map((g) => first.filter((x) => x === g).length), [3, 3, 3], 'balanced: each third of the first 9 items');
    }
  }
});

test('randomesque spreads exposure: the first item varies across models, while plain MFI always starts with the same', async () => {
  const { sim, bank } = world(30, 60, 2);
  const firsts = async (randomesque: number) => {
    const s = new Set<number>();
    await runCat(bank, replayResponder(bank, sim.matrix), { randomesque, maxItems: 1, minItems: 1 }, { onStep: (x) => { if (x.step === 1) s.add(x.item); } });
    return s.size;
  };
  assert.equal(await firsts(1), 1);
  assert.ok((await firsts(5)) >= 3);
});

test('ML never reports an infinite ability: while every answer is right it is the Bayes-modal estimate', async () => {
  const { bank } = world(1, 30, 4);
  const genius: Responder = { models: ['genius'], available: () => undefined, ask: async () => 1 };
  const steps: CatStep[] = [];
  const r = await runCat(bank, genius, { estimator: 'ml', stopSe: 0, maxItems: 20 }, { onStep: (s) => steps.push(s) });
  assert.equal(steps.length, 20);
  for (const s of steps) assert.ok(Number.isFinite(s.theta) && Number.isFinite(s.se_theta) && s.theta < 6);
  // θ rises with each right answer, as the prior gives way
  assert.ok(steps[19].theta > steps[0].theta);
  assert.ok(Number.isFinite(r.rows[0].theta));
  // a mixed pattern then switches to ML proper
  let k = 0;
  const mixed: Responder = { models: ['m'], available: () => undefined, ask: async () => (k++ === 3 ? 0 : 1) };
  const r2 = await runCat(bank, mixed, { estimator: 'ml', stopSe: 0, maxItems: 8 }, { onStep: (s) => steps.push(s) });
  assert.ok(Number.isFinite(r2.rows[0].theta) && r2.rows[0].theta > steps[0].theta);
});

test('stopping: at the SE target after the minimum length, else at the maximum; the SE at stop is reported', async () => {
  const { sim, bank } = world(10, 200, 8);
  const r = await runCat(bank, replayResponder(bank, sim.matrix), { stopSe: 0.45, minItems: 5, maxItems: 150 });
  for (const s of r.stops) {
    assert.equal(s.stop, 'se');
    assert.ok(s.se_theta <= 0.45 && s.n >= 5 && s.n < 150);
  }
  const r2 = await runCat(bank, replayResponder(bank, sim.matrix), { stopSe: 0.01, maxItems: 7 });
  for (const s of r2.stops) assert.deepEqual([s.stop, s.n], ['max-items', 7]);
  assert.ok(r2.stops.every((s, m) => s.se_theta === r2.rows[m].se_theta && s.se_theta > 0.3));
});

test('estimate: bank accuracy from a subset tracks the truth; per-bin rows for every bin; unknown items counted; empty models say so', () => {
  const { sim, bank } = world(40, 300, 11);
  const subset = selectSubset(bank, { n: 60, method: 'info' });
  const bins = { bin: Int32Array.from({ length: 300 }, (_, i) => Math.min(4, Math.floor((bank.b[i] + 2.5) / 1.25))).map((b) => Math.max(0, b)), k: 6 };
  // bin 5 stays empty of answers on purpose (no item there is in the subset, or even in the bank)
  const extra = { ...sim.matrix, items: [...sim.matrix.items], data: sim.matrix.data };
  extra.items[0] = 'not-in-bank';
  const withBlank = subsetMatrix(extra, [...Array(40).keys()], [...Array(300).keys()]);
  withBlank.data.fill(MISSING, 39 * 300, 40 * 300);
  const r = estimateAccuracy(bank, withBlank, { subset, bins });
  assert.equal(r.unknownItems, 1);
  assert.deepEqual(r.empty, [sim.matrix.models[39]]);
  const blank = r.rows[39];
  assert.ok(blank.n_answered === 0 && Number.isNaN(blank.accuracy) && Number.isNaN(blank.theta));
  let err = 0, inside = 0;
  for (let m = 0; m < 39; m++) {
    const y = sim.matrix.data.subarray(m * 300, m * 300 + 300);
    const truth = y.reduce((s, v) => s + v, 0) / 300;
    const row = r.rows[m];
    assert.ok(row.n_answered <= 60 && row.n_answered >= 59);
    err += Math.abs(row.accuracy - truth);
    if (truth >= row.ci_low && truth <= row.ci_high) inside++;
    assert.equal(r.binRows.filter((b) => b.model === row.model).length, 6);
  }
  assert.ok(err / 39 < 0.05, `mean error ${err / 39}`);
  assert.ok(inside >= 33, `${inside} of 39 inside`);
  const b5 = r.binRows.find((b) => b.bin === 5)!;
  assert.ok(b5.n_answered === 0 && Number.isNaN(b5.accuracy), 'a bin with no item has no accuracy');
  assert.throws(() => estimateAccuracy(bank, { models: ['x'], items: ['nope'], data: Uint8Array.of(1) }), (e: unknown) => e instanceof GradusError && /none of the 1 items/.test(e.message));
});

test('subsets: weights sum to one, same seed same subset, stratified takes equal numbers per bin; bad requests are errors', () => {
  const { bank } = world(1, 500, 12);
  for (const method of ['info', 'mixed', 'cluster', 'stratified', 'random'] as const) {
    const s = selectSubset(bank, { n: 40, method, seed: 7 });
    assert.equal(new Set(s.items).size, 40);
    assert.ok(Math.abs(s.weights.reduce((x, y) => x + y, 0) - 1) < 1e-12, method);
    assert.deepEqual(selectSubset(bank, { n: 40, method, seed: 7 }), s);
  }
  const bins = Int32Array.from({ length: 500 }, (_, i) => i % 4);
  const st = selectSubset(bank, { n: 40, method: 'stratified', bins });
  assert.deepEqual([0, 1, 2, 3].map((g) => [...st.items].filter((i) => bins[i] === g).length), [10, 10, 10, 10]);
  // info anchors spread over the ability range: their difficulties span it
  const info = selectSubset(bank, { n: 20, method: 'info' });
  const bs = [...info.items].map((i) => bank.b[i]);
  assert.ok(Math.min(...bs) < -1 && Math.max(...bs) > 1);
  // mixed: the 20 info anchors of a 20-item info subset, the other 20 from the 40 cluster anchors, none twice
  for (const n of [40, 41]) {
    const mixed = new Set(selectSubset(bank, { n, method: 'mixed', seed: 7 }).items);
    assert.equal(mixed.size, n);
    const half = selectSubset(bank, { n: Math.floor(n / 2), method: 'info' }).items;
    assert.ok([...half].every((i) => mixed.has(i)), 'the info half is in');
    const cluster = new Set(selectSubset(bank, { n, method: 'cluster', seed: 7 }).items);
    assert.ok([...mixed].every((i) => half.includes(i) || cluster.has(i)), 'the rest are cluster anchors');
    assert.ok([...mixed].filter((i) => !half.includes(i)).length === n - half.length);
  }
  assert.throws(() => selectSubset(bank, { n: 501 }), /larger than the bank \(500 items\)/);
  assert.throws(() => selectSubset(bank, { n: 5, method: 'best' as never }), /unknown subset method "best"/);
});

test('the correction is learned on calibration models only and lowers error on new models when IRT is biased', () => {
  // the bank's difficulties are off by +0.6 for half the items (a stale calibration); new models come from the truth
  const { sim } = world(400, 200, 21);
  const b = sim.params.b.map((x, i) => (i % 2 ? x + 0.6 : x));
  const bank: ItemBank = makeBank(sim.matrix.items, { ...sim.params, b });
  const subset = selectSubset(bank, { n: 30, method: 'cluster', seed: 2 });
  const cal = subsetMatrix(sim.matrix, [...Array(300).keys()], [...Array(200).keys()]);
  const fresh = subsetMatrix(sim.matrix, Array.from({ length: 100 }, (_, k) => 300 + k), [...Array(200).keys()]);
  const corr = learnCorrection(bank, cal, subset);
  assert.equal(corr.models, 300);
  assert.ok(corr.lambda < 1 && corr.mae < corr.maeIrt);
  const mae = (withCorr: boolean) => {
    const r = estimateAccuracy(bank, fresh, { subset, correction: withCorr ? corr : undefined });
    return r.rows.reduce((s, row, m) => s + Math.abs(row.accuracy - fresh.data.subarray(m * 200, m * 200 + 200).reduce((x, v) => x + v, 0) / 200), 0) / 100;
  };
  assert.ok(mae(true) < mae(false), `${mae(true)} vs ${mae(false)}`);
});

test('MFI with its slope bound picks what a full scan of the information picks (2PL and 3PL banks, many θ)', async () => {
  const { fisherInfo } = await import('../src/evaluate/information.js');
  const { selectNext } = await import('../src/evaluate/select.js');
  const { rng } = await import('../src/util/rng.js');
  for (const model of ['2pl', '3pl'] as const) {
    const sim = simulate({ models: 1, items: 3000, model, seed: 13 });
    const bank = makeBank(sim.matrix.items, sim.params);
    const usable = Uint8Array.from({ length: 3000 }, (_, i) => (i % 7 ? 1 : 0));
    for (let t = -3; t <= 3; t += 0.37) {
      let best = -1, bi = -Infinity;
      for (let i = 0; i < 3000; i++) if (usable[i]) { const x = fisherInfo(t, bank.a[i], bank.b[i], bank.c[i]); if (x > bi) { bi = x; best = i; } }
      assert.equal(selectNext(bank, { usable, theta: t, n: 0 }, 'mfi', rng(1)), best, `${model} at θ = ${t}`);
    }
  }
});

test('the adaptive test correction: learned on calibration models only, it carries part of the residual and lowers error when IRT misfits', async () => {
  const { learnCatCorrection } = await import('../src/evaluate/cat.js');
  // models spread wider than the bank's N(0, 1) prior says: after a short test EAP pulls them toward the middle, and
  // a strong model beats the predictions on the items it was asked as on the rest
  const sim = simulate({ models: 300, items: 150, model: '2pl', seed: 31 });
  const draw = (await import('../src/util/rng.js')).rng(8);
  sim.matrix.data.forEach((_, k) => {
    const m = Math.floor(k / 150), i = k % 150;
    const p = 1 / (1 + Math.exp(-sim.params.a[i] * (2 * sim.theta[m] - sim.params.b[i])));
    sim.matrix.data[k] = draw.next() < p ? 1 : 0;
  });
  const bank = makeBank(sim.matrix.items, sim.params);
  const cal = subsetMatrix(sim.matrix, [...Array(200).keys()], [...Array(150).keys()]);
  const fresh = subsetMatrix(sim.matrix, Array.from({ length: 100 }, (_, k) => 200 + k), [...Array(150).keys()]);
  const o = { maxItems: 8, stopSe: 0 };
  const corr = await learnCatCorrection(bank, cal, o);
  assert.equal(corr.models, 200);
  assert.ok(corr.gamma > 0 && corr.mae < corr.maeIrt, JSON.stringify(corr));
  const mae = async (correction?: typeof corr) => {
    const res = await runCat(bank, replayResponder(bank, fresh), { ...o, correction });
    return res.rows.reduce((s, row, m) => s + Math.abs(row.accuracy - fresh.data.subarray(m * 150, m * 150 + 150).reduce((x, v) => x + v, 0) / 150), 0) / 100;
  };
  const [withCorr, without] = [await mae(corr), await mae()];
  assert.ok(withCorr < without, `${withCorr} vs ${without}`);
});

/**
 * Two subtasks the bank's one ability cannot tell apart, as MuSR's: item i is answered with skill θ1 (even i) or with
 * an unrelated skill θ2 (odd i, and easier), so how a model did on one subtask's anchors says how it does on the rest
 * of that subtask, which θ̂ (a blend of both) cannot.
 */
function twoSkills(models: number, items: number, seed: number) {
  const sim = simulate({ models, items, model: '2pl', seed });
  const draw = rng(seed + 1);
  const second = Float64Array.from(sim.theta, () => draw.normal());
  sim.matrix.data.forEach((_, k) => {
    const m = Math.floor(k / items), i = k % items;
    const z = i % 2 ? 2 * (second[m] + 1.5 - sim.params.b[i]) : sim.params.a[i] * (sim.theta[m] - sim.params.b[i]);
    sim.matrix.data[k] = draw.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  });
  return { sim, bank: makeBank(sim.matrix.items, sim.params) };
}

test('the residual model: learned on calibration models, it is chosen where one ability misfits and lowers error on new models', () => {
  const { sim, bank } = twoSkills(500, 200, 41);
  const subset = selectSubset(bank, { n: 60, method: 'cluster', seed: 1 });
  const all = [...Array(200).keys()];
  const cal = subsetMatrix(sim.matrix, [...Array(400).keys()], all);
  const fresh = subsetMatrix(sim.matrix, Array.from({ length: 100 }, (_, k) => 400 + k), all);
  const corr = learnCorrection(bank, cal, subset);
  assert.ok(corr.penalty! < Infinity && corr.residual, JSON.stringify({ penalty: corr.penalty, lambda: corr.lambda }));
  // weights on anchors only
  const inSubset = new Set(subset.items);
  corr.residual!.forEach((w, i) => assert.ok(w === 0 || inSubset.has(i)));
  const mae = (c: typeof corr) => {
    const r = estimateAccuracy(bank, fresh, { subset, correction: c });
    return r.rows.reduce((s, row, m) => s + Math.abs(row.accuracy - fresh.data.subarray(m * 200, m * 200 + 200).reduce((x, v) => x + v, 0) / 200), 0) / 100;
  };
  const without = mae({ ...corr, residual: undefined });
  assert.ok(mae(corr) < 0.9 * without, `${mae(corr)} vs ${without}`);
});

test('the residual model stays off where one ability fits (it must beat no model on held-out folds)', () => {
  const { sim, bank } = world(400, 150, 43);
  const subset = selectSubset(bank, { n: 30, method: 'info' });
  const corr = learnCorrection(bank, subsetMatrix(sim.matrix, [...Array(400).keys()], [...Array(150).keys()]), subset);
  assert.equal(corr.penalty, Infinity);
  assert.equal(corr.residual, undefined);
});

test('κ makes 95% of the calibration errors fall inside the interval, shrinking it when the errors are smaller than predicted', async () => {
  const { calibrateKappa } = await import('../src/evaluate/correction.js');
  const draw = rng(3);
  for (const scale of [0.5, 2]) {
    const errors = Array.from({ length: 4000 }, () => scale * draw.normal());
    const kappa = calibrateKappa(errors, errors.map(() => 1));
    assert.ok(Math.abs(Math.sqrt(kappa) - scale) < 0.05 * scale, `${kappa} for scale ${scale}`);
    const inside = errors.filter((e) => Math.abs(e) <= 1.96 * Math.sqrt(kappa)).length / errors.length;
    assert.ok(inside >= 0.95 && inside < 0.96, String(inside));
  }
});

test('the adaptive test residual model: weights only items the replays asked often, and lowers error on new models where one ability misfits', async () => {
  const { learnCatCorrection } = await import('../src/evaluate/cat.js');
  const { sim, bank } = twoSkills(500, 200, 47);
  const all = [...Array(200).keys()];
  const cal = subsetMatrix(sim.matrix, [...Array(400).keys()], all);
  const fresh = subsetMatrix(sim.matrix, Array.from({ length: 100 }, (_, k) => 400 + k), all);
  const o = { maxItems: 40, stopSe: 0 };
  const asked = new Int32Array(200);
  await runCat(bank, replayResponder(bank, cal), o, { onStep: (s) => asked[s.item]++ });
  const corr = await learnCatCorrection(bank, cal, o);
  assert.ok(corr.penalty! < Infinity && corr.residual, JSON.stringify({ penalty: corr.penalty, gamma: corr.gamma }));
  corr.residual!.forEach((w, i) => assert.ok(w === 0 || asked[i] >= 40, `item ${i} asked ${asked[i]} times has weight ${w}`));
  const mae = async (c: typeof corr) => {
    const res = await runCat(bank, replayResponder(bank, fresh), { ...o, correction: c });
    return res.rows.reduce((s, row, m) => s + Math.abs(row.accuracy - fresh.data.subarray(m * 200, m * 200 + 200).reduce((x, v) => x + v, 0) / 200), 0) / 100;
  };
  const [withModel, without] = [await mae(corr), await mae({ ...corr, residual: undefined })];
  assert.ok(withModel < 0.9 * without, `${withModel} vs ${without}`);
});

test('the calibrated 95% intervals cover about 95% of new models where one ability misfits, closer than uncalibrated ones', async () => {
  const { learnCatCorrection } = await import('../src/evaluate/cat.js');
  // a second skill the bank's one θ cannot see: the IRT-only interval (θ's SE and the unasked items' Bernoulli noise)
  // is too wide for the subset, whose residual model takes out much of the misfit, and too narrow for the adaptive
  // test; κ, sized on the calibration models' errors, must bring both near 95% on models it never saw
  const I = 600;
  const { sim, bank } = twoSkills(3000, I, 53);
  const all = [...Array(I).keys()];
  const cal = subsetMatrix(sim.matrix, [...Array(1000).keys()], all);
  const fresh = subsetMatrix(sim.matrix, Array.from({ length: 2000 }, (_, k) => 1000 + k), all);
  const truth = Array.from({ length: 2000 }, (_, m) => fresh.data.subarray(m * I, m * I + I).reduce((x, v) => x + v, 0) / I);
  const cover = (rows: Array<{ ci_low: number; ci_high: number }>) => rows.filter((r, m) => truth[m] >= r.ci_low && truth[m] <= r.ci_high).length / rows.length;
  const subset = selectSubset(bank, { n: 30, method: 'cluster', seed: 1 });
  const corr = learnCorrection(bank, cal, subset);
  const o = { maxItems: 30, stopSe: 0 };
  const catCorr = await learnCatCorrection(bank, cal, o);
  const cat = async (kappa: number) => cover((await runCat(bank, replayResponder(bank, fresh), { ...o, correction: { ...catCorr, kappa } })).rows);
  const rows = {
    subset: [cover(estimateAccuracy(bank, fresh, { subset, correction: corr }).rows), cover(estimateAccuracy(bank, fresh, { subset, correction: { ...corr, kappa: 1 } }).rows)],
    cat: [await cat(catCorr.kappa), await cat(1)],
  };
  for (const [what, [calibrated, raw]] of Object.entries(rows)) {
    // 2,000 new models: a binomial SE of 0.5 points, and κ's own from 1,000 calibration models about 0.7
    assert.ok(Math.abs(calibrated - 0.95) < 0.02, `${what}: ${calibrated}`);
    assert.ok(Math.abs(raw - 0.95) > Math.abs(calibrated - 0.95) + 0.01, `${what}: calibrated ${calibrated}, IRT alone ${raw}`);
  }
});
