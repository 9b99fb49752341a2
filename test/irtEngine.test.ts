import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { simulate } from '../src/irt/simulate.js';
import { fitIrt } from '../src/irt/fit.js';
import { byItem, byModel, matrixFromRows, MISSING, type ResponseMatrix } from '../src/responses/matrix.js';
import { grid, logNormalWeights } from '../src/irt/quadrature.js';
import { estep, fillItemRows } from '../src/irt/estep.js';
import { fullWindows as fullWindowsFor } from '../src/irt/estepRunner.js';
import { sigmoid } from '../src/irt/model.js';
import { cli, tmpDir } from './support/fixtures.js';

function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k]) || !Number.isFinite(y[k])) continue;
    n++; sx += x[k]; sy += y[k]; sxx += x[k] ** 2; syy += y[k] ** 2; sxy += x[k] * y[k];
  }
  return (sxy - (sx * sy) / n) / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
}

describe('parameter recovery, 2PL, 2,000 models × 1,000 items, 30% missing', () => {
  const sim = simulate({ models: 2000, items: 1000, model: '2pl', missing: 0.3, seed: 5 });
  for (const method of ['mml', 'jml', 'map'] as const) {
    test(`${method}: r(b) ≥ 0.99, r(a) ≥ 0.95, θ finite, converged`, async () => {
      const fit = await fitIrt(sim.matrix, { model: '2pl', method });
      assert.ok(fit.info.converged, `${method} converged`);
      const rb = corr(fit.items.b, sim.params.b);
      const ra = corr(fit.items.a, sim.params.a);
      assert.ok(rb >= 0.99, `r(b) = ${rb}`);
      assert.ok(ra >= 0.95, `r(a) = ${ra}`);
      assert.ok(corr(fit.models.theta, sim.theta) >= 0.99);
      assert.ok(fit.models.theta.every(Number.isFinite) && fit.models.se_theta.every((x) => Number.isFinite(x) && x > 0));
    });
  }
});

/** The marginal log-likelihood written out the slow, obvious way (an independent check of the EM code). */
function naiveMarginal(m: ResponseMatrix, a: number[], d: number[], variance = 1): number {
  const nodes = grid(61, 6);
  const w = logNormalWeights(nodes, 0, variance).map(Math.exp);
  const nI = m.items.length;
  let ll = 0;
  for (let j = 0; j < m.models.length; j++) {
    const lq = Array.from(nodes, (t, q) => {
      let s = Math.log(w[q]);
      for (let i = 0; i < nI; i++) {
        const v = m.data[j * nI + i];
        if (v === MISSING) continue;
        const p = sigmoid(a[i] * t + d[i]);
        s += Math.log(v ? p : 1 - p);
      }
      return s;
    });
    const mx = Math.max(...lq);
    ll += mx + Math.log(lq.reduce((acc, x) => acc + Math.exp(x - mx), 0));
  }
  return ll;
}

