/**
 * Start anchors of adaptive testing (`startAnchors`; catR's start items, mirtCAT's preCAT): representative anchors
 * asked first, in the subset's order, then adaptive selection; their weighted mean enters the accuracy by the λ blend
 * of `estimate`, learned on calibration replays.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../src/irt/simulate.js';
import { makeBank } from '../src/evaluate/bank.js';
import { learnCatCorrection, runCat, type CatStep } from '../src/evaluate/cat.js';
import { replayResponder, type Responder } from '../src/evaluate/responder.js';
import { estimateAccuracy } from '../src/evaluate/estimate.js';
import { selectSubset } from '../src/evaluate/subset.js';
import { learnCorrection } from '../src/evaluate/correction.js';

const sim = simulate({ models: 40, items: 120, model: '2pl', seed: 17 });
const bank = makeBank(sim.matrix.items, sim.params);
const anchors = selectSubset(bank, { n: 12, method: 'cluster', seed: 2 });

test('the first N items asked are exactly the start anchors, in their order, and only then adaptive ones', async () => {
  const steps: CatStep[] = [];
  // a low SE target that MFI alone would meet early: the anchors are asked all the same
  const r = await runCat(bank, replayResponder(bank, sim.matrix), { startAnchors: anchors, stopSe: 0.9, minItems: 1, maxItems: 30 }, { onStep: (s) => steps.push(s) });
  for (const model of sim.matrix.models) {
    const mine = steps.filter((s) => s.model === model).map((s) => s.item);
    assert.deepEqual(mine.slice(0, 12), Array.from(anchors.items), `${model} did not start with the anchors`);
    assert.equal(new Set(mine).size, mine.length);
  }
  assert.ok(r.stops.every((s) => s.n >= 12 && s.stop === 'se'));
  const again: CatStep[] = [];
  await runCat(bank, replayResponder(bank, sim.matrix), { startAnchors: anchors, stopSe: 0, maxItems: 20 }, { onStep: (s) => again.push(s) });
  assert.deepEqual(again.filter((s) => s.step <= 12).map((s) => s.item), steps.filter((s) => s.step <= 12).map((s) => s.item), 'deterministic');
  assert.ok(again.some((s) => s.step > 12 && !anchors.items.includes(s.item)), 'adaptive items follow');
});

test('a killed run resumed mid-anchors and after them asks no item twice and ends as an unbroken run', async () => {
  const o = { startAnchors: anchors, stopSe: 0, maxItems: 25 };
  const whole: CatStep[] = [];
  const full = await runCat(bank, replayResponder(bank, sim.matrix), o, { onStep: (s) => whole.push(s) });
  for (const cut of [5, 12, 18]) {
    const resume = new Map(sim.matrix.models.map((m) => [m, whole.filter((s) => s.model === m && s.step <= cut).map((s) => ({ item: s.item, correct: s.correct }))]));
    const asked: Array<[string, number]> = [];
    const replay = replayResponder(bank, sim.matrix);
    const counting: Responder = { ...replay, ask: (m, i) => (asked.push([m, i]), replay.ask(m, i)) };
    const r = await runCat(bank, counting, o, { resume });
    for (const [m, i] of asked) assert.ok(!resume.get(m)!.some((s) => s.item === i), `${m} was asked ${i} again after ${cut}`);
    assert.equal(asked.length, sim.matrix.models.length * (25 - cut));
    r.rows.forEach((row, k) => assert.ok(Math.abs(row.accuracy - full.rows[k].accuracy) < 1e-9));
  }
});

test('a test of the anchors only, with the correction estimate learns for them, is the estimate of that subset; λ = 0 is their weighted mean', async () => {
  const correction = learnCorrection(bank, sim.matrix, anchors);
  const cat = await runCat(bank, replayResponder(bank, sim.matrix), { startAnchors: anchors, stopSe: 0, maxItems: 12, correction });
  const est = estimateAccuracy(bank, sim.matrix, { subset: anchors, correction });
  cat.rows.forEach((row, k) => assert.ok(Math.abs(row.accuracy - est.rows[k].accuracy) < 1e-9, `${row.model}: ${row.accuracy} vs ${est.rows[k].accuracy}`));
  const blendOnly = { ...correction, lambda: 0, residual: undefined, gamma: 0 };
  const mean = await runCat(bank, replayResponder(bank, sim.matrix), { startAnchors: anchors, stopSe: 0, maxItems: 30, correction: blendOnly });
  sim.matrix.models.forEach((_, m) => {
    let s = 0;
    anchors.items.forEach((i, k) => (s += anchors.weights[k] * sim.matrix.data[m * 120 + i]));
    assert.ok(Math.abs(mean.rows[m].accuracy - s) < 1e-12, 'λ = 0: the anchors’ weighted mean, whatever the adaptive items say');
  });
});

test('learnCatCorrection learns λ from the anchors of calibration replays, and leaves λ = 1 without them', async () => {
  const plain = await learnCatCorrection(bank, sim.matrix, { stopSe: 0, maxItems: 20 });
  assert.equal(plain.lambda, 1);
  // a bank whose fitted curves are off (every difficulty 0.8 too high): the anchors' observed mean now earns weight
  const wrong = makeBank(sim.matrix.items, { ...sim.params, b: sim.params.b.map((b) => b + 0.8) });
  const c = await learnCatCorrection(wrong, sim.matrix, { startAnchors: selectSubset(wrong, { n: 12, method: 'cluster', seed: 2 }), stopSe: 0, maxItems: 20 });
  assert.ok(c.lambda < 1, `λ ${c.lambda}`);
});
