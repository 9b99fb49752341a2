import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trainingSets, apportion, trainBinsLabel } from '../src/study/strategies.js';
import { score, extractChoice, extractNumber } from '../src/evaluators/extract.js';
import { analyze } from '../src/study/analysis.js';
import { renderPrompt } from '../src/evaluators/openai.js';
import { fill, fillArgv } from '../src/util/template.js';
import { progressFor } from '../src/study/progress.js';
import type { BinItems, StudyItem } from '../src/study/items.js';

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
