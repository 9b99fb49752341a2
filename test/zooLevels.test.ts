import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shareLevels } from '../src/tasks/shareLevels.js';
import { generateItems } from '../src/tasks/families.js';
import { newCheckpoint } from '../src/tinylm/api.js';
import { liveModel } from '../src/tinylm/runtime.js';
import { train } from '../src/tinylm/train.js';
import { generate } from '../src/tinylm/generate.js';
import { greedyAnswers } from '../src/tinylm/logprobs.js';

test('study items leave at least half of every level\'s distinct prompts to training, and levels too small are left out and said so', () => {
  const a = shareLevels('sort', 500, 1);
  assert.deepEqual(a, shareLevels('sort', 500, 1));
  assert.equal(a.items.length, 500);
  assert.equal(new Set(a.items.map((x) => x.prompt)).size, 500);
  // 2-letter strings over 10 letters: exactly 100 prompts, half go to the study
  assert.deepEqual(a.levels[0], { level: 1, distinct: 100, study: 50, left_out: false });
  for (const l of a.levels) {
    assert.ok(l.study <= l.distinct / 2, `level ${l.level}: ${l.study} of ${l.distinct}`);
    assert.equal(a.items.filter((x) => x.level === l.level).length, l.study);
  }
  // expressions with one operation over digits: 300 prompts; with minLevel above that, level 1 is left out
  const e = shareLevels('expr', 200, 1, { minLevel: 400 });
  assert.equal(e.levels[0].left_out, true);
  assert.equal(e.items.filter((x) => x.level === 1).length, 0);
  assert.throws(() => shareLevels('sort', 10, 1, { minLevel: 1e9 }), /too few distinct prompts for 10 study items/);
});

test('the zoo\'s one-pass check gives the same verdict as decoding greedily and comparing', async () => {
  const xs = generateItems('sort', 400, 9, 3);
  const m = await liveModel(newCheckpoint({ d: 32, maxLen: 16 }, 3));
  try {
    await train(m, xs.slice(100), { steps: 80, batch: 64, lr: 3e-3, seed: 1 });
    const held = xs.slice(0, 100);
    const outputs = await generate(m, held.map((x) => x.prompt));
    const decoded = outputs.map((o, k) => o === held[k].answer);
    const checked = await greedyAnswers(m, held);
    assert.deepEqual(checked, decoded);
    // some right and some wrong, so the comparison means something
    assert.ok(decoded.some(Boolean) && decoded.some((x) => !x), `${decoded.filter(Boolean).length} of 100 right`);
  } finally {
    m.dispose();
  }
});

test('sort-distinct strings never repeat a letter, so length is their one knob', () => {
  const xs = generateItems('sort-distinct', 700, 2);
  for (const x of xs) {
    const letters = x.prompt.slice('sort:'.length);
    assert.equal(new Set(letters).size, letters.length, x.prompt);
    assert.equal(letters.length, x.level + 1);
    assert.equal(x.answer, [...letters].sort().join(''));
  }
  assert.deepEqual(new Set(xs.map((x) => x.level)), new Set([1, 2, 3, 4, 5, 6, 7]));
  // ordered pairs of 10 different letters: exactly 90 two-letter prompts
  assert.equal(shareLevels('sort-distinct', 500, 1).levels[0].distinct, 90);
});
