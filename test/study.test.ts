import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tmpDir, write, cli, cliAsync } from './support/fixtures.js';
import { startAnswerServer, type AnswerServer } from './support/answerServer.js';
import { parseStudyConfig } from '../src/study/config.js';

const TRAINER = path.join(ROOT, 'test/support/trainer.mjs');
const EVIL = `$(touch PWNED) && rm -rf ~ ; echo "quoted" 'single' \`tick\` | > out {train_file}`;

interface Fixture {
  dir: string;
  table: Map<string, { bin: number; answer: string }>;
}

/** 4 bins × (8 train + 6 test) items, one of them full of shell metacharacters. */
function makeItems(): Fixture {
  const dir = tmpDir('gradus-study-');
  const table = new Map<string, { bin: number; answer: string }>();
  const items: string[] = [];
  const bins = ['item,difficulty,bin,split'];
  for (let b = 0; b < 4; b++) {
    for (let n = 0; n < 14; n++) {
      const id = `q${b}-${n}`;
      const answer = String(b * 100 + n);
      const text = b === 1 && n === 0 ? `[item ${id}] ${EVIL}` : `[item ${id}] What is ${b * 100} + ${n}?`;
      items.push(JSON.stringify({ id, prompt: text, answer, topic: 'sums' }));
      bins.push(`${id},${b + n / 100},${b},${n < 8 ? 'train' : 'test'}`);
      table.set(id, { bin: b, answer });
    }
  }
  write(dir, 'items.jsonl', items.join('\n') + '\n');
  write(dir, 'bins.csv', bins.join('\n') + '\n');
  return { dir, table };
}

function config(f: Fixture, server: AnswerServer, o: { sleep?: number; failBin?: number; strategies?: string; timeout?: number; retries?: number; parallel?: number; log?: string } = {}): string {
  const log = o.log ?? path.join(f.dir, 'trainer.log');
  const extra = o.failBin !== undefined ? `, --fail-bin, "${o.failBin}"` : '';
  const text = `# a small grid
data:
  items: items.jsonl
  bins: bins.csv
strategies: ${o.strategies ?? '[each-bin, all, random, easy-to-hard]'}
seeds: [1, 2]
base_model: base
learner:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(TRAINER)}, --data, "{train_file}", --out, "{output_dir}", --log, ${JSON.stringify(log)}, --cell, "{cell}", --sleep, "${o.sleep ?? 0}"${extra}]
  format: prompt
evaluator:
  kind: openai
  base_url: ${server.url}
  api_key_env: GRADUS_TEST_KEY
  prompt_template: "Answer with a number. {prompt}"
  answer: { kind: number }
  concurrency: 4
  timeout_s: ${o.timeout ?? 10}
  retries: ${o.retries ?? 5}
parallel: ${o.parallel ?? 2}
bootstrap: 200
`;
  return write(f.dir, 'study.yaml', text);
}

const KEY = 'sk-test-123-secret';
const env = { GRADUS_TEST_KEY: KEY };

function readCsv(file: string): Array<Record<string, string>> {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, k) => [cols[k], v])));
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

test('a small grid end to end: command trainer, OpenAI-compatible server, grid.csv and analysis.json', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, apiKey: KEY });
  try {
    const cfg = config(f, server);
    const out = path.join(f.dir, 'run');
    const r = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /15 cells: 0 resumed, 15 run, 0 failed/);
    assert.match(r.stdout, /mean gain on the training bin \+\d/);
    assert.equal(server.authFailures, 0);
    const rows = readCsv(path.join(out, 'grid.csv'));
    assert.equal(rows.length, 14 * 4);
    assert.deepEqual(Object.keys(rows[0]), ['strategy', 'train_bins', 'seed', 'test_bin', 'n_test', 'correct', 'accuracy', 'baseline_accuracy', 'gain', 'ci_low', 'ci_high']);
    for (const row of rows) {
      assert.equal(row.n_test, '6');
      assert.ok(Math.abs(Number(row.gain) - (Number(row.accuracy) - Number(row.baseline_accuracy))) < 1e-12);
      assert.ok(Number(row.ci_low) <= Number(row.ci_high));
    }
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    // the server's skill falls with distance from the training bin, and the analysis must see it
    const d = a.by_distance.map((x: { mean: number }) => x.mean);
    assert.equal(d.length, 4);
    assert.ok(d[0] > d[1] && d[1] > d[3], `gain by distance ${d}`);
    assert.ok(a.gain_matrix.gain[2][2] > 0.3);
    assert.ok(a.decay.mean > 0.3 && a.decay.ci_low > 0);
    assert.equal(a.headline.farthest_distance, 3);
    assert.ok(a.asymmetry.easier.cells > 0 && a.asymmetry.harder.cells > 0);
    const all = a.strategies.find((s: { strategy: string }) => s.strategy === 'all');
    assert.equal(all.train_bins, '0-3');
    // raw outputs are kept per item
    const evalLines = fs.readFileSync(path.join(out, 'cells/each-bin_b2_s1/eval.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(evalLines.length, 24);
    assert.match(evalLines[0].output, /The answer is/);
    // the training file holds the item with shell metacharacters unchanged, and nothing ran
    const trainFile = fs.readFileSync(path.join(out, 'cells/each-bin_b1_s1/train.prompt.jsonl'), 'utf8');
    const evil = trainFile.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((x) => x.id === 'q1-0');
    assert.equal(evil.prompt, `[item q1-0] ${EVIL}`);
    assert.ok(!fs.existsSync(path.join(f.dir, 'PWNED')) && !fs.existsSync(path.join(f.dir, 'out')));
    // the curriculum reached the trainer in order, easy to hard
    const order: number[] = JSON.parse(fs.readFileSync(path.join(out, 'cells/easy-to-hard_b0-3_s1/model/meta.json'), 'utf8')).order;
    assert.deepEqual(order, [...order].sort((x, y) => x - y));
    // the API key is in no file the study wrote
    for (const file of allFiles(out)) assert.ok(!fs.readFileSync(file, 'utf8').includes(KEY), file);
  } finally {
    await server.close();
  }
});