describe('the E-step', () => {
  // The E-step visits models in chunks and items in tiles, and sums each model only over its grid window. This
  // checks it against the textbook E-step written plainly, on a matrix larger than a chunk and a tile, with windows
  // that are right, too narrow (they must be redone on the whole grid) and absent.
  test('tiled and windowed sums equal the plain E-step', () => {
    const sim = simulate({ models: 700, items: 600, model: '2pl', missing: 0.3, seed: 3 });
    const m = sim.matrix;
    const nI = m.items.length;
    const nM = m.models.length;
    const Q = 21;
    const nodes = grid(Q, 5);
    const logPrior = logNormalWeights(nodes, 0, 1);
    const tab = new Float64Array(2 * nI * Q);
    for (let i = 0; i < nI; i++) fillItemRows(tab, i, nodes, sim.params.a[i], -sim.params.a[i] * sim.params.b[i], 0);
    const plain = { loglik: 0, rn: new Float64Array(2 * nI * Q), nq: new Float64Array(Q), mean: new Float64Array(nM) };
    for (let j = 0; j < nM; j++) {
      const ll = Array.from(logPrior);
      for (let i = 0; i < nI; i++) {
        const v = m.data[j * nI + i];
        if (v === MISSING) continue;
        for (let q = 0; q < Q; q++) ll[q] += tab[(2 * i + v) * Q + q];
      }
      const mx = Math.max(...ll);
      const w = ll.map((x) => Math.exp(x - mx));
      const s = w.reduce((a, b) => a + b, 0);
      plain.loglik += mx + Math.log(s);
      for (let q = 0; q < Q; q++) {
        const p = w[q] / s;
        plain.nq[q] += p;
        plain.mean[j] += p * nodes[q];
        for (let i = 0; i < nI; i++) {
          const v = m.data[j * nI + i];
          if (v === MISSING) continue;
          plain.rn[2 * i * Q + q] += p;
          plain.rn[(2 * i + 1) * Q + q] += v * p;
        }
      }
    }
    const sp = byModel(m);
    const data = { nItems: nI, Q, offsets: sp.offsets, index: sp.index, value: sp.value };
    const bi = byItem(m, sp);
    const items = { iOffsets: bi.offsets, iIndex: bi.index, iValue: bi.value };
    const close = (x: ArrayLike<number>, y: ArrayLike<number>, what: string) => {
      for (let k = 0; k < x.length; k++) assert.ok(Math.abs(x[k] - y[k]) <= 1e-9 * Math.max(1, Math.abs(y[k])), `${what}[${k}]: ${x[k]} vs ${y[k]}`);
    };
    const narrow = new Int32Array(2 * nM);
    for (let j = 0; j < nM; j++) narrow[2 * j] = narrow[2 * j + 1] = j % 2 ? 0 : Q - 1; // a one-point window at an end
    for (const win of [undefined, fullWindowsFor(nM, Q), narrow]) {
      const post = { mean: new Float64Array(nM), sd: new Float64Array(nM), nodes };
      const sums = estep(data, { tab, logPrior }, items, post, win);
      assert.ok(Math.abs(sums.loglik - plain.loglik) < 1e-7, `loglik ${sums.loglik} vs ${plain.loglik}`);
      close(sums.nq, plain.nq, 'nq');
      close(sums.rn, plain.rn, 'rn');
      close(post.mean, plain.mean, 'mean');
    }
  });
});

describe('MML on data it has not seen, with missing responses', () => {
  test('2PL: the reported log-likelihood is the marginal one, and every small move away from the estimates lowers it', async () => {
    const sim = simulate({ models: 400, items: 8, model: '2pl', missing: 0.25, seed: 99 });
    const fit = await fitIrt(sim.matrix, { model: '2pl', method: 'mml' });
    const a = Array.from(fit.items.a);
    const d = a.map((ai, i) => -ai * fit.items.b[i]);
    const at = naiveMarginal(sim.matrix, a, d);
    assert.ok(Math.abs(at - fit.info.loglik) < 1e-6, `${at} vs ${fit.info.loglik}`);
    for (let i = 0; i < 8; i++) {
      for (const h of [-0.01, 0.01]) {
        const a2 = a.slice();
        a2[i] += h;
        assert.ok(naiveMarginal(sim.matrix, a2, d) < at, `moving a[${i}] by ${h} raised the likelihood`);
        const d2 = d.slice();
        d2[i] += h;
        assert.ok(naiveMarginal(sim.matrix, a, d2) < at, `moving d[${i}] by ${h} raised the likelihood`);
      }
    }
  });

  test('Rasch: the latent variance maximizes the marginal likelihood too', async () => {
    const sim = simulate({ models: 400, items: 6, model: 'rasch', missing: 0.2, seed: 3 });
    const fit = await fitIrt(sim.matrix, { model: 'rasch', method: 'mml' });
    const a = Array(6).fill(1);
    const d = Array.from(fit.items.b, (b) => -b);
    const v = fit.info.latent_var;
    const at = naiveMarginal(sim.matrix, a, d, v);
    assert.ok(Math.abs(at - fit.info.loglik) < 1e-6);
    assert.ok(naiveMarginal(sim.matrix, a, d, v * 1.02) < at);
    assert.ok(naiveMarginal(sim.matrix, a, d, v * 0.98) < at);
  });
});

