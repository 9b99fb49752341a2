import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { itemPoint, logLik, newItemPoint, prob, sigmoid, type ItemModel } from '../src/irt/model.js';
import { toIrt, type Estimate } from '../src/irt/estimate.js';
import { heldFiniteText, MAP_PRIORS, MML_PRIORS, priorsText, EXTREME_SCORE_ADJ } from '../src/irt/priors.js';

const close = (x: number, y: number, tol: number, what: string) => assert.ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `${what}: ${x} vs ${y}`);

describe('the item model: derivatives against finite differences', () => {
  // P(θ; a, d, γ) = σ(γ) + (1 − σ(γ))σ(aθ + d); each model frees a subset of (a, d, γ) and θ is always free
  const P = (th: number, a: number, d: number, g: number) => {
    const c = g === -Infinity ? 0 : sigmoid(g);
    return c + (1 - c) * sigmoid(a * th + d);
  };
  const cases: Record<ItemModel, { a: number; g: number; free: Array<'a' | 'd' | 'g' | 'theta'> }> = {
    rasch: { a: 1, g: -Infinity, free: ['d', 'theta'] },
    '1pl': { a: 1.3, g: -Infinity, free: ['a', 'd', 'theta'] },
    '2pl': { a: 0.7, g: -Infinity, free: ['a', 'd', 'theta'] },
    '3pl': { a: 1.8, g: -1.2, free: ['a', 'd', 'g', 'theta'] },
  };
  for (const [model, c] of Object.entries(cases)) {
    test(`${model}: ∂P/∂${c.free.join(', ∂P/∂')} and log P`, () => {
      const pt = newItemPoint();
      for (const th of [-2.5, -0.3, 0, 1.1, 3]) {
        for (const d of [-1.5, 0.4]) {
          const cc = c.g === -Infinity ? 0 : sigmoid(c.g);
          itemPoint(c.a * th + d, cc, pt);
          close(pt.P, P(th, c.a, d, c.g), 1e-15, 'P');
          close(pt.P, prob(th, c.a, -d / c.a, cc), 1e-12, 'P in the IRT parameterisation');
          close(pt.pq, pt.P * (1 - pt.P), 1e-15, 'P(1 − P)');
          const h = 1e-6;
          const fd = (f: (e: number) => number) => (f(h) - f(-h)) / (2 * h);
          const want: Record<string, [number, number]> = {
            a: [pt.dz * th, fd((e) => P(th, c.a + e, d, c.g))],
            d: [pt.dz, fd((e) => P(th, c.a, d + e, c.g))],
            g: [pt.dg, fd((e) => P(th, c.a, d, c.g + e))],
            theta: [c.a * pt.dz, fd((e) => P(th + e, c.a, d, c.g))],
          };
          for (const p of c.free) close(want[p][0], want[p][1], 1e-8, `∂P/∂${p} at θ = ${th}, d = ${d}`);
          assert.equal(logLik(1, pt.P), Math.log(pt.P));
          assert.equal(logLik(0, pt.P), Math.log(1 - pt.P));
        }
      }
    });
  }
});

describe('one conversion to the IRT parameterisation', () => {
  const est = (a: number, d: number, varA: number, covAD: number, varD: number, g = -Infinity) =>
    ({ a: Float64Array.of(a), d: Float64Array.of(d), g: Float64Array.of(g), varA: Float64Array.of(varA), covAD: Float64Array.of(covAD), varD: Float64Array.of(varD) }) as unknown as Estimate;

  test('b = −d/a, c = σ(γ), and the delta-method SEs equal those from a numerical derivative of b(a, d)', () => {
    for (const [a, d, vaa, vad, vdd] of [[1.4, -0.8, 0.04, -0.01, 0.02], [0.6, 2.1, 0.01, 0.004, 0.09], [3.2, 0.3, 0.3, 0.05, 0.2]]) {
      const r = toIrt(est(a, d, vaa, vad, vdd, -1), [10]);
      close(r.b[0], -d / a, 1e-15, 'b');
      close(r.c[0], sigmoid(-1), 1e-15, 'c');
      const h = 1e-6;
      const ga = (-d / (a + h) - -d / (a - h)) / (2 * h);
      const gd = (-(d + h) / a - -(d - h) / a) / (2 * h);
      close(r.se_b[0], Math.sqrt(ga * ga * vaa + 2 * ga * gd * vad + gd * gd * vdd), 1e-8, 'se_b');
      close(r.se_a[0], Math.sqrt(vaa), 1e-15, 'se_a');
    }
  });

  test('without a slope variance (rasch) b’s SE is d’s over a; items without answers stay NaN', () => {
    const r = toIrt(est(1.2, 0.5, NaN, 0, 0.09), [5]);
    close(r.se_b[0], 0.3 / 1.2, 1e-15, 'se_b');
    assert.ok(Number.isNaN(r.se_a[0]));
    assert.equal(r.c[0], 0);
    const none = toIrt(est(1, 0, 0.1, 0, 0.1), [0]);
    assert.ok(Number.isNaN(none.se_b[0]) && Number.isNaN(none.se_a[0]));
  });
});

