import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingSets, apportion, trainBinsLabel } from '../src/study/strategies.js';
import { score, extractChoice, extractNumber } from '../src/evaluators/extract.js';
import { analyze } from '../src/study/analysis.js';
import { renderPrompt } from '../src/evaluators/openai.js';
import { fill, fillArgv } from '../src/util/template.js';
import { progressFor } from '../src/util/progress.js';
import type { BinItems } from '../src/study/items.js';
import type { StudyItem } from '../src/plugins/contract.js';

function bins(k: number, nTrain: number): BinItems[] {
  const item = (b: number, n: number, split: 'train' | 'test'): StudyItem => ({ id: `${split}${b}-${n}`, bin: b, split, prompt: 'p', answer: 'a', fields: {} });
  return Array.from({ length: k }, (_, b) => ({ bin: b, train: Array.from({ length: nTrain + b }, (_, n) => item(b, n, 'train')), test: [item(b, 0, 'test')] }));
}

test('strategies: sizes, bins and order of every training set', () => {
  const B = bins(10, 20);
  const each = trainingSets(B, 'each-bin', 1);
  assert.equal(each.length, 10);
  each.forEach((s, b) => {
    assert.deepEqual(s.trainBins, [b]);
    assert.equal(s.items.length, 20 + b);
    assert.ok(s.items.every((x) => x.bin === b));
  });
  assert.equal(trainingSets(B, 'each-bin', 1, 5)[3].items.length, 5);
  assert.deepEqual(trainingSets(B, { name: 'each-bin', bins: [0, 9] }, 1).map((s) => s.trainBins[0]), [0, 9]);
  const easy = trainingSets(B, 'easy', 1)[0];
  assert.deepEqual(easy.trainBins, [0, 1, 2]);
  assert.equal(easy.items.length, 20 + 21 + 22);
  assert.deepEqual(trainingSets(B, { name: 'hard', bins: 2 }, 1)[0].trainBins, [8, 9]);
  const median = 24; // sizes 20..29, lower median
  const random = trainingSets(B, 'random', 1)[0];
  assert.equal(random.items.length, median);
  assert.equal(new Set(random.items.map((x) => x.id)).size, median);
  const normal = trainingSets(B, 'normal', 1)[0];
  assert.equal(normal.items.length, median);
  const perBin = Array.from({ length: 10 }, (_, b) => normal.items.filter((x) => x.bin === b).length);
  assert.ok(perBin[4] + perBin[5] > perBin[0] + perBin[9], `normal mixture ${perBin}`);
  const e2h = trainingSets(B, 'easy-to-hard', 1, 50)[0];
  assert.equal(e2h.items.length, 50);
  assert.ok(e2h.ordered);
  assert.deepEqual(e2h.items.map((x) => x.bin), [...e2h.items.map((x) => x.bin)].sort((a, b) => a - b));
  assert.ok(new Set(e2h.items.map((x) => x.bin)).size === 10, 'the cap keeps every bin');
  const h2e = trainingSets(B, 'hard-to-easy', 1)[0];
  assert.equal(h2e.items[0].bin, 9);
  assert.equal(h2e.items[h2e.items.length - 1].bin, 0);
  const spiral = trainingSets(B, { name: 'spiral', rounds: 2 }, 1)[0].items.map((x) => x.bin);
  const turn = spiral.findIndex((b, k) => k > 0 && b < spiral[k - 1]);
  assert.ok(turn > 0 && spiral.slice(0, turn).every((b, k, xs) => k === 0 || b >= xs[k - 1]), 'first pass climbs');
  assert.equal(spiral[turn], 0);
  // the same seed gives the same items, another seed other items
  assert.deepEqual(trainingSets(B, 'random', 7)[0].items, trainingSets(B, 'random', 7)[0].items);
  assert.notDeepEqual(trainingSets(B, 'random', 7)[0].items, trainingSets(B, 'random', 8)[0].items);
  assert.throws(() => trainingSets(B, { name: 'each-bin', bins: [12] }, 1), /names bin 12, but the study has 10 bins/);
});

test('apportion and labels', () => {
  assert.equal(apportion([1, 1, 1], 10, [10, 10, 10]).reduce((a, b) => a + b), 10);
  assert.deepEqual(apportion([1, 100, 1], 10, [10, 3, 10]), [4, 3, 3]);
  assert.deepEqual(apportion([1, 1], 100, [3, 4]), [3, 4]);
  assert.equal(trainBinsLabel([3]), '3');
  assert.equal(trainBinsLabel([0, 1, 2]), '0-2');
  assert.equal(trainBinsLabel([0, 4, 9]), '0;4;9');
});