describe('Rasch JML solves its own likelihood equations', () => {
  // The common-slope kernels factor exp(−θ − d) into a per-model and a per-item table; this checks their answer
  // against the textbook equations written with sigmoid: at the joint ML every active item's expected score equals
  // its observed score, every model's too, and the SEs are 1/√(Σ P(1 − P)).
  test('expected = observed scores for items and models; SEs and infit/outfit from the same P', async () => {
    const sim = simulate({ models: 400, items: 120, model: '2pl', missing: 0.25, seed: 9 });
    const m = sim.matrix;
    const fit = await fitIrt(m, { model: 'rasch', method: 'jml', tol: 1e-8 });
    assert.ok(fit.info.converged);
    assert.deepEqual(fit.info.held_finite.items, []);
    assert.deepEqual(fit.info.held_finite.models, []);
    const nI = m.items.length;
    const L = nI;
    // undo the (L − 1)/L correction to get the ML point itself
    const d = Array.from(fit.items.b, (b) => (-b * L) / (L - 1));
    const theta = fit.models.theta;
    const itemGap = new Float64Array(nI);
    const itemInfo = new Float64Array(nI);
    let worstModel = 0;
    for (let j = 0; j < m.models.length; j++) {
      let gap = 0;
      let info = 0;
      for (let i = 0; i < nI; i++) {
        const v = m.data[j * nI + i];
        if (v === MISSING) continue;
        const p = sigmoid(theta[j] + d[i]);
        gap += v - p;
        itemGap[i] += v - p;
        const q = sigmoid(theta[j] - fit.items.b[i]);
        info += q * (1 - q);
      }
      worstModel = Math.max(worstModel, Math.abs(gap));
      assert.ok(Math.abs(fit.models.se_theta[j] - 1 / Math.sqrt(info)) < 1e-9, `model ${j} SE`);
    }
    assert.ok(worstModel < 1e-4, `largest model score gap ${worstModel}`);
    assert.ok(Math.max(...Array.from(itemGap, Math.abs)) < 1e-4, 'item score gaps');
    // the SEs (θ's above too) and fit statistics are taken at the reported, bias-corrected b
    for (let i = 0; i < nI; i++) {
      let num = 0, den = 0, z2 = 0, n = 0;
      for (let j = 0; j < m.models.length; j++) {
        const v = m.data[j * nI + i];
        if (v === MISSING) continue;
        const p = sigmoid(theta[j] - fit.items.b[i]);
        itemInfo[i] += p * (1 - p);
        num += (v - p) ** 2;
        den += p * (1 - p);
        z2 += (v - p) ** 2 / (p * (1 - p));
        n++;
      }
      assert.ok(Math.abs(fit.items.se_b[i] - 1 / Math.sqrt(itemInfo[i])) < 1e-9, `item ${i} SE`);
      assert.ok(Math.abs(fit.items.infit[i] - num / den) < 1e-9, `item ${i} infit`);
      assert.ok(Math.abs(fit.items.outfit[i] - z2 / n) < 1e-9, `item ${i} outfit`);
    }
  });
});

describe('long tests do not underflow', () => {
  test('Rasch MML with 6,000 answers per model: finite log-likelihood, sane latent variance, finite abilities', async () => {
    const sim = simulate({ models: 150, items: 6000, model: 'rasch', missing: 0, seed: 8 });
    const fit = await fitIrt(sim.matrix, { model: 'rasch', method: 'mml' });
    assert.ok(Number.isFinite(fit.info.loglik));
    assert.ok(fit.info.latent_var > 0.6 && fit.info.latent_var < 1.6, `latent var ${fit.info.latent_var}`);
    assert.ok(fit.models.theta.every(Number.isFinite));
    assert.ok(fit.info.iterations > 1 && fit.info.converged);
    assert.ok(corr(fit.models.theta, sim.theta) > 0.99);
  });
});

