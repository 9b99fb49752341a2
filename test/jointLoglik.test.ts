/**
 * The joint item sweep's log-likelihood (jointKernels.ts) is summed as logs of products of many factors: it must
 * equal the per-answer sum of log P(x), for the common-slope and the 2PL paths, on items far too hard or too easy
 * for the models, where a factor 1 + exp(−aθ − d) alone reaches e^300.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { JOINT_ITEM_INFO, JOINT_ITEMS, jointLoglik, type JointCtx } from '../src/irt/jointKernels.js';
import { MAP_PRIORS } from '../src/irt/priors.js';
import { byItem, byModel, matrixFromRows } from '../src/responses/matrix.js';
import { rng } from '../src/util/rng.js';

function ctx(common: boolean, theta: Float64Array, d: Float64Array, a: Float64Array, rows: number[][]): JointCtx {
  const m = matrixFromRows(rows);
  const bm = byModel(m);
  const bi = byItem(m, bm);
  return {
    biOff: bi.offsets, biIdx: bi.index, biVal: bi.value, bmOff: bm.offsets, bmIdx: bm.index, bmVal: bm.value,
    a, d, g: new Float64Array(d.length).fill(-Infinity), theta,
    activeI: new Uint8Array(d.length).fill(1), activeM: Uint8Array.from(theta, (_, j) => (j % 7 === 3 ? 0 : 1)),
    common, eInv: Float64Array.from(theta, (t) => Math.exp(-a[0] * t)), fInv: Float64Array.from(d, (x) => Math.exp(-x)),
    freeA: !common, freeG: false, is3pl: false, isMap: false, wantLL: true, itemLl: new Float64Array(d.length), step: false,
    ...MAP_PRIORS,
  };
}

const softplus = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));

/** Σ log P(x) over the active models' answers, one log per answer: log σ(z) = −softplus(−z), log(1 − σ(z)) = −softplus(z). */
function direct(c: JointCtx, rows: number[][]): number {
  let ll = 0;
  rows.forEach((row, j) => {
    if (!c.activeM[j]) return;
    row.forEach((x, i) => {
      const z = c.a[i] * c.theta[j] + c.d[i];
      ll -= softplus(x ? -z : z);
    });
  });
  return ll;
}

describe('the joint log-likelihood of an item sweep', () => {
  for (const common of [true, false]) {
    test(`${common ? 'one common slope' : '2pl'}: equals the per-answer sum, for items from d = −300 to 300`, () => {
      const r = rng(common ? 1 : 2);
      const nM = 400;
      const nI = 30;
      const theta = Float64Array.from({ length: nM }, () => 3 * r.normal());
      const d = Float64Array.from({ length: nI }, (_, i) => (i < 10 ? -300 + 60 * i : i < 20 ? 4 * r.normal() : 30 * (i - 20)));
      const a = common ? new Float64Array(nI).fill(1.3) : Float64Array.from({ length: nI }, () => 0.3 + 2 * r.next());
      const rows = Array.from({ length: nM }, (_, j) => Array.from({ length: nI }, (_, i) => (r.next() < 1 / (1 + Math.exp(-(a[i] * theta[j] + d[i]))) ? 1 : 0)));
      // a few answers against the odds, so that the far items have wrong answers to large factors
      rows[5][0] = 1;
      rows[9][29] = 0;
      const c = ctx(common, theta, d, a, rows);
      JOINT_ITEMS.run(c, 0, nI);
      const ll = jointLoglik(c);
      const want = direct(c, rows);
      assert.ok(Number.isFinite(ll), `log-likelihood ${ll}`);
      assert.ok(Math.abs(ll - want) <= 1e-9 * Math.abs(want), `${ll} against ${want}`);
    });
  }

  test('2pl: each item\'s information of (a, d) is Σ P(1 − P)·[θ², θ; θ, 1] over every model that answered it', () => {
    const r = rng(3);
    const nM = 300;
    const nI = 12;
    const theta = Float64Array.from({ length: nM }, () => 2 * r.normal());
    const d = Float64Array.from({ length: nI }, (_, i) => (i < 2 ? 60 * (2 * i - 1) : 3 * r.normal()));
    const a = Float64Array.from({ length: nI }, () => 0.3 + 2 * r.next());
    const rows = Array.from({ length: nM }, () => Array.from({ length: nI }, () => (r.next() < 0.3 ? null : r.next() < 0.5 ? 1 : 0)));
    const c = ctx(false, theta, d, a, rows as number[][]);
    const info = new Float64Array(nI * 4);
    JOINT_ITEM_INFO.run({ ...c, info, k: 2 }, 0, nI);
    for (let i = 0; i < nI; i++) {
      const want = [0, 0, 0, 0];
      rows.forEach((row, j) => {
        if (row[i] === null) return;
        // P(1 − P) as exp(−|z|) / (1 + exp(−|z|))², which stays above 0 where P rounds to 1
        const e = Math.exp(-Math.abs(a[i] * theta[j] + d[i]));
        const w = e / (1 + e) ** 2;
        want[0] += w * theta[j] ** 2;
        want[1] += w * theta[j];
        want[2] += w * theta[j];
        want[3] += w;
      });
      want.forEach((x, q) => assert.ok(Math.abs(info[4 * i + q] - x) <= 1e-12 * Math.abs(x), `item ${i} entry ${q}: ${info[4 * i + q]} against ${x}`));
    }
  });
});