test('answer extraction by kind', () => {
  assert.equal(extractChoice('The answer is (C).'), 'C');
  assert.equal(extractChoice('B) because ...'), 'B');
  assert.equal(extractChoice('Answer: d'), 'D');
  assert.equal(extractChoice('I think it is A, not B'), 'A');
  assert.equal(extractChoice('nothing here'), null);
  assert.ok(score('Answer: B', '1', { kind: 'choice', ignore_case: false }, ['x', 'y', 'z']).correct);
  assert.ok(score('Answer: B', 'y', { kind: 'choice', ignore_case: false }, ['x', 'y', 'z']).correct);
  assert.ok(!score('Answer: C', 'B', { kind: 'choice', ignore_case: false }).correct);
  assert.equal(extractNumber('so 3 + 4 = 7, and the total is 1,234.5 dollars'), '1234.5');
  assert.equal(extractNumber('Natalia sold 48/2 = 24 clips.\n#### 72'), '72');
  assert.ok(score('The answer is 72.', 'Step... #### 72', { kind: 'number', ignore_case: false }).correct);
  assert.ok(!score('The answer is 73', '72', { kind: 'number', ignore_case: false }).correct);
  assert.ok(score('  Paris ', 'paris', { kind: 'exact', ignore_case: true }).correct);
  assert.ok(!score('Paris', 'paris', { kind: 'exact', ignore_case: false }).correct);
  const rx = score('Reasoning... Final: blue.', 'Blue', { kind: 'regex', pattern: 'Final: (\\w+)', ignore_case: true });
  assert.deepEqual(rx, { extracted: 'blue', correct: true });
  assert.throws(() => score('x', 'no number', { kind: 'number', ignore_case: false }), /holds no number/);
});

test('prompts and argv templates: item text is never re-expanded, unknown placeholders are errors', () => {
  const item: StudyItem = { id: '1', bin: 0, split: 'test', prompt: 'What is {answer}? $(rm -rf /)', answer: '4', choices: ['3', '4'], fields: { subject: 'math' } };
  assert.equal(renderPrompt('[{subject}] {prompt}\n{choices}\nAnswer:', item), '[math] What is {answer}? $(rm -rf /)\nA. 3\nB. 4\nAnswer:');
  assert.deepEqual(fillArgv(['--data', '{train_file}', 'x{seed}y'], { train_file: 'a b; c', seed: 3 }, 'learner.command'), ['--data', 'a b; c', 'x3y']);
  assert.throws(() => fill('{nope}', { seed: 1 }, 'learner.command[2]'), /learner\.command\[2\] names \{nope\}.*Known placeholders: \{seed\}/);
});

test('analysis: gains, the distance curve and asymmetry match hand computation; intervals cover the point', () => {
  const testItems = [['a0', 'a1', 'a2', 'a3'], ['b0', 'b1', 'b2', 'b3']];
  const m = (xs: Record<string, number>) => new Map(Object.entries(xs).map(([k, v]) => [k, v === 1]));
  const baseline = m({ a0: 1, a1: 0, a2: 0, a3: 0, b0: 0, b1: 0, b2: 0, b3: 0 });
  const cells = [
    { strategy: 'each-bin', trainBins: [0], trainLabel: '0', seed: 1, correct: m({ a0: 1, a1: 1, a2: 1, a3: 0, b0: 1, b1: 0, b2: 0, b3: 0 }) },
    { strategy: 'each-bin', trainBins: [0], trainLabel: '0', seed: 2, correct: m({ a0: 1, a1: 1, a2: 1, a3: 1, b0: 0, b1: 0, b2: 0, b3: 0 }) },
    { strategy: 'each-bin', trainBins: [1], trainLabel: '1', seed: 1, correct: m({ a0: 1, a1: 0, a2: 0, a3: 0, b0: 1, b1: 1, b2: 1, b3: 0 }) },
  ];
  const { rows, analysis } = analyze({ testItems, baseline, cells, reps: 500 });
  assert.equal(rows.length, 6);
  const g = analysis.gain_matrix!.gain;
  assert.ok(Math.abs(g[0][0]! - ((0.75 + 1) / 2 - 0.25)) < 1e-12);
  assert.ok(Math.abs(g[0][1]! - 0.125) < 1e-12);
  assert.ok(Math.abs(g[1][0]! - 0) < 1e-12);
  assert.ok(Math.abs(g[1][1]! - 0.75) < 1e-12);
  const d0 = analysis.by_distance[0];
  assert.ok(Math.abs(d0.mean! - (0.625 + 0.75) / 2) < 1e-12);
  assert.ok(d0.ci_low! <= d0.mean! && d0.mean! <= d0.ci_high!);
  assert.ok(Math.abs(analysis.by_distance[1].mean! - 0.0625) < 1e-12);
  assert.ok(Math.abs(analysis.asymmetry!.harder.mean! - 0.125) < 1e-12);
  assert.ok(Math.abs(analysis.asymmetry!.easier.mean! - 0) < 1e-12);
  assert.equal(analysis.headline.farthest_distance, 1);
  // deterministic
  assert.deepEqual(analyze({ testItems, baseline, cells, reps: 500 }), analyze({ testItems, baseline, cells, reps: 500 }));
});

