/**
 * The numerics of evaluation against hand-computed values and against R mirt 1.47's LSAT7 2PL fit
 * (test/fixtures/lsat, copied unchanged from ../shared/data/lsat): item parameters in, each response pattern's
 * EAP / MAP / ML / WLE θ and SE out, as mirt's fscores gives them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { ROOT } from './support/fixtures.js';
import { makeBank, type ItemBank } from '../src/evaluate/bank.js';
import { estimateTheta, type Answers } from '../src/evaluate/ability.js';
import { fisherInfo } from '../src/evaluate/information.js';
import { selectNext } from '../src/evaluate/select.js';
import { rng } from '../src/util/rng.js';

const LSAT = path.join(ROOT, 'test/fixtures/lsat');
const rows = (f: string) => parse(fs.readFileSync(path.join(LSAT, f), 'utf8'), { columns: true }) as Record<string, string>[];

export function lsatBank(): ItemBank {
  const pars = rows('mirt_LSAT7_2PL_IRTpars.csv');
  return makeBank(pars.map((r) => r.item), { a: Float64Array.from(pars, (r) => Number(r.a)), b: Float64Array.from(pars, (r) => Number(r.b)), c: new Float64Array(pars.length) });
}

function answers(pattern: number[]): Answers {
  return { idx: Int32Array.from(pattern.keys()), y: Uint8Array.from(pattern), n: pattern.length };
}

test('Fisher information matches the closed forms: a²PQ for the 2PL, the 3PL formula with guessing', () => {
  const P = 1 / (1 + Math.exp(-1.5 * (0.3 - -0.2)));
  assert.ok(Math.abs(fisherInfo(0.3, 1.5, -0.2, 0) - 1.5 * 1.5 * P * (1 - P)) < 1e-15);
  // 3PL at θ = b: P = c + (1 − c)/2 = 0.625 with c = 0.25, I = a²(P−c)²Q/((1−c)²P) = 4·0.140625·0.375/(0.5625·0.625)
  assert.ok(Math.abs(fisherInfo(1, 2, 1, 0.25) - (4 * 0.140625 * 0.375) / (0.5625 * 0.625)) < 1e-12);
  assert.ok(Math.abs(fisherInfo(1, 2, 1, 0.25) - 0.6) < 1e-12);
});

test('MFI picks the most informative usable item at θ, by hand; never one already used', () => {
  const bank = lsatBank();
  // at θ = 0 the information a²PQ of the five LSAT7 items, computed by hand from mirt's parameters
  const info = Array.from(bank.ids, (_, i) => {
    const p = 1 / (1 + Math.exp(-bank.a[i] * (0 - bank.b[i])));
    return bank.a[i] ** 2 * p * (1 - p);
  });
  const order = [...info.keys()].sort((x, y) => info[y] - info[x]);
  const usable = new Uint8Array(5).fill(1);
  const seen: number[] = [];
  for (let step = 0; step < 5; step++) {
    const i = selectNext(bank, { usable, theta: 0, n: step }, 'mfi', rng(1));
    assert.equal(i, order[step]);
    assert.ok(!seen.includes(i));
    seen.push(i);
    usable[i] = 0;
  }
  assert.equal(selectNext(bank, { usable, theta: 0, n: 5 }, 'mfi', rng(1)), -1);
  assert.equal(order[0], 2, 'Item.3 (a = 1.71) is the most informative at θ = 0');
});

test('each LSAT7 pattern: EAP, MAP, ML and WLE θ and SE equal mirt fscores', () => {
  const bank = lsatBank();
  const ref = rows('mirt_LSAT7_2PL_person_scores_by_pattern.csv');
  assert.equal(ref.length, 32);
  let worst = 0;
  for (const r of ref) {
    const pattern = bank.ids.map((id) => Number(r[id]));
    const ans = answers(pattern);
    for (const m of ['eap', 'map', 'ml', 'wle'] as const) {
      const mt = Number(r[`theta_${m.toUpperCase()}`]);
      const ms = Number(r[`se_${m.toUpperCase()}`]);
      const e = estimateTheta(bank, ans, m);
      if (!Number.isFinite(mt)) {
        // mirt: ±Inf; gradus never reports an infinite θ and says it fell back to MAP
        assert.equal(m, 'ml');
        assert.ok(e.fallback && Number.isFinite(e.theta));
        assert.ok(Math.abs(e.theta - Number(r.theta_MAP)) < 1e-3);
        continue;
      }
      assert.ok(Math.abs(e.theta - mt) < 1e-4, `${m} ${pattern.join('')}: θ ${e.theta} vs mirt ${mt}`);
      assert.ok(Math.abs(e.se - ms) < 2e-4, `${m} ${pattern.join('')}: SE ${e.se} vs mirt ${ms}`);
      worst = Math.max(worst, Math.abs(e.theta - mt));
    }
  }
  assert.ok(worst < 1e-4);
});

test('EAP and MAP after one right answer to a Rasch item at b = 0, by hand', () => {
  const bank = makeBank(['q'], { a: Float64Array.of(1), b: Float64Array.of(0), c: Float64Array.of(0) });
  const ans = answers([1]);
  // MAP solves (1 − σ(θ)) − θ = 0 (score of the item plus the N(0,1) prior's): θ ≈ 0.4011, SE = 1/√(σ(1 − σ) + 1)
  const map = estimateTheta(bank, ans, 'map');
  const s = 1 / (1 + Math.exp(-map.theta));
  assert.ok(Math.abs(1 - s - map.theta) < 1e-10 && map.theta > 0.4 && map.theta < 0.402);
  assert.ok(Math.abs(map.se - 1 / Math.sqrt(s * (1 - s) + 1)) < 1e-10);
  // EAP: the posterior mean over 61 nodes on [−6, 6] with N(0,1) weights times σ(θ)
  let w = 0, m = 0, m2 = 0;
  for (let q = 0; q < 61; q++) {
    const t = -6 + 0.2 * q;
    const p = Math.exp(-t * t / 2) / (1 + Math.exp(-t));
    w += p; m += p * t; m2 += p * t * t;
  }
  const eap = estimateTheta(bank, ans, 'eap');
  assert.ok(Math.abs(eap.theta - m / w) < 1e-12);
  assert.ok(Math.abs(eap.se - Math.sqrt(m2 / w - (m / w) ** 2)) < 1e-12);
});
