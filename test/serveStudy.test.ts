/**
 * Multiple choice scored by log-likelihood, as lm-evaluation-harness scores it on vLLM: the study's OpenAI
 * evaluator asks `gradus serve` (a real process) for echoed prompt log-probabilities, picks the best choice, and
 * gets the accuracy that scoring the same choices in-process gives. acc_norm divides by the choice's length in
 * characters, as lm-eval defines it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { tmpDir, write, cliAsync } from './support/fixtures.js';
import { startServe } from './support/serveChild.js';
import { generateItems } from '../src/tasks/families.js';
import { trainCheckpoint, loadCheckpoint } from '../src/tinylm/api.js';
import { liveModel } from '../src/tinylm/runtime.js';
import { continuationLogLikelihoods } from '../src/tinylm/logprobs.js';
import { pickChoice, windowLogLikelihood } from '../src/evaluators/loglikelihood.js';
import { rng } from '../src/util/rng.js';

const dir = tmpDir('gradus-mc-');
const ck = path.join(dir, 'ck');
const xs = generateItems('sort', 300, 4, 3);
await trainCheckpoint(xs.slice(60), { out: ck, steps: 100, lr: 3e-3, seed: 2, arch: { d: 32, maxLen: 24 } });
const server = await startServe(ck, 'tiny');
after(() => server.stop());

// four choices per item: the sorted string, the prompt's own letters, the reverse, one letter changed
const r = rng(7);
const mc = xs.slice(0, 60).map((x) => {
  const letters = x.prompt.slice(5);
  const changed = x.answer.slice(0, -1) + (x.answer.endsWith('j') ? 'a' : 'j');
  const wrong = [...new Set([letters, [...x.answer].reverse().join(''), changed].filter((c) => c !== x.answer))];
  const choices = [x.answer, ...wrong];
  for (let k = choices.length - 1; k > 0; k--) {
    const j = r.int(k + 1);
    [choices[k], choices[j]] = [choices[j], choices[k]];
  }
  return { id: x.id, prompt: x.prompt, choices, answer: choices.indexOf(x.answer) };
});

test('a study scores multiple choice by log-likelihood through gradus serve with the in-process accuracy', async () => {
  write(dir, 'items.jsonl', mc.map((x) => JSON.stringify(x)).join('\n') + '\n');
  write(dir, 'bins.csv', 'item,difficulty,bin,split\n' + mc.map((x, k) => `${x.id},${k},${k < 30 ? 0 : 1},${k % 2 ? 'test' : 'train'}`).join('\n') + '\n');
  const cfg = write(dir, 'study.yaml', `data: { items: items.jsonl, bins: bins.csv }
strategies: [{ name: each-bin, bins: [0] }]
test_on: all
base_model: ck
learner: { kind: none }
evaluator:
  kind: openai
  base_url: ${server.url}
  model: tiny
  endpoint: completions
  answer: { kind: loglikelihood, normalize: none, delimiter: "<|sep|>" }
  concurrency: 8
bootstrap: 20
`);
  const s = await cliAsync(['study', cfg, '--out', path.join(dir, 'out')], { cwd: dir });
  assert.equal(s.code, 0, s.stderr);
  const evals = fs.readFileSync(path.join(dir, 'out/cells/baseline/eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; correct: boolean; extracted: string; loglikelihoods: number[] });
  assert.equal(evals.length, mc.length);
  const m = await liveModel(loadCheckpoint(ck));
  try {
    let agree = 0;
    let right = 0;
    for (const x of mc) {
      const e = evals.find((v) => v.id === x.id)!;
      const local = (await continuationLogLikelihoods(m, x.choices.map((c) => ({ context: x.prompt, continuation: c })))).map((v) => v.logLikelihood);
      // the served sums also hold log p(SEP | prompt), the same for every choice of an item
      const shift = e.loglikelihoods.map((ll, k) => ll - local[k]);
      assert.ok(shift.every((d) => Math.abs(d - shift[0]) < 1e-4), `${x.id}: ${shift}`);
      const pick = pickChoice(local, x.choices, 'none');
      if (pick === x.answer) right++;
      if ((pick === x.answer) === e.correct) agree++;
    }
    assert.equal(agree, mc.length);
    const served = evals.filter((e) => e.correct).length;
    assert.equal(served, right);
    // a model that trained on sorting beats chance (1 in 4) by far
    assert.ok(right / mc.length > 0.5, `accuracy ${right / mc.length}`);
  } finally {
    m.dispose();
  }
});

test('acc_norm and acc_bytes divide by the choice\'s characters and UTF-8 bytes; a continuation with no echoed tokens is refused', () => {
  assert.equal(pickChoice([-4, -6], ['ab', 'abcd'], 'none'), 0);
  assert.equal(pickChoice([-4, -6], ['ab', 'abcd'], 'length'), 1);
  // "é" is one character and two bytes
  assert.equal(pickChoice([-5, -5], ['ééé', 'abcd'], 'length'), 1);
  assert.equal(pickChoice([-5, -5], ['ééé', 'abcd'], 'bytes'), 0);
  const lp = { tokens: ['a', 'b', 'c', 'd'], token_logprobs: [null, -1, -2, -4], text_offset: [0, 1, 2, 3] };
  assert.equal(windowLogLikelihood(lp, 2, 4), -6);
  assert.throws(() => windowLogLikelihood(lp, 4, 4), /no token of the continuation/);
  assert.throws(() => windowLogLikelihood({ tokens: ['a'] }, 0, 1), /no logprobs/);
});