test('progress: a redrawn bar on a terminal, plain lines otherwise, only failures when quiet', () => {
  const sink = (isTTY: boolean) => {
    const s = { isTTY, text: '', write(x: string) { s.text += x; return true; } };
    return s;
  };
  const run = (p: ReturnType<typeof progressFor>) => {
    p.start(4, 1);
    p.cellStarted('a');
    p.cellStarted('b');
    p.cellDone('a', 1.5);
    p.cellFailed('b', 'exited with code 3', '/x/train.log');
    p.end();
  };
  const tty = sink(true);
  run(progressFor(tty));
  assert.match(tty.text, /\r\x1b\[2K\[#+-+\] 2\/4 done · 1 running · 0 failed/);
  assert.match(tty.text, /resuming: 1 of 4 cells already done, 3 to run/);
  assert.match(tty.text, /FAILED b: exited with code 3 \(log: \/x\/train\.log\)\n/);
  assert.match(tty.text, /\] 2\/4 done · 0 running · 1 failed · ETA \d+ s/);
  const log = sink(false);
  run(progressFor(log));
  assert.ok(!log.text.includes('\r') && !log.text.includes('\x1b'));
  assert.match(log.text, /start  a\nstart  b\ndone   a \(1\.5 s\) \[2\/4\]\nFAILED b/);
  const quiet = sink(true);
  run(progressFor(quiet, true));
  assert.equal(quiet.text, 'FAILED b: exited with code 3 (log: /x/train.log)\n');
});

test('a plugin registers its kind, schema and constructor; the registry parses a config block and builds the kind it names', async () => {
  const { z } = await import('zod');
  const { definePlugin, registry } = await import('../src/plugins/registry.js');
  const echo = definePlugin(z.object({ kind: z.literal('echo'), text: z.string().default('hi') }).strict(), (cfg) => `echo ${cfg.text}`);
  const twice = definePlugin(z.object({ kind: z.literal('twice'), n: z.number() }).strict(), (cfg) => 2 * cfg.n);
  const r = registry([echo, twice]);
  assert.deepEqual(r.kinds, ['echo', 'twice']);
  assert.equal(r.create(r.schema.parse({ kind: 'echo' })), 'echo hi');
  assert.equal(r.create(r.schema.parse({ kind: 'twice', n: 4 })), 8);
  assert.equal(r.schema.safeParse({ kind: 'thrice' }).success, false);
  assert.equal(r.schema.safeParse({ kind: 'twice', n: 1, extra: true }).success, false);
  assert.throws(() => registry([echo, echo]), /two plugins share a kind/);
  // the study's own registries: every kind README lists, and nothing else
  const { learners } = await import('../src/learners/index.js');
  const { evaluators } = await import('../src/evaluators/index.js');
  assert.deepEqual(learners.kinds, ['command', 'builtin', 'none']);
  assert.deepEqual(evaluators.kinds, ['openai', 'command', 'builtin']);
  const none = learners.create(learners.schema.parse({ kind: 'none', model: 'ckpt/{cell}' }));
  assert.equal(none.train, undefined);
  assert.equal(none.modelElsewhere?.({ cell: 'each-bin_b2_s1' }), 'ckpt/each-bin_b2_s1');
  assert.equal(learners.create(learners.schema.parse({ kind: 'builtin' }))?.keepsOrder, true);
  assert.equal(learners.create(learners.schema.parse({ kind: 'command', command: ['t'], keeps_order: false }))?.keepsOrder, false);
  assert.equal(evaluators.create(evaluators.schema.parse({ kind: 'openai', base_url: 'http://127.0.0.1:1/v1', server: { command: ['s'] } })).concurrent, false);
});

test('the study folder reader types grid.csv and analysis.json, and names the file and line of a bad cell', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { tmpDir, write } = await import('./support/fixtures.js');
  const { StudyStore, readStudyResults } = await import('../src/study/store.js');
  const dir = tmpDir('gradus-store-');
  assert.equal(readStudyResults(dir), null);
  const { rows, analysis } = analyze({ testItems: [['a', 'b'], ['c']], baseline: new Map([['a', false], ['b', true], ['c', false]]), cells: [{ strategy: 'each-bin', trainBins: [0], trainLabel: '0', seed: 1, correct: new Map([['a', true], ['b', true], ['c', false]]) }], reps: 10, seed: 1 });
  const store = new StudyStore(dir);
  store.writeGrid(rows);
  store.writeAnalysis({ ...analysis, test_on: 'test', cells_finished: 2, cells_planned: 2 });
  const back = readStudyResults(dir)!;
  assert.deepEqual(back.grid, rows);
  assert.equal(back.analysis.cells_planned, 2);
  assert.deepEqual(back.analysis.headline, analysis.headline);
  // cell files: done only with the planned key, failures and jobs read back
  const cell = { id: 'each-bin_b0_s1', key: 'k1' };
  assert.equal(store.isDone(cell), false);
  store.startCell(cell.id);
  store.writeResult({ id: cell.id, key: 'k1', strategy: 'each-bin', train_bins: '0', seed: 1, n_train: 2, model_path: 'm', seconds: 1, finished: 'now', per_bin: [] });
  assert.equal(store.isDone(cell), true);
  assert.equal(store.isDone({ ...cell, key: 'k2' }), false);
  store.writeJob(cell.id, { job_id: '7', attempt: 0, submitted: 'now', script: 's', log: 'l' });
  assert.deepEqual(store.jobs().map((j) => [j.cell, j.job.job_id]), [[cell.id, '7']]);
  store.recordFailure(cell, 'boom');
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'cells', cell.id, 'failed.json'), 'utf8')).error, 'boom');
  store.startCell(cell.id);
  assert.equal(fs.existsSync(path.join(dir, 'cells', cell.id, 'failed.json')), false);
  // a damaged grid: the message names the file, line and column
  const text = fs.readFileSync(path.join(dir, 'grid.csv'), 'utf8').split('\n');
  text[2] = text[2].replace(/^(each-bin,0,1,)1,/, '$1one,');
  write(dir, 'grid.csv', text.join('\n'));
  assert.throws(() => readStudyResults(dir), /grid\.csv, line 3, column test_bin: "one" is not a number/);
});

