/**
 * The accuracy stop rule of adaptive testing (`stopAccuracy`, `--stop-accuracy`): a test stops once θ's uncertainty
 * moves the full-bank accuracy by at most ± the target, and not before; a model where the bank's mean curve is flat
 * stops early even with a wide SE of θ, which the SE rule cannot do. catR (`stop.rule`) and mirtCAT
 * (`design$delta_thetas`) stop on θ only; this rule is the gradus one for users who want the accuracy to a precision.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { simulate } from '../src/irt/simulate.js';
import { makeBank } from '../src/evaluate/bank.js';
import { estimateTheta } from '../src/evaluate/ability.js';
import { predictAccuracy } from '../src/evaluate/accuracy.js';
import { bankCurves } from '../src/evaluate/curves.js';
import { runCat, type CatStep } from '../src/evaluate/cat.js';
import { replayResponder, type Responder } from '../src/evaluate/responder.js';
import { cli, tmpDir, write } from './support/fixtures.js';
import { writeResponses } from '../src/responses/write.js';
import { csvTable } from '../src/util/csv.js';

const halfWidth = (bank: ReturnType<typeof makeBank>, idx: number[], y: number[]) => {
  const ans = { idx: Int32Array.from(idx), y: Uint8Array.from(y), n: idx.length };
  return 1.96 * predictAccuracy(bank, bankCurves(bank), ans, estimateTheta(bank, ans, 'eap')).sdTheta[0];
};

test('stopAccuracy: stops at the first step where θ moves the accuracy by at most ± the target, and not before', async () => {
  const sim = simulate({ models: 12, items: 300, model: '2pl', seed: 21 });
  const bank = makeBank(sim.matrix.items, sim.params);
  const steps: CatStep[] = [];
  const target = 0.03;
  const r = await runCat(bank, replayResponder(bank, sim.matrix), { stopSe: 0, stopAccuracy: target, minItems: 5, maxItems: 120 }, { onStep: (s) => steps.push(s) });
  for (const s of r.stops) {
    assert.equal(s.stop, 'accuracy', `${s.model} stopped by ${s.stop}`);
    const mine = steps.filter((x) => x.model === s.model);
    assert.equal(mine.length, s.n);
    const idx = mine.map((x) => x.item), y = mine.map((x) => x.correct);
    assert.ok(halfWidth(bank, idx, y) <= target + 1e-12, 'the condition holds at the stop');
    // not before: every earlier length from the minimum on still had θ moving the accuracy by more than the target
    for (let n = 5; n < s.n; n++) assert.ok(halfWidth(bank, idx.slice(0, n), y.slice(0, n)) > target, `${s.model} could have stopped at ${n}`);
  }
  const tighter = await runCat(bank, replayResponder(bank, sim.matrix), { stopSe: 0, stopAccuracy: target / 3, minItems: 5, maxItems: 120 });
  const mean = (x: { n: number }[]) => x.reduce((t, s) => t + s.n, 0) / x.length;
  assert.ok(mean(tighter.stops) > mean(r.stops), 'a tighter target asks more items');
});

test('stopAccuracy: a model far below a hard bank stops early although its θ is still vague, one on the steep part goes on', async () => {
  // every item hard (b ≈ 2): a model at θ = −3 scores near 0 whatever its exact θ, so the accuracy is known early
  const N = 200;
  const bank = makeBank(Array.from({ length: N }, (_, i) => `i${i}`), { a: new Float64Array(N).fill(1.5), b: Float64Array.from({ length: N }, (_, i) => 1.5 + i / N), c: new Float64Array(N) });
  const answers = (p: number): Responder => ({ models: ['weak', 'strong'], available: () => undefined, ask: async (m, i) => Number(m === 'strong' ? i % 10 < 10 * p : i % 10 === 9 && i > 150) });
  const r = await runCat(bank, answers(0.5), { stopSe: 0, stopAccuracy: 0.02, minItems: 8, maxItems: 150 });
  const weak = r.stops.find((s) => s.model === 'weak')!, strong = r.stops.find((s) => s.model === 'strong')!;
  assert.equal(weak.stop, 'accuracy');
  assert.ok(weak.se_theta > 0.5, `θ's SE ${weak.se_theta} is wide: an SE rule would go on asking`);
  assert.ok(strong.n > 3 * weak.n, `the model on the steep part of the curve needs more items (${strong.n})`);
});

test('stopAccuracy and stopSe must be ≥ 0; the CLI --stop-accuracy turns the SE default off and cat.json records it', async () => {
  const sim = simulate({ models: 50, items: 60, model: '2pl', seed: 6 });
  const bank = makeBank(sim.matrix.items, sim.params);
  await assert.rejects(runCat(bank, replayResponder(bank, sim.matrix), { stopAccuracy: -0.01 }), /stopAccuracy` -0\.01 must be a number ≥ 0/);
  const dir = tmpDir('gradus-stop-');
  await writeResponses(sim.matrix, path.join(dir, 'new.csv'));
  const p = sim.params;
  write(dir, 'fit/items.csv', csvTable(['item', 'b', 'a', 'c'], 60, (r, c) => [sim.matrix.items[r], p.b[r], p.a[r], p.c[r]][c]));
  write(dir, 'fit/fit.json', JSON.stringify({ model: '2pl', method: 'mml', latent_var: 1 }));
  const r = cli(['cat', path.join(dir, 'fit'), '--replay', path.join(dir, 'new.csv'), '--stop-accuracy', '0.05', '--min-items', '5', '--out', path.join(dir, 'cat')]);
  assert.equal(r.code, 0, r.stderr);
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'cat', 'cat.json'), 'utf8'));
  assert.equal(run.settings.stopAccuracy, 0.05);
  assert.equal(run.settings.stopSe, 0, 'no SE stop unless asked for');
  assert.ok(run.stops.some((s: { stop: string }) => s.stop === 'accuracy'));
  assert.ok(run.stops.every((s: { stop: string }) => s.stop !== 'se'));
  const bad = cli(['cat', path.join(dir, 'fit'), '--replay', path.join(dir, 'new.csv'), '--stop-accuracy', '-1', '--no-correction', '--out', path.join(dir, 'bad')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--stop-accuracy -1 must be a number ≥ 0/);
  // the refused run wrote nothing that would refuse the corrected one as "other settings"
  const fixed = cli(['cat', path.join(dir, 'fit'), '--replay', path.join(dir, 'new.csv'), '--stop-accuracy', '0.02', '--no-correction', '--out', path.join(dir, 'bad')]);
  assert.equal(fixed.code, 0, fixed.stderr);
});