describe('items and models without variation', () => {
  const rows = [
    [1, 1, 0, 1, 1],
    [1, 0, 0, 1, 0],
    [1, 1, 1, 1, 0],
    [1, 0, 0, 0, 0],
    [1, 1, 1, 1, 1],
    [1, 0, 1, 0, 0],
    [1, 1, 0, 0, 1],
    [1, 0, 0, 1, 1],
  ];
  const m = matrixFromRows(rows, undefined, ['all-right', 'i2', 'i3', 'i4', 'i5']);
  for (const method of ['mml', 'jml', 'map'] as const) {
    test(`${method}: finite, listed, and the perfect model on top`, async () => {
      const fit = await fitIrt(m, { model: 'rasch', method });
      assert.ok(fit.items.b.every(Number.isFinite), `b finite: ${fit.items.b}`);
      assert.ok(fit.models.theta.every(Number.isFinite));
      assert.deepEqual(fit.info.held_finite.items, ['all-right']);
      assert.ok(fit.items.b[0] < Math.min(...Array.from(fit.items.b).slice(1)), 'the item everyone gets right is the easiest');
      const top = Math.max(...fit.models.theta);
      assert.equal(fit.models.theta[4], top, 'the model with every answer right has the top ability');
      // with the all-right item set aside, model 4 (only that item right) has no right answer left
      if (method === 'jml') assert.deepEqual(fit.info.held_finite.models, ['4', '5']);
    });
  }
});

describe('reproducible, pinned, flagged', () => {
  test('a rerun writes byte-identical items.csv and models.csv', () => {
    const dir = tmpDir();
    const sim = path.join(dir, 'sim.csv');
    assert.equal(cli(['simulate', '--models', '300', '--items', '60', '--missing', '0.2', '--seed', '4', '--out', sim]).code, 0);
    for (const method of ['mml', 'map']) {
      const a = cli(['fit', sim, '--model', '2pl', '--method', method, '--out', path.join(dir, `a-${method}`)]);
      const b = cli(['fit', sim, '--model', '2pl', '--method', method, '--out', path.join(dir, `b-${method}`)]);
      assert.equal(a.code, 0, a.stderr);
      assert.equal(b.code, 0, b.stderr);
      for (const f of ['items.csv', 'models.csv']) {
        assert.equal(fs.readFileSync(path.join(dir, `a-${method}`, f), 'utf8'), fs.readFileSync(path.join(dir, `b-${method}`, f), 'utf8'));
      }
    }
  });

  test('the latent scale is pinned: θ mean ≈ 0, slopes positive, and the same sign on a relabelled rerun', async () => {
    const sim = simulate({ models: 500, items: 40, model: '2pl', missing: 0.1, seed: 21 });
    for (const method of ['mml', 'jml', 'map'] as const) {
      const fit = await fitIrt(sim.matrix, { model: '2pl', method });
      const mean = fit.models.theta.reduce((s, x) => s + x, 0) / fit.models.theta.length;
      assert.ok(Math.abs(mean) < 0.15, `${method} θ mean ${mean}`);
      assert.ok(fit.items.a.every((x) => x > 0), `${method} slopes positive`);
      assert.ok(corr(fit.items.b, sim.params.b) > 0.9, `${method} not flipped`);
    }
  });

  test('a fit that does not converge is written, marked, and exits 1; nothing is NaN', () => {
    const dir = tmpDir();
    const sim = path.join(dir, 'sim.csv');
    cli(['simulate', '--models', '200', '--items', '30', '--seed', '2', '--out', sim]);
    const r = cli(['fit', sim, '--model', '2pl', '--max-iter', '1', '--out', path.join(dir, 'fit')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /did not converge in 1 iterations/);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'fit', 'fit.json'), 'utf8'));
    assert.equal(info.converged, false);
    for (const f of ['items.csv', 'models.csv', 'fit.json']) assert.doesNotMatch(fs.readFileSync(path.join(dir, 'fit', f), 'utf8'), /NaN|Infinity/);
  });

  test('holdout: log-loss, accuracy and AUC on hidden responses', async () => {
    const sim = simulate({ models: 600, items: 80, model: '2pl', missing: 0.1, seed: 12 });
    const fit = await fitIrt(sim.matrix, { model: '2pl', method: 'mml', holdout: 0.1, seed: 3 });
    const h = fit.info.holdout!;
    assert.ok(h.n > 3000 && h.n < 5600, `hidden ${h.n}`);
    assert.ok(h.auc > 0.75 && h.auc <= 1, `AUC ${h.auc}`);
    assert.ok(h.logloss > 0.3 && h.logloss < 0.6, `log-loss ${h.logloss}`);
    assert.ok(h.accuracy > 0.65);
    assert.equal(fit.info.n_responses + h.n, byModel(sim.matrix).index.length);
  });

  test('3PL: estimated c with its prior, or fixed with --guessing', async () => {
    const sim = simulate({ models: 1500, items: 40, model: '3pl', missing: 0, seed: 6 });
    const free = await fitIrt(sim.matrix, { model: '3pl', method: 'mml' });
    assert.ok(free.items.c.every((c) => c > 0 && c < 0.5));
    assert.ok(corr(free.items.b, sim.params.b) > 0.95);
    const fixed = await fitIrt(sim.matrix, { model: '3pl', method: 'mml', guessing: 0.2 });
    assert.ok(fixed.items.c.every((c) => Math.abs(c - 0.2) < 1e-12));
  });
});

