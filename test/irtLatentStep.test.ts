import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { simulate } from '../src/irt/simulate.js';
import { readResponses } from '../src/index.js';
import { buildViews } from '../src/responses/views.js';
import type { ResponseMatrix } from '../src/responses/matrix.js';
import { serialRunner } from '../src/parallel/runner.js';
import { ESTEP_TABLES, estep, fillItemRows, newPosteriors } from '../src/irt/estep.js';
import { guessWindows, runnerEStep } from '../src/irt/estepRunner.js';
import { LATENT_MIN_MODELS, latentDerivatives, latentPass, moveLatent } from '../src/irt/latentStep.js';
import { fitIrt } from '../src/irt/fit.js';
import { layoutFor, type MmlState } from '../src/irt/layout.js';
import { fitMml } from '../src/irt/mml.js';
import { freeOf, mmlItemPriors, type MmlSetup } from '../src/irt/mstep.js';
import { itemSteps } from '../src/irt/mstepItems.js';
import type { ItemModel } from '../src/irt/model.js';
import { grid, logNormalWeights } from '../src/irt/quadrature.js';
import { runEm, type EmStep } from '../src/irt/squarem.js';
import { itemVariation } from '../src/irt/variation.js';
import { hasShared, SHARED } from './support/fixtures.js';

const Q = 61;
const nodes = grid(Q, 6);

async function parts(m: ResponseMatrix) {
  const { bm, bi } = await buildViews(m);
  const variation = itemVariation(m, bi);
  const data = { nItems: m.items.length, Q, offsets: bm.offsets, index: bm.index, value: bm.value };
  return { bm, bi, variation, data };
}

/** The grid log-likelihood at the state s (the objective where no item has a prior). */
function loglikAt(data: { nItems: number; offsets: Int32Array; index: Int32Array | Uint16Array; value: Uint8Array }, s: MmlState): number {
  const tab = new Float64Array(2 * data.nItems * Q);
  for (let i = 0; i < data.nItems; i++) fillItemRows(tab, i, nodes, s.a[i], s.d[i], 0);
  return estep({ ...data, Q }, { tab, logPrior: logNormalWeights(nodes, 0, Math.exp(s.logVar)) }, null).loglik;
}