test('the study side loads no CLI module and not commander: the library entry points of study, report, demo and tinylm', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  const { spawnSync } = await import('node:child_process');
  const { ROOT, tmpDir, write } = await import('./support/fixtures.js');
  const dir = tmpDir('gradus-loads-');
  // module hooks see every module an ES import resolves, including those of the packages
  write(dir, 'hooks.mjs', `import fs from 'node:fs';\nexport async function resolve(spec, ctx, next) { const r = await next(spec, ctx); fs.appendFileSync(process.env.LOAD_LOG, r.url + '\\n'); return r; }\n`);
  write(dir, 'register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + path.join(dir, 'hooks.mjs'))});\n`);
  const loads = (name: string, code: string): string[] => {
    const log = path.join(dir, `${name}.log`);
    const r = spawnSync(process.execPath, ['--import', path.join(dir, 'register.mjs'), '--input-type=module', '-e', code], { cwd: ROOT, env: { ...process.env, LOAD_LOG: log }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return fs.readFileSync(log, 'utf8').trim().split('\n');
  };
  const entries = ['study/runner.js', 'study/store.js', 'study/executor/slurm.js', 'report/report.js', 'demo/demo.js', 'tinylm/api.js', 'tinylm/zoo.js', 'tinylm/serve.js', 'tinylm/answerFile.js', 'learners/index.js', 'evaluators/index.js', 'plugins/registry.js', 'tasks/write.js'];
  const lib = loads('lib', entries.map((e) => `await import('./dist/src/${e}');`).join(' '));
  for (const e of entries) assert.ok(lib.some((u) => u.endsWith(`/dist/src/${e}`)), `the hooks see ${e}`);
  assert.deepEqual(lib.filter((u) => u.includes('/dist/src/cli/') || u.includes('/node_modules/commander/')), []);
  // the same hooks do see the CLI when it is loaded
  const cliLoads = loads('cli', "await import('./dist/src/cli/main.js');");
  assert.ok(cliLoads.some((u) => u.includes('/node_modules/commander/')));
});