test('a study killed mid-run resumes: no finished cell is redone, results identical to an uninterrupted run', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, apiKey: KEY });
  try {
    const log = path.join(f.dir, 'trainer.log');
    const cfg = config(f, server, { sleep: 300, parallel: 1, strategies: '[each-bin, all]', log });
    const out = path.join(f.dir, 'run');
    const results = () => (fs.existsSync(path.join(out, 'cells')) ? fs.readdirSync(path.join(out, 'cells')).filter((c) => fs.existsSync(path.join(out, 'cells', c, 'result.json'))) : []);
    let killedWith: string[] = [];
    const first = await cliAsync(['study', cfg, '--out', out], {
      env,
      cwd: f.dir,
      onSpawn: (child) => {
        const t = setInterval(() => {
          if (results().length >= 4) {
            killedWith = results();
            child.kill('SIGKILL');
            clearInterval(t);
          }
        }, 20);
        child.on('close', () => clearInterval(t));
      },
    });
    assert.notEqual(first.code, 0, 'the first run should have been killed');
    assert.ok(killedWith.length >= 4 && killedWith.length < 11, `killed after ${killedWith.length} cells`);
    const mtimes = new Map(killedWith.map((c) => [c, fs.statSync(path.join(out, 'cells', c, 'result.json')).mtimeMs]));
    await new Promise((r) => setTimeout(r, 500)); // an orphaned trainer may finish meanwhile
    const second = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /resuming: \d+ of 11 cells already done/);
    for (const [c, t] of mtimes) assert.equal(fs.statSync(path.join(out, 'cells', c, 'result.json')).mtimeMs, t, `${c} was redone`);
    const starts = fs.readFileSync(log, 'utf8').split('\n').filter((l) => l.startsWith('start '));
    for (const c of killedWith.filter((c) => c !== 'baseline')) assert.equal(starts.filter((l) => l === `start ${c}`).length, 1, `${c} trained twice`);
    // the same study uninterrupted
    const ref = path.join(f.dir, 'ref');
    const third = await cliAsync(['study', cfg, '--out', ref], { env, cwd: f.dir });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(fs.readFileSync(path.join(out, 'grid.csv'), 'utf8'), fs.readFileSync(path.join(ref, 'grid.csv'), 'utf8'));
    // run again: nothing to do
    const again = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.match(again.stdout, /11 cells: 11 resumed, 0 run, 0 failed/);
  } finally {
    await server.close();
  }
});

test('a server that answers 500 and 429 for a while, then recovers, still gives a full study', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, apiKey: KEY, failFirst: 6 });
  try {
    const cfg = config(f, server, { strategies: '[all]', parallel: 1 });
    const out = path.join(f.dir, 'run');
    const r = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /3 cells: 0 resumed, 3 run, 0 failed/);
    assert.equal(server.requests, 3 * 24 + 6);
  } finally {
    await server.close();
  }
});

test('a server that never answers: the cells fail with a time-out, are recorded, and the exit code says so', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, hang: true });
  try {
    const cfg = config(f, server, { strategies: '[all]', timeout: 0.3, retries: 1, parallel: 1 });
    const out = path.join(f.dir, 'run');
    const r = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /FAILED baseline: item q0-\d+: no answer within 0.3 s \(after 2 tries\)/);
    const failed = JSON.parse(fs.readFileSync(path.join(out, 'cells/all_b0-3_s1/failed.json'), 'utf8'));
    assert.match(failed.error, /no answer within/);
    assert.ok(fs.existsSync(path.join(out, 'grid.csv')));
  } finally {
    await server.close();
  }
});

