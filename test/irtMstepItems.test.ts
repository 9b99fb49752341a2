import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { itemStep, type Free, type ItemPriors } from '../src/irt/itemStep.js';
import { itemSteps } from '../src/irt/mstepItems.js';
import { nOffset, rOffset } from '../src/irt/estep.js';
import { grid } from '../src/irt/quadrature.js';
import { serialRunner } from '../src/parallel/runner.js';
import { evenRanges } from '../src/parallel/shared.js';
import { rng } from '../src/util/rng.js';
import { MML_PRIORS } from '../src/irt/priors.js';

// The items' M-step runs as a kernel on packed shared arrays (its priors flattened to numbers) so that worker
// threads can run it; it must step each item exactly as itemStep does with the priors as objects.
describe("the items' M-step as a kernel", () => {
  const Q = 21;
  const nodes = grid(Q, 6);
  const r = rng(5);
  const nI = 7;
  const rn = new Float64Array(2 * nI * Q);
  for (let i = 0; i < nI; i++) {
    for (let q = 0; q < Q; q++) {
      const n = 50 * Math.exp(-0.5 * nodes[q] * nodes[q]) * (0.5 + r.next());
      rn[nOffset(i, Q) + q] = n;
      // item 5 answered right by every model, item 6 nobody answered
      rn[rOffset(i, Q) + q] = i === 5 ? n : n * r.next();
    }
  }
  for (let q = 0; q < Q; q++) rn[nOffset(6, Q) + q] = rn[rOffset(6, Q) + q] = 0;
  const counts = Int32Array.from({ length: nI }, (_, i) => (i === 6 ? 0 : 100));
  const cases: Array<{ name: string; free: Free; priors: ItemPriors }> = [
    { name: '2pl, no priors', free: { a: true, d: true, g: false }, priors: {} },
    { name: '2pl, an item without variation', free: { a: true, d: true, g: false }, priors: { dSd: MML_PRIORS.extremeD.sd, logASd: MML_PRIORS.extremeLogA.sd } },
    { name: '3pl, its priors', free: { a: true, d: true, g: true }, priors: { dSd: MML_PRIORS.d3pl.sd, logASd: MML_PRIORS.logA3pl.sd, cAlpha: MML_PRIORS.c.alpha, cBeta: MML_PRIORS.c.beta } },
    { name: 'rasch, d alone', free: { a: false, d: true, g: false }, priors: {} },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const priors = Array.from({ length: nI }, () => c.priors);
      const start = { a: new Float64Array(nI).fill(1.3), d: new Float64Array(nI).fill(-0.4), g: new Float64Array(nI).fill(c.free.g ? -1.5 : -Infinity), logVar: 0 };
      const t = { a: start.a.slice(), d: start.d.slice(), g: start.g.slice(), logVar: 0 };
      await itemSteps(serialRunner, nodes, counts, priors, c.free)(t, rn);
      for (let i = 0; i < nI; i++) {
        const st = { a: start.a[i], d: start.d[i], g: start.g[i] };
        if (counts[i]) itemStep(rn, rOffset(i, Q), nOffset(i, Q), nodes, Q, st, c.priors, c.free, 20);
        assert.equal(t.a[i], st.a, `item ${i} a`);
        assert.equal(t.d[i], st.d, `item ${i} d`);
        assert.equal(t.g[i], st.g, `item ${i} g`);
      }
      assert.notEqual(t.d[0], start.d[0], 'the step moved the first item');
      assert.equal(t.d[6], start.d[6], 'an item nobody answered is not stepped');
    });
  }
});

test('even ranges cover every row once, in order, and skip empty parts', () => {
  for (const [n, parts] of [[10, 3], [2, 4], [0, 2], [7, 1]]) {
    const ranges = evenRanges(n, parts);
    let next = 0;
    for (const [from, to] of ranges) {
      assert.equal(from, next);
      assert.ok(to > from);
      next = to;
    }
    assert.equal(next, n);
    assert.ok(ranges.length <= parts);
  }
});
