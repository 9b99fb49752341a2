import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { ROOT, tmpDir, write, cli, cliAsync } from './support/fixtures.js';
import { generateItems, FAMILY_NAMES } from '../src/tasks/families.js';
import { trainCheckpoint, answerPrompts, loadCheckpoint, newCheckpoint } from '../src/tinylm/api.js';
import { liveModel } from '../src/tinylm/runtime.js';
import { generate } from '../src/tinylm/generate.js';
import { train } from '../src/tinylm/train.js';
import { countParams } from '../src/tinylm/transformer.js';

test('task families: deterministic per seed, distinct prompts, correct answers, difficulty features', () => {
  for (const f of FAMILY_NAMES) {
    const a = generateItems(f, 300, 5);
    assert.deepEqual(a, generateItems(f, 300, 5));
    assert.notDeepEqual(a, generateItems(f, 300, 6));
    assert.equal(new Set(a.map((x) => x.prompt)).size, 300);
    assert.ok(new Set(a.map((x) => x.level)).size >= 3);
  }
  for (const x of generateItems('addition', 200, 1)) {
    const [p, q] = x.prompt.slice(0, -1).split('+').map((s) => Number([...s].reverse().join('')));
    assert.equal(Number([...x.answer].reverse().join('')), p + q);
    assert.equal(x.digits, x.level);
  }
  for (const x of generateItems('sort', 100, 1)) assert.equal(x.answer, [...x.prompt.slice(5)].sort().join(''));
  for (const x of generateItems('expr', 100, 1)) {
    // eslint-disable-next-line no-new-func
    const v = Function(`return ${x.prompt.slice(0, -1)}`)() as number;
    assert.equal(x.answer, String(((v % 10) + 10) % 10));
  }
  const r = cli(['tasks', 'generate', '--family', 'nope', '--n', '3', '--out', path.join(tmpDir(), 'x.jsonl')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown task family "nope".*addition, sort, sort-distinct, expr/);
});

test('the small transformer learns to sort far above chance, and a saved checkpoint answers exactly as the live model', async () => {
  const items = generateItems('sort', 1300, 3, 3); // strings of 2-4 letters
  const trainSet = items.slice(0, 1000);
  const held = items.slice(1000);
  const dir = tmpDir('gradus-learner-');
  const ck = newCheckpoint({ d: 32, maxLen: 16 }, 1);
  assert.equal(countParams(ck.config), 2 * (32 * 96 + 32 * 32 + 2 * 32 * 128 + 128 + 32 + 4 * 32) + 100 * 32 + 16 * 32 + 2 * 32);
  const m = await liveModel(ck);
  const before = await generate(m, held.map((x) => x.prompt));
  const acc0 = before.filter((o, k) => o === held[k].answer).length / held.length;
  await train(m, trainSet, { steps: 250, batch: 64, lr: 3e-3, seed: 1 });
  const after = await generate(m, held.map((x) => x.prompt));
  const acc = after.filter((o, k) => o === held[k].answer).length / held.length;
  // exact match on unseen strings: chance is ~1e-3 for 2 letters and far less for 4
  assert.ok(acc0 < 0.05, `untrained accuracy ${acc0}`);
  assert.ok(acc > 0.5, `held-out accuracy after training ${acc}`);
  // save, load, same answers; the weights round-trip exactly
  const { saveCheckpoint } = await import('../src/tinylm/checkpoint.js');
  saveCheckpoint(path.join(dir, 'ck'), { ...ck, values: m.values() });
  const loaded = loadCheckpoint(path.join(dir, 'ck'));
  for (const [k, v] of m.values()) assert.deepEqual(loaded.values.get(k), v, k);
  assert.deepEqual(await answerPrompts(path.join(dir, 'ck'), held.map((x) => x.prompt)), after);
  m.dispose();
});

test('training is reproducible: same data, seed and steps give byte-identical checkpoints; curricula keep their order', async () => {
  const xs = generateItems('sort', 200, 1, 2);
  const dir = tmpDir('gradus-repro-');
  for (const name of ['a', 'b']) await trainCheckpoint(xs, { out: path.join(dir, name), steps: 15, seed: 4, arch: { d: 16, heads: 2, maxLen: 16 } });
  assert.deepEqual(fs.readFileSync(path.join(dir, 'a/weights.bin')), fs.readFileSync(path.join(dir, 'b/weights.bin')));
  await trainCheckpoint(xs, { out: path.join(dir, 'c'), steps: 15, seed: 4, ordered: true, arch: { d: 16, heads: 2, maxLen: 16 } });
  assert.notDeepEqual(fs.readFileSync(path.join(dir, 'a/weights.bin')), fs.readFileSync(path.join(dir, 'c/weights.bin')));
  // continuing from a checkpoint records where it came from
  await trainCheckpoint(xs, { from: path.join(dir, 'a'), out: path.join(dir, 'd'), steps: 5, saveEvery: 2 });
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'd/model.json'), 'utf8'));
  assert.equal(meta.history.length, 2);
  assert.equal(meta.history[1].from, path.join(dir, 'a'));
  assert.ok(fs.existsSync(path.join(dir, 'd/step-000002/model.json')) && fs.existsSync(path.join(dir, 'd/step-000004/model.json')));
  const long = [{ prompt: 'sort:' + 'a'.repeat(40), answer: 'a'.repeat(40) }];
  await assert.rejects(trainCheckpoint(long, { out: path.join(dir, 'e'), steps: 1, arch: { d: 16, heads: 2, maxLen: 12 } }), /tokens long; the model reads at most 12/);
});