test('a training command that fails: that cell is recorded with its log, the others finish', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, apiKey: KEY });
  try {
    const cfg = config(f, server, { strategies: '[each-bin]', failBin: 2 });
    const out = path.join(f.dir, 'run');
    const r = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /9 cells: 0 resumed, 7 run, 2 failed/);
    assert.match(r.stderr, /failed: each-bin_b2_s1: the training command exited with code 3 \(log: .*train\.log\)/);
    const failed = JSON.parse(fs.readFileSync(path.join(out, 'cells/each-bin_b2_s1/failed.json'), 'utf8'));
    assert.match(fs.readFileSync(failed.log, 'utf8'), /out of memory \(on purpose\)/);
    const rows = readCsv(path.join(out, 'grid.csv'));
    assert.equal(rows.length, 6 * 4);
    assert.ok(!rows.some((x) => x.train_bins === '2'));
    const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
    assert.deepEqual(a.gain_matrix.gain[2], [null, null, null, null]);
  } finally {
    await server.close();
  }
});

test('config errors name the field, its line, and what was expected; a changed config is refused without --force', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table, apiKey: KEY });
  try {
    const cfg = config(f, server, { strategies: '[all]' });
    const text = fs.readFileSync(cfg, 'utf8');
    const bad = write(f.dir, 'bad.yaml', text.replace('  concurrency: 4', '  concurrency: four'));
    let r = cli(['study', bad, '--out', path.join(f.dir, 'x')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml, line 18, column 16: field evaluator\.concurrency: expected number, received string/);
    const unknown = write(f.dir, 'unknown.yaml', text.replace('seeds: [1, 2]', 'seeds: [1, 2]\nseed_count: 3'));
    r = cli(['study', unknown, '--out', path.join(f.dir, 'x')]);
    assert.match(r.stderr, /unknown\.yaml, line 7, column 1: field seed_count: unknown field "seed_count"/);
    const kind = write(f.dir, 'kind.yaml', text.replace('kind: command', 'kind: trl'));
    r = cli(['study', kind, '--out', path.join(f.dir, 'x')]);
    assert.match(r.stderr, /field learner\.kind: expected one of "command", "builtin", "none"/);
    const strat = write(f.dir, 'strat.yaml', text.replace('strategies: [all]', 'strategies: [all, hardest]'));
    r = cli(['study', strat, '--out', path.join(f.dir, 'x')]);
    assert.match(r.stderr, /line 5, column \d+: field strategies\.1/);
    const syntax = write(f.dir, 'syntax.yaml', text.replace('seeds: [1, 2]', 'seeds: [1, 2'));
    r = cli(['study', syntax, '--out', path.join(f.dir, 'x')]);
    assert.match(r.stderr, /syntax\.yaml, line \d+, column \d+: the config is not valid YAML or JSON/);
    const json = write(f.dir, 'bad.json', JSON.stringify({ data: { split: 'x' }, learner: { kind: 'none' }, evaluator: { kind: 'openai', base_url: 'not a url' } }, null, 2));
    r = cli(['study', json, '--out', path.join(f.dir, 'x')]);
    assert.match(r.stderr, /bad\.json, line 10, column 17: field evaluator\.base_url: expected a URL/);
    // {port} is gradus's pick for a server it starts; with no server there is nothing to fill it
    const noServer = write(f.dir, 'noserver.yaml', text.replace(server.url, 'http://127.0.0.1:{port}/v1'));
    r = cli(['study', noServer, '--out', path.join(f.dir, 'x')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /evaluator\.base_url names \{port\}, which only a server that gradus starts \(evaluator\.server\) has/);

    const out = path.join(f.dir, 'run');
    r = await cliAsync(['study', cfg, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 0, r.stderr);
    const changed = write(f.dir, 'study.yaml', text.replace('seeds: [1, 2]', 'seeds: [1, 2, 3]'));
    r = await cliAsync(['study', changed, '--out', out], { env, cwd: f.dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /holds a study made with a different config \(changed: seeds\).*--force/);
    r = await cliAsync(['study', changed, '--out', out, '--force'], { env, cwd: f.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /4 cells: 3 resumed, 1 run, 0 failed/);
    // no key in the environment: a clear error, before anything runs
    r = await cliAsync(['study', changed, '--out', path.join(f.dir, 'nokey')], { env: { GRADUS_TEST_KEY: '' }, cwd: f.dir });
    assert.match(r.stderr, /GRADUS_TEST_KEY \(evaluator\.api_key_env\) is not set/);
  } finally {
    await server.close();
  }
});

test('evaluator.server: a server command is started for each cell checkpoint and stopped after it', async () => {
  const f = makeItems();
  const log = path.join(f.dir, 'server-events.log');
  const text = `data: { items: items.jsonl, bins: bins.csv }
strategies: [{ name: each-bin, bins: [0, 3] }]
base_model: base
learner:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(TRAINER)}, --data, "{train_file}", --out, "{output_dir}", --log, trainer.log, --cell, "{cell}"]
evaluator:
  kind: openai
  base_url: http://127.0.0.1:{port}/v1
  endpoint: completions
  answer: { kind: number }
  server:
    command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'test/support/serveAnswers.mjs'))}, items.jsonl, "{port}", "{model_path}", server-events.log]
    ready_timeout_s: 30
parallel: 3
bootstrap: 50
`;
  const cfg = write(f.dir, 'served.yaml', text);
  const out = path.join(f.dir, 'run');
  const r = await cliAsync(['study', cfg, '--out', out], { cwd: f.dir });
  assert.equal(r.code, 0, r.stderr);
  const events = fs.readFileSync(log, 'utf8').trim().split('\n');
  // three cells (baseline + two bins), each served by its own server, one at a time
  assert.equal(events.length, 6);
  for (let k = 0; k < 6; k += 2) {
    assert.match(events[k], /^serve /);
    assert.equal(events[k + 1], events[k].replace('serve', 'stop'));
  }
  assert.ok(events.includes('serve base'));
  const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
  assert.ok(a.gain_matrix.gain[0][0] > 0.3 && a.gain_matrix.gain[3][3] > 0.3);
});

test('evaluator.kind command: an lm-evaluation-harness style output folder is read back per item', async () => {
  const f = makeItems();
  const text = `data: { items: items.jsonl, bins: bins.csv }
strategies: [each-bin]
seeds: [1]
base_model: base
test_on: all
learner:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(TRAINER)}, --data, "{train_file}", --out, "{output_dir}", --log, trainer.log]
evaluator:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(path.join(ROOT, 'test/support/evalCommand.mjs'))}, "{items_file}", "{model_path}", "{output_dir}"]
bootstrap: 50
`;
  const cfg = write(f.dir, 'cmd.yaml', text);
  const out = path.join(f.dir, 'run');
  const r = await cliAsync(['study', cfg, '--out', out], { cwd: f.dir });
  assert.equal(r.code, 0, r.stderr);
  const rows = readCsv(path.join(out, 'grid.csv'));
  assert.equal(rows.length, 16);
  assert.ok(rows.every((x) => x.n_test === '14'));
  const a = JSON.parse(fs.readFileSync(path.join(out, 'analysis.json'), 'utf8'));
  assert.ok(a.by_distance[0].mean > a.by_distance[3].mean + 0.3);
});

test('learner.kind none scores models trained elsewhere under the names its template gives each cell', async () => {
  const f = makeItems();
  const server = await startAnswerServer({ table: f.table });
  try {
    const cfg = write(f.dir, 'none.yaml', `data: { items: items.jsonl, bins: bins.csv }
strategies: [{ name: each-bin, bins: [1, 2] }, all]
seeds: [4]
base_model: my-base
learner: { kind: none, model: "my-base-ft-{strategy}-b{train_bins}-s{seed}" }
evaluator: { kind: openai, base_url: "${server.url}", answer: { kind: number } }
bootstrap: 20
`);
    const r = await cliAsync(['study', cfg, '--out', path.join(f.dir, 'run')], { cwd: f.dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([...server.models].sort(), ['my-base', 'my-base-ft-all-b0-3-s4', 'my-base-ft-each-bin-b1-s4', 'my-base-ft-each-bin-b2-s4']);
    // --test-on train scores the training items of each bin instead (8 per bin, not 6)
    const t = await cliAsync(['study', cfg, '--out', path.join(f.dir, 'run-train'), '--test-on', 'train'], { cwd: f.dir });
    assert.equal(t.code, 0, t.stderr);
    assert.ok(readCsv(path.join(f.dir, 'run-train/grid.csv')).every((x) => x.n_test === '8'));
  } finally {
    await server.close();
  }
});

test('every example config in examples/ is valid', () => {
  const dir = path.join(ROOT, 'examples');
  const files = fs.readdirSync(dir).filter((n) => /^study-.*\.(ya?ml|json)$/.test(n));
  assert.ok(files.length >= 3);
  for (const n of files) parseStudyConfig(fs.readFileSync(path.join(dir, n), 'utf8'), n);
});
