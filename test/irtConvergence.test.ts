import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { simulate } from '../src/irt/simulate.js';
import { fitIrt } from '../src/irt/fit.js';
import { stallOf } from '../src/irt/convergence.js';
import { ChangeTrail } from '../src/irt/changeTrail.js';
import { CONTRACTION_WINDOW } from '../src/irt/priors.js';
import type { Estimate } from '../src/irt/estimate.js';

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
      // 4 cycles are too few to judge contraction: the fit was still approaching, and more iterations are the advice
      assert.equal(c.diagnosis, 'slow');
      assert.equal(c.contraction, null);
      assert.match(c.advice, /raise the iteration limit/);
    });
  }

  test('a fit that converged on its parameters writes no convergence entry', async () => {
    const f = await fitIrt(simulate({ models: 300, items: 20, model: '2pl', missing: 0.1, seed: 8 }).matrix, { model: '2pl', method: 'mml' });
    assert.equal(f.info.converged, true);
    assert.equal(f.info.convergence, undefined);
  });
});

describe('at the iteration limit, the diagnosis tells a ridge and a cycle from a slow fit', () => {
  const est = (o: Partial<Estimate>) => ({ loglik: -1e5, lastLoglikChange: 1, contraction: NaN, ...o }) as Estimate;

  test('ChangeTrail: the last change over the one a window before, unknown before a whole window', () => {
    const t = new ChangeTrail();
    for (let k = 0; k <= CONTRACTION_WINDOW - 1; k++) t.push(0.5 ** k);
    assert.ok(Number.isNaN(t.contraction()));
    t.push(0.5 ** CONTRACTION_WINDOW);
    assert.equal(t.contraction(), 0.5 ** CONTRACTION_WINDOW);
    const flat = new ChangeTrail();
    for (let k = 0; k < 2 * CONTRACTION_WINDOW; k++) flat.push(k % 2 ? 0.1 : 0.11);
    assert.ok(flat.contraction() > 0.9 && flat.contraction() < 1.2);
  });

  test('a settled objective is a ridge whatever the parameters do; else a change that does not shrink is a cycle', () => {
    assert.equal(stallOf(est({ lastLoglikChange: 1e-6, contraction: 1 })), 'ridge');
    assert.equal(stallOf(est({ lastLoglikChange: 0.5, contraction: 0.95 })), 'cycling');
    assert.equal(stallOf(est({ lastLoglikChange: Infinity, contraction: 1.3 })), 'cycling');
    assert.equal(stallOf(est({ lastLoglikChange: 0.5, contraction: 0.2 })), 'slow');
    assert.equal(stallOf(est({ lastLoglikChange: 0.5, contraction: NaN })), 'slow');
  });
});
