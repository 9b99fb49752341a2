import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { makeBins } from '../src/difficulty/bins.js';
import { kendallTauB, spearman } from '../src/difficulty/rank.js';
import { stability } from '../src/difficulty/stability.js';
import { simulate } from '../src/irt/simulate.js';
import { subsetMatrix } from '../src/responses/matrix.js';
import { cli, hasShared, SHARED, tmpDir, write } from './support/fixtures.js';

const items = Array.from({ length: 103 }, (_, i) => `q${i}`);
const diff = Float64Array.from(items, (_, i) => Math.sin(i * 7.3) * 3);

describe('bins', () => {
  test('equal-size quantile bins (sizes differ by at most one), bin 0 the easiest', () => {
    const rows = makeBins({ item: items, difficulty: diff }, { k: 10 });
    const sizes = Array.from({ length: 10 }, (_, b) => rows.filter((r) => r.bin === b).length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `sizes ${sizes}`);
    for (let b = 1; b < 10; b++) {
      const prevMax = Math.max(...rows.filter((r) => r.bin === b - 1).map((r) => r.difficulty));
      const min = Math.min(...rows.filter((r) => r.bin === b).map((r) => r.difficulty));
      assert.ok(prevMax <= min, `bin ${b - 1} ends below bin ${b}`);
    }
  });

  test('ties are broken by item id, the same whatever the input order', () => {
    const flat = new Float64Array(items.length).fill(0.5);
    const a = makeBins({ item: items, difficulty: flat }, { k: 4 });
    const revItems = items.slice().reverse();
    const b = makeBins({ item: revItems, difficulty: flat }, { k: 4 });
    const byId = (rows: typeof a) => Object.fromEntries(rows.map((r) => [r.item, `${r.bin}${r.split}`]));
    assert.deepEqual(byId(a), byId(b));
    assert.equal(a.find((r) => r.item === 'q0')!.bin, 0);
    assert.equal(a.find((r) => r.item === 'q102')!.bin, 3);
  });

  test('test splits: seeded, deterministic, disjoint from train and covering each bin', () => {
    const a = makeBins({ item: items, difficulty: diff }, { k: 5, testFraction: 0.2, seed: 7 });
    const b = makeBins({ item: items, difficulty: diff }, { k: 5, testFraction: 0.2, seed: 7 });
    const c = makeBins({ item: items, difficulty: diff }, { k: 5, testFraction: 0.2, seed: 8 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.map((r) => r.split), c.map((r) => r.split));
    for (let bin = 0; bin < 5; bin++) {
      const inBin = a.filter((r) => r.bin === bin);
      const test = inBin.filter((r) => r.split === 'test').length;
      assert.equal(test + inBin.filter((r) => r.split === 'train').length, inBin.length);
      assert.equal(test, Math.round(0.2 * inBin.length));
    }
  });

  test('width bins and user edges; items everyone got right or wrong go to the ends', () => {
    const tier = Int8Array.from(items, (_, i) => (i === 0 ? 1 : i === 1 ? -1 : 0));
    const d = Float64Array.from(diff);
    d[0] = -5; // everyone got it wrong, yet a prior left its b low
    d[1] = 5;
    const w = makeBins({ item: items, difficulty: d, tier }, { k: 4, by: 'width' });
    assert.equal(w[0].bin, 3);
    assert.equal(w[1].bin, 0);
    const e = makeBins({ item: items, difficulty: diff }, { edges: [-1, 0, 1] });
    for (const r of e) assert.equal(r.bin, [-1, 0, 1].filter((x) => r.difficulty >= x).length);
  });

  test('groups are binned separately', () => {
    const rows = makeBins({ item: items, difficulty: diff }, { k: 3, groupOf: (id) => (Number(id.slice(1)) % 2 ? 'odd' : 'even') });
    for (const g of ['odd', 'even']) {
      const sizes = [0, 1, 2].map((b) => rows.filter((r) => r.group === g && r.bin === b).length);
      assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1);
    }
  });

  test('bad input: K larger than the items, a fraction outside (0, 1); the library names its own options', () => {
    assert.throws(() => makeBins({ item: items.slice(0, 5), difficulty: diff.slice(0, 5) }, { k: 6 }), /^GradusError: `k` 6 is larger than the 5 items/);
    assert.throws(() => makeBins({ item: items, difficulty: diff }, { testFraction: 1 }), /`testFraction` 1 is not a share in \(0, 1\)/);
    assert.throws(() => makeBins({ item: items, difficulty: diff }, { testFraction: 0 }), /not a share/);
  });
});