describe('the latent Newton step of plain EM (latentStep.ts)', () => {
  for (const model of ['2pl', 'rasch'] as ItemModel[]) {
    test(`${model}: its gradient and curvature along (μ, log τ) are the grid log-likelihood's, by finite differences`, async () => {
      const sim = simulate({ models: 300, items: 40, model: model === 'rasch' ? 'rasch' : '2pl', missing: 0.2, seed: 4 });
      const { variation, data, bi } = await parts(sim.matrix);
      assert.equal(variation.extreme.filter(Boolean).length, 0, 'no item carries a prior: the objective is the log-likelihood');
      const nI = data.nItems;
      const L = layoutFor(model, nI, false);
      const priors = mmlItemPriors(model, L, variation);
      const setup: MmlSetup = { model, nI, Q, nodes, L, variation, priors, items: itemSteps(serialRunner, nodes, variation.n, priors, freeOf(L)) };
      // a point off the maximum: the simulated truth, moved
      const s: MmlState = { a: Float64Array.from(sim.params.a, (a) => (model === 'rasch' ? 1 : a * 1.1)), d: Float64Array.from(sim.params.b, (b, i) => -sim.params.a[i] * b + 0.05), g: new Float64Array(nI).fill(-Infinity), logVar: model === 'rasch' ? Math.log(0.8) : 0 };
      const post = newPosteriors(sim.matrix.models.length, Q);
      const run = runnerEStep(serialRunner, { ...data, iOffsets: bi.offsets, iIndex: bi.index, iValue: bi.value }, undefined, post);
      const tab = new Float64Array(2 * nI * Q);
      await serialRunner.run(ESTEP_TABLES, [[0, nI]], () => ({ tab, nodes, a: s.a, d: s.d, g: s.g }));
      const sums = await run({ tab, logPrior: logNormalWeights(nodes, 0, Math.exp(s.logVar)) });
      const { g, exact } = await latentDerivatives(setup, s, sums, latentPass(serialRunner, data, post));
      const f = (mu: number, logTau: number) => loglikAt(data, moveLatent({ ...s, a: s.a.slice(), d: s.d.slice() }, { mu, logTau: model === 'rasch' ? 0 : logTau }));
      const e = 1e-4;
      const f0 = f(0, 0);
      const close = (x: number, y: number, rel: number, what: string) => assert.ok(Math.abs(x - y) <= rel * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);
      close(g.mu, (f(e, 0) - f(-e, 0)) / (2 * e), 1e-4, 'dℓ/dμ');
      close(exact[0], -(f(e, 0) - 2 * f0 + f(-e, 0)) / (e * e), 1e-3, '−d²ℓ/dμ²');
      if (model === 'rasch') return;
      close(g.tau, (f(0, e) - f(0, -e)) / (2 * e), 1e-4, 'dℓ/dlog τ');
      close(exact[2], -(f(0, e) - 2 * f0 + f(0, -e)) / (e * e), 1e-3, '−d²ℓ/dlog τ²');
      close(exact[1], -(f(e, e) - f(e, -e) - f(-e, e) + f(-e, -e)) / (4 * e * e), 1e-3, '−d²ℓ/dμ dlog τ');
    });
  }

  test('runEm undoes a move that lowers the objective: the objective never falls, and EM still reaches the maximum', async () => {
    // objective −(x − 1)², plain EM halves the distance to 1; the map's own move overshoots by far (to 1 + 3·(1 − x)·boost... past the maximum)
    const lls: number[] = [];
    const em = async (x: Float64Array, _px: boolean, boost: number): Promise<EmStep> => {
      const plain = Float64Array.of(x[0] + 0.5 * (1 - x[0]));
      const loglik = -((x[0] - 1) ** 2);
      return boost ? { next: Float64Array.of(plain[0] + 4 * boost * (1 - x[0])), loglik, plain } : { next: plain, loglik };
    };
    const out = await runEm(Float64Array.of(-3), em, { tol: 1e-8, tolLoglik: 1e-12, maxIter: 500, accelerate: true, finishPlain: true, onIteration: (_it, ll) => lls.push(ll) });
    assert.ok(out.converged);
    assert.ok(Math.abs(out.x[0] - 1) < 1e-6, `x ${out.x[0]}`);
    const plainPhase = lls.slice(lls.findIndex((ll) => ll > -1e-3));
    for (let k = 1; k < plainPhase.length; k++) assert.ok(plainPhase[k] >= plainPhase[k - 1] - 1e-15, `objective fell at ${k}: ${plainPhase[k - 1]} → ${plainPhase[k]}`);
  });

  /** MML with and without the latent step (o.latent), on the same E-step; without it to a tighter tolerance unless `sameTol`. */
  async function bothWays(m: ResponseMatrix, model: ItemModel, sameTol = false): Promise<Array<{ loglik: number; iterations: number; b: Float64Array }>> {
    const { bm, variation, data, bi } = await parts(m);
    const out = [];
    for (const withStep of [true, false]) {
      const post = newPosteriors(m.models.length, Q);
      const estepRun = runnerEStep(serialRunner, { ...data, iOffsets: bi.offsets, iIndex: bi.index, iValue: bi.value }, guessWindows(bm, variation, nodes), post);
      const est = await fitMml(m, variation, { model, estep: estepRun, latent: withStep ? latentPass(serialRunner, data, post) : undefined, nResponses: bm.index.length, tol: withStep || sameTol ? undefined : 1e-6, maxIter: 3000 });
      assert.ok(est.converged);
      out.push({ loglik: est.loglik, iterations: est.iterations, b: Float64Array.from(est.d, (d, i) => -d / est.a[i]) });
    }
    return out;
  }

  test('2pl, 800 × 300 simulated, 30% missing: the same maximum as plain EM run to a tighter tolerance, in fewer EM steps', async () => {
    const sim = simulate({ models: 800, items: 300, model: '2pl', missing: 0.3, seed: 12 });
    const [fast, plain] = await bothWays(sim.matrix, '2pl');
    assert.ok(Math.abs(fast.loglik - plain.loglik) < 1e-3, `${fast.loglik} vs ${plain.loglik}`);
    assert.ok(fast.iterations < plain.iterations, `${fast.iterations} vs ${plain.iterations} steps`);
    for (let i = 0; i < fast.b.length; i++) assert.ok(Math.abs(fast.b[i] - plain.b[i]) < 2e-3, `item ${i}: b ${fast.b[i]} vs ${plain.b[i]}`);
  });

  test('MuSR (../shared/data), rasch: the same maximum as plain EM run to a tighter tolerance', { skip: hasShared ? false : 'no ../shared/data' }, async () => {
    const { matrix } = await readResponses(path.join(SHARED, 'openllm-v2/musr.responses.csv'));
    const [fast, plain] = await bothWays(matrix, 'rasch');
    assert.ok(Math.abs(fast.loglik - plain.loglik) < 1e-3, `${fast.loglik} vs ${plain.loglik}`);
  });

  test('ChemBench (../shared/data), 22 models, 1pl: fitIrt leaves the step out (LATENT_MIN_MODELS) and finds the maximum plain EM finds, to the bit', { skip: hasShared ? false : 'no ../shared/data' }, async () => {
    const { matrix } = await readResponses(path.join(SHARED, 'chembench/chembench.responses.csv'));
    assert.ok(matrix.models.length < LATENT_MIN_MODELS);
    const fit = await fitIrt(matrix, { model: '1pl', method: 'mml' });
    const [, plain] = await bothWays(matrix, '1pl', true);
    assert.equal(fit.info.loglik, plain.loglik);
  });
});