describe('bad options', () => {
  const dir = tmpDir();
  const sim = path.join(dir, 'sim.csv');
  cli(['simulate', '--models', '50', '--items', '10', '--seed', '1', '--out', sim]);
  const bad = (args: string[], re: RegExp) => {
    const r = cli(['fit', sim, '--out', path.join(dir, 'x'), ...args]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  };
  test('--guessing with 2pl', () => bad(['--model', '2pl', '--guessing', '0.25'], /--guessing goes with --model 3pl/));
  test('--holdout 1.5', () => bad(['--holdout', '1.5'], /--holdout 1.5 is not a share in \(0, 1\)/));
  test('a matrix too small to identify the model', async () => {
    const r = cli(['fit', path.join(dir, 'tiny.csv'), '--out', path.join(dir, 'y')]);
    assert.equal(r.code, 2);
    fs.writeFileSync(path.join(dir, 'tiny.csv'), 'model,item,correct\na,x,1\n');
    const t = cli(['fit', path.join(dir, 'tiny.csv'), '--out', path.join(dir, 'y')]);
    assert.equal(t.code, 2);
    assert.match(t.stderr, /too small to identify/);
  });
});

describe('simulate command', () => {
  test('simulate writes the truth beside the responses, the same for the same seed', () => {
    const dir = tmpDir();
    cli(['simulate', '--models', '20', '--items', '5', '--seed', '9', '--out', path.join(dir, 'a.jsonl')]);
    cli(['simulate', '--models', '20', '--items', '5', '--seed', '9', '--out', path.join(dir, 'b.jsonl')]);
    assert.equal(fs.readFileSync(path.join(dir, 'a.jsonl'), 'utf8'), fs.readFileSync(path.join(dir, 'b.jsonl'), 'utf8'));
    assert.match(fs.readFileSync(path.join(dir, 'a.truth-items.csv'), 'utf8'), /^item,b,a,c\n/);
    assert.ok(fs.existsSync(path.join(dir, 'a.truth-models.csv')));
  });
});