describe('rank statistics', () => {
  test('Spearman and Kendall tau-b with ties match scipy', () => {
    const x = [1, 2, 2, 3, 3, 3, 4, 5];
    const y = [2, 1, 3, 3, 5, 4, 4, 6];
    // scipy.stats.spearmanr / kendalltau (tau-b) on these
    assert.ok(Math.abs(spearman(x, y) - 0.8386549236063445) < 1e-12, `${spearman(x, y)}`);
    assert.ok(Math.abs(kendallTauB(x, y) - 0.7205766921228922) < 1e-12, `${kendallTauB(x, y)}`);
    assert.equal(kendallTauB([1, 2, 3], [3, 2, 1]), -1);
  });
});

describe('stability', () => {
  test('close to 1 with many models, clearly lower with few', async () => {
    const sim = simulate({ models: 1500, items: 40, model: 'rasch', seed: 4 });
    const big = await stability(sim.matrix, { bootstrap: 20, k: 4, seed: 1 });
    const few = subsetMatrix(sim.matrix, Int32Array.from({ length: 25 }, (_, j) => j), Int32Array.from({ length: 40 }, (_, i) => i));
    const small = await stability(few, { bootstrap: 20, k: 4, seed: 1 });
    assert.ok(big.spearman.median > 0.97, `big ${big.spearman.median}`);
    assert.ok(small.spearman.median < big.spearman.median - 0.05, `small ${small.spearman.median}`);
    assert.ok(big.meanSameBin > small.meanSameBin + 0.1, `${big.meanSameBin} vs ${small.meanSameBin}`);
  });
});

