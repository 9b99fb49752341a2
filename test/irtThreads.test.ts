import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../src/irt/simulate.js';
import { fitIrt, fitWork, type FitResult } from '../src/irt/fit.js';
import { rowOffsets } from '../src/responses/matrix.js';
import { POOL_THRESHOLD } from '../src/parallel/pool.js';
import type { ItemModel, Method } from '../src/irt/model.js';

/** Everything a fit writes (items.csv, models.csv, fit.json), as text, less the seconds it took. */
function written(f: FitResult): string {
  const cols = (t: object) => JSON.stringify(Object.entries(t).map(([k, v]) => [k, Array.from(v as ArrayLike<unknown>)]));
  return cols(f.items) + cols(f.models) + JSON.stringify({ ...f.info, seconds: 0 });
}

async function withThreads(n: number, run: () => Promise<FitResult>): Promise<string> {
  const before = process.env.GRADUS_THREADS;
  process.env.GRADUS_THREADS = String(n);
  try {
    return written(await run());
  } finally {
    if (before === undefined) delete process.env.GRADUS_THREADS;
    else process.env.GRADUS_THREADS = before;
  }
}

// Sums over models (E-step counts and log-likelihood, the joint log-likelihood) must not depend on how the models
// are split among threads. Each matrix is big enough that the fit takes the worker pool, not the serial runner.
describe('a fit is byte-identical on 1, 2 and 3 threads (through the worker pool)', () => {
  const cases: Array<{ model: ItemModel; method: Method; models: number; items: number }> = [
    { model: '2pl', method: 'mml', models: 300, items: 100 },
    { model: '3pl', method: 'mml', models: 300, items: 100 },
    { model: 'rasch', method: 'mml', models: 300, items: 100 },
    { model: '2pl', method: 'jml', models: 1000, items: 600 },
    { model: '1pl', method: 'map', models: 1000, items: 600 },
  ];
  for (const c of cases) {
    test(`${c.model} ${c.method}, ${c.models} × ${c.items}, 30% missing`, async () => {
      const sim = simulate({ models: c.models, items: c.items, model: c.model === '3pl' ? '3pl' : '2pl', missing: 0.3, seed: 3 });
      assert.ok(fitWork(rowOffsets(sim.matrix.data, sim.matrix.models.length, sim.matrix.items.length)[sim.matrix.models.length], c.method) >= POOL_THRESHOLD, 'the matrix is big enough for the pool');
      let finite = 0;
      const fit = async () => {
        const f = await fitIrt(sim.matrix, { model: c.model, method: c.method, maxIter: 60 });
        finite = f.items.b.filter(Number.isFinite).length;
        return f;
      };
      const one = await withThreads(1, fit);
      assert.ok(finite > 0.9 * c.items, `${finite} finite difficulties`);
      for (const n of [2, 3]) assert.ok((await withThreads(n, fit)) === one, `${n} threads wrote other bytes than 1 thread`);
    });
  }
});
