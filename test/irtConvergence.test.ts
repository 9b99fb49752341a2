import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../src/irt/simulate.js';
import { fitIrt } from '../src/irt/fit.js';

describe('fit.json says how a fit ended when its parameters did not settle', () => {
  const sim = simulate({ models: 300, items: 30, model: '3pl', missing: 0.1, seed: 8 });
  for (const method of ['mml', 'jml'] as const) {
    test(`${method}: stopped by the iteration limit, it names who was still moving, largest first`, async () => {
      const f = await fitIrt(sim.matrix, { model: '3pl', method, maxIter: 4 });
      assert.equal(f.info.converged, false);
      const c = f.info.convergence;
      assert.ok(c, 'convergence is written');
      assert.equal(c.criterion, 'iteration limit');
      assert.ok(c.still_moving.length > 0 && c.still_moving.length <= 5);
      for (const m of c.still_moving) {
        assert.ok(sim.matrix.items.includes(m.item), `${m.item} is an item`);
        assert.ok(['a', 'd', 'logit c'].includes(m.parameter));
      }
      const moves = c.still_moving.map((m) => m.change);
      assert.deepEqual(moves, [...moves].sort((x, y) => y - x));
      assert.ok(moves[0] >= f.info.tol, `the largest move ${moves[0]} is above tol`);
      assert.match(c.advice, /--guessing/);
    });
  }

  test('a fit that converged on its parameters writes no convergence entry', async () => {
    const f = await fitIrt(simulate({ models: 300, items: 20, model: '2pl', missing: 0.1, seed: 8 }).matrix, { model: '2pl', method: 'mml' });
    assert.equal(f.info.converged, true);
    assert.equal(f.info.convergence, undefined);
  });
});