describe('commands: fit → bins → split, agree', () => {
  // one fit that every test reads and none writes to; each test writes its own files
  const dir = tmpDir();
  const sim = path.join(dir, 'sim.csv');
  cli(['simulate', '--models', '300', '--items', '50', '--model', 'rasch', '--seed', '3', '--out', sim]);
  cli(['fit', sim, '--model', 'rasch', '--out', path.join(dir, 'fit')]);

  test('bins writes item,difficulty,bin,split and a sidecar of how it was made', () => {
    const out = tmpDir();
    const r = cli(['bins', path.join(dir, 'fit'), '--k', '5', '--seed', '2', '--out', path.join(out, 'bins.csv')]);
    assert.equal(r.code, 0, r.stderr);
    const lines = fs.readFileSync(path.join(out, 'bins.csv'), 'utf8').trim().split('\n');
    assert.equal(lines[0], 'item,difficulty,bin,split');
    assert.equal(lines.length, 51);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'bins.csv.json'), 'utf8')).seed, 2);
    const bad = cli(['bins', path.join(dir, 'fit'), '--k', '60', '--out', path.join(out, 'x.csv')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--k 60 is larger than the 50 items/);
  });

  test('split keeps every field, adds difficulty/bin/split, reports unknown and missing items', () => {
    const own = tmpDir();
    assert.equal(cli(['bins', path.join(dir, 'fit'), '--k', '5', '--seed', '2', '--out', path.join(own, 'bins.csv')]).code, 0);
    const lines = Array.from({ length: 49 }, (_, i) => JSON.stringify({ id: `item${String(i + 1).padStart(3, '0')}`, prompt: `what is ${i}+1? "quoted" $(touch /tmp/x) \`id\``, answer: String(i + 1) }));
    lines.push(JSON.stringify({ id: 'stranger', prompt: 'not binned' }));
    const itemsFile = write(own, 'items.jsonl', lines.join('\n') + '\n');
    const r = cli(['split', itemsFile, '--bins', path.join(own, 'bins.csv'), '--out', path.join(own, 'split')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /1 item\(s\) in .* are not in the bins/);
    assert.match(r.stderr, /1 binned item\(s\) are missing/);
    const manifest = JSON.parse(fs.readFileSync(path.join(own, 'split', 'manifest.json'), 'utf8'));
    assert.deepEqual(manifest.unknown_items, ['stranger']);
    assert.deepEqual(manifest.missing_items, ['item050']);
    assert.equal(manifest.bins.length, 5);
    assert.equal(manifest.made_by.seed, 2);
    const first = fs.readFileSync(path.join(own, 'split', 'bin-00', 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(first.length > 0);
    for (const o of first) {
      assert.equal(o.bin, 0);
      assert.equal(o.split, 'train');
      assert.match(o.prompt, /"quoted" \$\(touch \/tmp\/x\) `id`/);
      assert.equal(typeof o.difficulty, 'number');
    }
    const total = manifest.bins.reduce((s: number, b: { train: number; test: number }) => s + b.train + b.test, 0);
    assert.equal(total, 49);
  });

  test('agree: a label that follows the truth agrees strongly; bad label and order are clear errors', () => {
    const truth = fs.readFileSync(path.join(dir, 'sim.truth-items.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const lab = (b: number) => (b < -0.5 ? 'easy' : b < 0.5 ? 'medium' : 'hard');
    const own = tmpDir();
    const itemsCsv = write(own, 'labels.csv', 'item,level\n' + truth.map(([id, b]) => `${id},${lab(Number(b))}`).join('\n') + '\n');
    const r = cli(['agree', path.join(dir, 'fit'), '--items', itemsCsv, '--label', 'level', '--bootstrap', '200', '--k', '5', '--out', path.join(own, 'agree.json')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^50 items with a "level" label, ordered easy < medium < hard/);
    const j = JSON.parse(fs.readFileSync(path.join(own, 'agree.json'), 'utf8'));
    assert.deepEqual(j.order, ['easy', 'medium', 'hard']);
    assert.ok(j.b.spearman.estimate > 0.7, `rho ${j.b.spearman.estimate}`);
    assert.ok(j.b.spearman.ci_low < j.b.spearman.estimate && j.b.spearman.estimate < j.b.spearman.ci_high);
    assert.equal(j.per_label.reduce((s: number, p: { count: number }) => s + p.count, 0), 50);
    const noCol = cli(['agree', path.join(dir, 'fit'), '--items', itemsCsv, '--label', 'grade']);
    assert.equal(noCol.code, 2);
    assert.match(noCol.stderr, /--label "grade" is not a column of the items file/);
    const badOrder = cli(['agree', path.join(dir, 'fit'), '--items', itemsCsv, '--label', 'level', '--order', 'easy,medium,expert']);
    assert.equal(badOrder.code, 2);
    assert.match(badOrder.stderr, /--order names "expert", which no item carries/);
  });
});

describe('agreement on ChemBench', { skip: hasShared ? false : 'no ../shared/data' }, () => {
  test('human labels agree only weakly with model-based difficulty', () => {
    const dir = tmpDir();
    assert.equal(cli(['fit', path.join(SHARED, 'chembench/chembench.responses.csv'), '--model', 'rasch', '--out', path.join(dir, 'fit')]).code, 0);
    const r = cli(['agree', path.join(dir, 'fit'), '--items', path.join(SHARED, 'chembench/chembench.items.csv'), '--label', 'human_difficulty', '--order', 'easy,intermediate,hard', '--bootstrap', '200', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.equal(j.n_items, 2854);
    assert.deepEqual(j.per_label.map((p: { count: number }) => p.count), [859, 1973, 22]);
    assert.ok(j.b.spearman.estimate > 0 && j.b.spearman.estimate < 0.5, `weak: ${j.b.spearman.estimate}`);
  });
});