describe('fit.json’s words about priors follow the declarations', () => {
  test('the declared numbers appear, and a changed declaration changes the words', () => {
    const mml3 = priorsText('3pl', 'mml', false);
    assert.equal(mml3.c, `Beta(${MML_PRIORS.c.alpha}, ${MML_PRIORS.c.beta})`);
    assert.equal(mml3.log_a, `N(0, ${MML_PRIORS.logA3pl.sd}²)`);
    assert.ok(mml3.d.startsWith(`N(0, ${MML_PRIORS.d3pl.sd}²)`) && mml3.d.includes(`N(0, ${MML_PRIORS.extremeD.sd}²)`), mml3.d);
    assert.deepEqual(Object.keys(priorsText('3pl', 'mml', true)), ['d'], 'a fixed c has no prior');
    assert.deepEqual(priorsText('2pl', 'mml', false), {});
    const map = priorsText('2pl', 'map', false);
    assert.equal(map.theta, `N(0, ${MAP_PRIORS.thetaSd}²)`);
    assert.equal(map.log_a, `N(0, ${MAP_PRIORS.logASd}²)`);
    assert.ok(!('log_a' in priorsText('rasch', 'map', false)));
    assert.ok(heldFiniteText('2pl', 'jml').includes(`${EXTREME_SCORE_ADJ}-point`));

    const saved = { d: MML_PRIORS.d3pl.sd, ex: MML_PRIORS.extremeD.sd, logA: MML_PRIORS.extremeLogA.sd, sd: MAP_PRIORS.dSd };
    try {
      MML_PRIORS.d3pl.sd = 7;
      MML_PRIORS.extremeD.sd = 2.5;
      MML_PRIORS.extremeLogA.sd = 0.25;
      MAP_PRIORS.dSd = 4;
      assert.ok(priorsText('3pl', 'mml', false).d.startsWith('N(0, 7²) (d = −a·b; N(0, 2.5²)'));
      assert.equal(heldFiniteText('2pl', 'mml'), 'priors d ~ N(0, 2.5²) and log a ~ N(0, 0.25²) on items that every model answering them got right (or wrong)');
      assert.equal(priorsText('1pl', 'map', false).d, 'N(0, 4²) (d = −a·b)');
    } finally {
      MML_PRIORS.d3pl.sd = saved.d;
      MML_PRIORS.extremeD.sd = saved.ex;
      MML_PRIORS.extremeLogA.sd = saved.logA;
      MAP_PRIORS.dSd = saved.sd;
    }
  });
});

describe('the one matrix inverse', () => {
  test('invertSpd: A·A⁻¹ = I for positive definite A, null otherwise', async () => {
    const { invertSpd } = await import('../src/util/linalg.js');
    const A = Float64Array.of(4, 1, 0.5, 1, 3, 0.2, 0.5, 0.2, 2);
    const inv = invertSpd(A, 3)!;
    for (let r = 0; r < 3; r++)
      for (let c = 0; c < 3; c++) {
        let s = 0;
        for (let k = 0; k < 3; k++) s += A[r * 3 + k] * inv[k * 3 + c];
        close(s, r === c ? 1 : 0, 1e-14, `(A·A⁻¹)[${r}][${c}]`);
      }
    assert.equal(invertSpd(Float64Array.of(1, 2, 2, 1), 2), null);
  });
});