test('gradus serve answers OpenAI-style requests over HTTP exactly as gradus answer does', async () => {
  const dir = tmpDir('gradus-serve-');
  const xs = generateItems('sort', 300, 2, 2);
  write(dir, 'items.jsonl', xs.map((x) => JSON.stringify(x)).join('\n') + '\n');
  let r = cli(['train', '--data', path.join(dir, 'items.jsonl'), '--out', path.join(dir, 'ck'), '--steps', '60', '--lr', '3e-3', '--d', '32', '--max-len', '16', '--quiet']);
  assert.equal(r.code, 0, r.stderr);
  r = cli(['answer', path.join(dir, 'ck'), path.join(dir, 'items.jsonl'), '--out', path.join(dir, 'answers.jsonl')]);
  assert.equal(r.code, 0, r.stderr);
  const answers = fs.readFileSync(path.join(dir, 'answers.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/gradus.js'), 'serve', path.join(dir, 'ck'), '--port', '0', '--name', 'tiny'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (c) => {
        buf += c;
        const m = /at (http:\/\/\S+)/.exec(buf);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const models = await (await fetch(`${url}/models`)).json();
    assert.equal(models.data[0].id, 'tiny');
    const post = (p: string, body: unknown) => fetch(`${url}/${p}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const c = await (await post('completions', { model: 'tiny', prompt: xs.slice(0, 5).map((x) => x.prompt), max_tokens: 6 })).json();
    assert.equal(c.object, 'text_completion');
    assert.deepEqual(c.choices.map((x: { text: string }) => x.text), answers.slice(0, 5).map((a) => a.output));
    // concurrent chat requests are batched and each gets its own answer
    const chats = await Promise.all(xs.slice(5, 25).map(async (x) => (await post('chat/completions', { model: 'tiny', messages: [{ role: 'user', content: x.prompt }], max_tokens: 6, temperature: 0 })).json()));
    assert.deepEqual(chats.map((j) => j.choices[0].message.content), answers.slice(5, 25).map((a) => a.output));
    const cut = await (await post('completions', { model: 'tiny', prompt: xs[0].prompt, max_tokens: 1 })).json();
    assert.equal(cut.choices[0].text, answers[0].output.slice(0, 1));
    const wrong = await post('completions', { model: 'gpt-4', prompt: 'x' });
    assert.equal(wrong.status, 404);
    assert.match((await wrong.json()).error.message, /does not exist/);
    assert.equal((await post('completions', { model: 'tiny' })).status, 400);
  } finally {
    child.kill('SIGTERM');
  }
});

test('gradus demo --quick runs the whole pipeline end to end, resumes, and its output feeds an OpenAI-evaluated study', async () => {
  const dir = tmpDir('gradus-demo-');
  const out = path.join(dir, 'demo');
  const r = await cliAsync(['demo', '--quick', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /mean gain on the training bin [+-]\d+\.\d points; at distance 1 [+-]\d+\.\d points; at the farthest distance \(4\) [+-]\d+\.\d points/);
  for (const f of ['items.jsonl', 'zoo/responses.csv', 'fit/items.csv', 'bins.csv', 'grid.csv', 'analysis.json', 'study.yaml']) assert.ok(fs.existsSync(path.join(out, f)), f);
  const zoo = JSON.parse(fs.readFileSync(path.join(out, 'zoo/zoo.json'), 'utf8'));
  // 4 runs saved every 10 steps (160, 160, 160 and 120 steps): enough models that a Rasch b (one value per sum
  // score) has room
  assert.equal(zoo.models.length, 60);
  // every level the study scores reaches the zoo's training (the run on all levels), none left out
  const studyLevels = new Set(fs.readFileSync(path.join(out, 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).level as number));
  assert.equal(studyLevels.size, 7);
  for (const l of studyLevels) assert.ok(zoo.training_levels['w64-all-s1'][`sort-distinct/${l}`].prompts > 0, `level ${l} never trained on`);
  const studyPrompts = new Set(fs.readFileSync(path.join(out, 'items.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).prompt as string));
  assert.equal(studyPrompts.size, 500);
  const accs = zoo.models.map((m: { accuracy: number }) => m.accuracy);
  assert.ok(Math.max(...accs) - Math.min(...accs) > 0.2, `zoo accuracies ${accs}`);
  const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
  assert.equal(a.gain_matrix.gain.length, 5);
  assert.ok(a.gain_matrix.gain.every((row: unknown[]) => row.every((x) => typeof x === 'number')));
  // the zoo's answers make a real difficulty scale: easier bins are answered better by the base model
  assert.ok(a.baseline_accuracy[0] > a.baseline_accuracy[4], `baseline by bin ${a.baseline_accuracy}`);
  // and the knob explains it: difficulty rises with the number of letters to sort, level by level (the issue's
  // bar: Spearman >= 0.8; the quick demo gives 0.88 [0.84, 0.91])
  assert.equal(a.knob.feature, 'level');
  assert.ok(a.knob.spearman.estimate >= 0.8, `Spearman(level, b) ${a.knob.spearman.estimate}`);
  const medians = a.knob.per_level.map((p: { median_b: number }) => p.median_b);
  assert.equal(medians.length, 7);
  medians.slice(1).forEach((m: number, k: number) => assert.ok(m > medians[k], `median b by level ${medians}`));
  assert.ok(a.knob.spearman.ci_low <= a.knob.spearman.estimate && a.knob.spearman.estimate <= a.knob.spearman.ci_high);
  assert.match(r.stdout, /difficulty follows the knob: Spearman\(level, b\) 0\.\d{3} \[0\.\d{3}, 0\.\d{3}\]/);
  const again = await cliAsync(['demo', '--quick', '--out', out]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /\[1\/5\] .*already done, kept/);
  assert.match(again.stderr, /resuming: 7 of 7 cells already done/);

  // the builtin learner with the OpenAI evaluator: each cell's checkpoint served by gradus serve
  const cfg = write(dir, 'served.yaml', `data: { split: demo/data }
strategies: [{ name: each-bin, bins: [0] }]
base_model: demo/base
learner: { kind: builtin, steps: 20 }
evaluator:
  kind: openai
  base_url: http://127.0.0.1:{port}/v1
  endpoint: completions
  max_tokens: 16
  concurrency: 16
  server: { command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'bin/gradus.js'))}, serve, "{model_path}", --port, "{port}"] }
bootstrap: 50
`);
  const s = await cliAsync(['study', cfg, '--out', path.join(dir, 'served')], { cwd: dir });
  assert.equal(s.code, 0, s.stderr);
  // the served base model scores as the builtin evaluator scored it
  const served = JSON.parse(fs.readFileSync(path.join(dir, 'served/analysis.json'), 'utf8'));
  assert.deepEqual(served.baseline_accuracy, a.baseline_accuracy);
});
