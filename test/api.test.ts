import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fitIrt, GradusError, makeBins, simulate } from '../src/index.js';
import { buildProgram } from '../src/cli/main.js';
import { flagName } from '../src/cli/options.js';
import { JSON_HELP } from '../src/cli/output.js';
import { cli, ROOT, tmpDir, write } from './support/fixtures.js';

/** The URLs of every module a node process loads while it runs `args` (module hooks in support/loadLog.mjs). */
function modulesLoaded(args: string[]): string[] {
  const log = path.join(tmpDir(), 'loaded.txt');
  const r = spawnSync(process.execPath, ['--import', path.join(ROOT, 'test/support/traceLoads.mjs'), ...args], { cwd: ROOT, env: { ...process.env, GRADUS_LOAD_LOG: log }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return fs.readFileSync(log, 'utf8').trim().split('\n');
}

describe('the library is the API', () => {
  test("import 'gradus' loads no CLI module and not commander", () => {
    const loaded = modulesLoaded(['--input-type=module', '-e', "const g = await import('./dist/src/index.js'); if (typeof g.fitFiles !== 'function' || typeof g.readFitFolder !== 'function') process.exit(3);"]);
    assert.ok(loaded.some((u) => u.endsWith('/dist/src/index.js')), 'the trace sees the library');
    assert.deepEqual(loaded.filter((u) => u.includes('/dist/src/cli/') || u.includes('/node_modules/commander/')), []);
    // the same trace does see the CLI when the CLI runs, so the check above can fail
    const cliLoaded = modulesLoaded(['bin/gradus.js', '--version']);
    assert.ok(cliLoaded.some((u) => u.endsWith('/dist/src/cli/main.js')));
    assert.ok(cliLoaded.some((u) => u.includes('/node_modules/commander/')));
  });

  test('the CLI starts without the heavy engines: each loads when a command that needs it runs', () => {
    const heavy = ['/node_modules/vega', '/node_modules/@tensorflow/', '/node_modules/@duckdb/', '/node_modules/@huggingface/', '/node_modules/zod/', '/node_modules/@resvg/'];
    const atStart = modulesLoaded(['bin/gradus.js', '--help']);
    assert.deepEqual(heavy.filter((h) => atStart.some((u) => u.includes(h))), []);
    // a command that reads a JSONL table does load DuckDB, so the check above can fail; CSV has its own reader
    const dir = tmpDir();
    const rows = [['m1', 'i1', 1], ['m1', 'i2', 0], ['m2', 'i1', 0], ['m2', 'i2', 1]];
    const jsonl = write(dir, 'r.jsonl', rows.map(([model, item, correct]) => JSON.stringify({ model, item, correct })).join('\n') + '\n');
    assert.ok(modulesLoaded(['bin/gradus.js', 'inspect', jsonl]).some((u) => u.includes('/node_modules/@duckdb/')));
    const csv = write(dir, 'r.csv', 'model,item,correct\n' + rows.map((r) => r.join(',')).join('\n') + '\n');
    assert.ok(!modulesLoaded(['bin/gradus.js', 'inspect', csv]).some((u) => u.includes('/node_modules/@duckdb/')));
  });

  test('every command the library backs is exported from src/index.ts', async () => {
    const g = await import('../src/index.js');
    for (const name of ['fitFiles', 'scoreMatrix', 'scoreFiles', 'simulateToFiles', 'inspectResponses', 'agreeFromFiles', 'binsFromFit', 'splitItems', 'stabilityFromFiles', 'readFitFolder', 'readBins', 'writeBins']) {
      assert.equal(typeof (g as Record<string, unknown>)[name], 'function', name);
    }
  });
});

describe('library errors name options, the CLI names flags', () => {
  const sim = simulate({ models: 60, items: 10, model: '2pl', seed: 2 });

  test('fitIrt says `guessing`; gradus fit says --guessing', async () => {
    const e = await fitIrt(sim.matrix, { model: '2pl', guessing: 0.25 }).catch((x) => x);
    assert.ok(e instanceof GradusError);
    assert.match(e.message, /^`guessing` goes with `model` 3pl, not 2pl\. Drop `guessing`, or fit `model` 3pl\.$/);
    assert.equal(e.render(flagName), '--guessing goes with --model 3pl, not 2pl. Drop --guessing, or fit --model 3pl.');
    const dir = tmpDir();
    assert.equal(cli(['simulate', '--models', '60', '--items', '10', '--seed', '2', '--out', path.join(dir, 'sim.csv')]).code, 0);
    const r = cli(['fit', path.join(dir, 'sim.csv'), '--model', '2pl', '--guessing', '0.25', '--out', path.join(dir, 'fit')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'gradus: --guessing goes with --model 3pl, not 2pl. Drop --guessing, or fit --model 3pl.\n');
  });

  test('makeBins says `testFraction`; gradus bins says --test-fraction', () => {
    assert.throws(() => makeBins({ item: ['a', 'b'], difficulty: [0, 1] }, { testFraction: 1.5 }), (e: GradusError) => {
      assert.equal(e.message, '`testFraction` 1.5 is not a share in (0, 1). Give the share of each bin held out for testing, e.g. `testFraction` 0.2.');
      assert.deepEqual(e.options, ['testFraction']);
      return true;
    });
    const dir = tmpDir();
    write(dir, 'fit/items.csv', 'item,b,p_correct\na,0,0.5\nb,1,0.4\n');
    const r = cli(['bins', path.join(dir, 'fit'), '--test-fraction', '1.5', '--out', path.join(dir, 'bins.csv')]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'gradus: --test-fraction 1.5 is not a share in (0, 1). Give the share of each bin held out for testing, e.g. --test-fraction 0.2.\n');
  });

  test('flagName: camelCase and snake_case library names become the kebab-case flags', () => {
    assert.equal(flagName('guessing'), '--guessing');
    assert.equal(flagName('maxIter'), '--max-iter');
    assert.equal(flagName('testFraction'), '--test-fraction');
    assert.equal(flagName('test_on'), '--test-on');
    // every flag a library error can name is a flag the CLI has
    const flags = new Set(buildProgram().commands.flatMap((c) => c.options.map((o) => o.long)));
    for (const name of ['guessing', 'model', 'holdout', 'k', 'testFraction', 'edges', 'on', 'group', 'items', 'order', 'label', 'missing', 'models', 'maxIter', 'threshold']) {
      assert.ok(flags.has(flagName(name)), `${name} → ${flagName(name)}`);
    }
  });
});

describe('--json means one thing in every command', () => {
  test('every --json is the same flag: no argument, one description', () => {
    const withJson = buildProgram().commands.filter((c) => c.options.some((o) => o.long === '--json'));
    assert.deepEqual(withJson.map((c) => c.name()).sort(), ['agree', 'bins', 'cat', 'collect', 'estimate', 'fit', 'inspect', 'score', 'simulate', 'split', 'stability', 'subset']);
    for (const c of withJson) {
      const o = c.options.find((x) => x.long === '--json')!;
      assert.equal(o.required || o.optional, false, `${c.name()} --json takes no value`);
      assert.equal(o.description, JSON_HELP);
    }
  });

  test('each prints one JSON document on stdout and still writes its files', () => {
    const dir = tmpDir();
    const at = (f: string) => path.join(dir, f);
    const json = (args: string[]) => {
      const r = cli([...args, '--json']);
      assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const sim = json(['simulate', '--models', '120', '--items', '20', '--model', 'rasch', '--seed', '4', '--out', at('sim.csv')]);
    assert.deepEqual(sim, { responses: at('sim.csv'), truthItems: at('sim.truth-items.csv'), truthModels: at('sim.truth-models.csv') });
    assert.ok(fs.existsSync(at('sim.truth-items.csv')));
    const fit = json(['fit', at('sim.csv'), '--out', at('fit')]);
    assert.equal(fit.n_items, 20);
    assert.equal(fit.out, at('fit'));
    assert.deepEqual(fit.n_models, JSON.parse(fs.readFileSync(at('fit/fit.json'), 'utf8')).n_models);
    const insp = json(['inspect', at('sim.csv')]);
    assert.equal(insp.models, 120);
    assert.deepEqual(insp.warnings, []);
    const score = json(['score', at('sim.csv'), '--items', at('fit'), '--out', at('abilities.csv')]);
    assert.equal(score.models.length, 120);
    assert.equal(typeof score.models[0].theta, 'number');
    assert.ok(fs.existsSync(at('abilities.csv')));
    const bins = json(['bins', at('fit'), '--k', '4', '--out', at('bins.csv')]);
    assert.deepEqual(bins.bins.map((b: { bin: number }) => b.bin), [0, 1, 2, 3]);
    assert.equal(bins.bins.reduce((s: number, b: { items: number }) => s + b.items, 0), 20);
    const items = write(dir, 'items.jsonl', Array.from({ length: 20 }, (_, i) => JSON.stringify({ id: `item${String(i + 1).padStart(3, '0')}`, level: i < 10 ? 'easy' : 'hard' })).join('\n') + '\n');
    const split = json(['split', items, '--bins', at('bins.csv'), '--out', at('split')]);
    assert.equal(split.manifest, path.join(at('split'), 'manifest.json'));
    assert.deepEqual(split.unknownItems, []);
    const agree = json(['agree', at('fit'), '--items', items, '--label', 'level', '--bootstrap', '20', '--k', '2']);
    assert.deepEqual(agree.order, ['easy', 'hard']);
    const stab = json(['stability', at('sim.csv'), '--bootstrap', '3', '--k', '2', '--out', at('stability.csv')]);
    assert.equal(stab.sameBin.length, 20);
    assert.ok(fs.existsSync(at('stability.csv')));
    const subset = json(['subset', at('fit'), '--n', '5', '--method', 'random', '--out', at('subset.csv')]);
    assert.equal(subset.items.length, 5);
    assert.ok(Math.abs(subset.items.reduce((t: number, x: { weight: number }) => t + x.weight, 0) - 1) < 1e-9);
    assert.ok(fs.existsSync(at('subset.csv')));
    const est = json(['estimate', at('fit'), at('sim.csv'), '--subset', at('subset.csv'), '--no-correction', '--out', at('estimates.csv')]);
    assert.equal(est.rows.length, 120);
    assert.equal(typeof est.rows[0].accuracy, 'number');
    assert.ok(fs.existsSync(at('estimates.csv')));
    const cat = json(['cat', at('fit'), '--replay', at('sim.csv'), '--max-items', '5', '--min-items', '1', '--no-correction', '--quiet', '--out', at('cat')]);
    assert.equal(cat.stops.length, 120);
    assert.ok(cat.stops.every((x: { n: number }) => x.n <= 5));
    assert.ok(fs.existsSync(at('cat/trajectory.csv')));
  });
});
