/**
 * The collector's parts against the stand-in Hub (test/support/hubServer.ts says where each behaviour comes from):
 * the contents table and its filters, paged listings, 429 with Retry-After, the leaderboard's metric per task,
 * two runs of a task, `.json` samples, and where the token comes from.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { collectLeaderboard, readResponses } from '../src/index.js';
import { findToken, tokenFilePath } from '../src/hub/token.js';
import { retryAfterMs } from '../src/hub/http.js';
import { pickRuns } from '../src/hub/runs.js';
import { taskGroup } from '../src/hub/tasks.js';
import { readSamples } from '../src/hub/samples.js';
import { startHubServer, type HubRepo } from './support/hubServer.js';
import { contentsParquet, contentsRows, detailsRepo, detailsRepos, truth, RUN_1, RUN_2, type ModelSpec } from './support/leaderboardData.js';
import { tmpDir } from './support/fixtures.js';

test('token: HF_TOKEN first, else the file huggingface-cli login writes under HF_HOME', () => {
  const dir = tmpDir();
  fs.writeFileSync(path.join(dir, 'token'), 'hf_fromFile\n');
  assert.equal(findToken({ HF_TOKEN: 'hf_fromEnv', HF_HOME: dir }).token, 'hf_fromEnv');
  assert.equal(findToken({ HF_HOME: dir }).token, 'hf_fromFile');
  assert.equal(tokenFilePath({ HOME: '/h', XDG_CACHE_HOME: '/c' }), '/c/huggingface/token');
  assert.equal(findToken({ HF_HOME: path.join(dir, 'none') }).token, undefined);
});

test('Retry-After: seconds or an HTTP date', () => {
  assert.equal(retryAfterMs('3'), 3000);
  assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
  assert.equal(retryAfterMs('soon'), null);
});

test('runs: the latest run of each task, .jsonl over .json, --run picks one', () => {
  const f = (p: string) => ({ path: `o__m/${p}`, size: 1, oid: '' });
  const files = [f(`results_${RUN_1}.json`), f(`results_${RUN_2}.json`), f(`samples_leaderboard_musr_team_allocation_${RUN_1}.json`), f(`samples_leaderboard_musr_team_allocation_${RUN_2}.jsonl`), f(`samples_leaderboard_musr_team_allocation_${RUN_2}.json`), f(`samples_leaderboard_bbh_navigate_${RUN_1}.jsonl`)];
  const groups = ['musr', 'bbh', 'gpqa'].map(taskGroup);
  const p = pickRuns(files, groups);
  assert.deepEqual(p.samples.map((s) => path.basename(s.file.path)), [`samples_leaderboard_bbh_navigate_${RUN_1}.jsonl`, `samples_leaderboard_musr_team_allocation_${RUN_2}.jsonl`]);
  assert.equal(p.results.length, 2);
  assert.deepEqual(p.absent, ['gpqa']);
  assert.deepEqual(pickRuns(files, groups, RUN_1).samples.map((s) => s.timestamp), [RUN_1, RUN_1]);
});

test('samples: the leaderboard metric by name (acc_norm over acc), .json files read line by line, IFEval strict', async () => {
  const repos = detailsRepos({ models: [{ model: 'o/m', theta: 0.5, oldForm: true }], tasks: ['bbh', 'ifeval'], itemsPerSubtask: 5 });
  const dir = tmpDir();
  const files = repos.get(detailsRepo('o/m'))!;
  const write = (p: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), files.get(p)!);
    return path.join(dir, p);
  };
  const bbh = await readSamples(write(`o__m/samples_leaderboard_bbh_navigate_${RUN_1}.json`), taskGroup('bbh'), 'leaderboard_bbh_navigate');
  assert.equal(bbh.metric, 'acc_norm');
  assert.deepEqual(bbh.answers.map((a) => a.score), [0, 1, 2, 3, 4].map((d) => (truth({ model: 'o/m', theta: 0.5 }, 'leaderboard_bbh_navigate', d, RUN_1) ? 1 : 0)));
  const ife = await readSamples(write(`o__m/samples_leaderboard_ifeval_${RUN_1}.json`), taskGroup('ifeval'), 'leaderboard_ifeval');
  assert.equal(ife.metric, 'prompt_level_strict_acc');
  assert.equal(ife.answers.length, 5);
});

test('collect from the contents table: top N by average, parameter range, flagged/merged/deleted left out, paged and rate-limited listings', async () => {
  const table = [
    { model: 'a/best', average: 40, params: 7 },
    { model: 'a/best', average: 20, params: 7, precision: 'float16' },
    { model: 'b/flagged', average: 39, params: 7, flagged: true },
    { model: 'b/merged', average: 38, params: 7, merged: true },
    { model: 'b/deleted', average: 37, params: 7, available: false },
    { model: 'c/huge', average: 36, params: 70 },
    { model: 'c/second', average: 30, params: 3 },
    { model: 'c/third', average: 25, params: 8 },
    { model: 'c/fourth', average: 10, params: 8 },
  ];
  const specs: ModelSpec[] = table.map((t, k) => ({ model: t.model, theta: k / 4 - 1 }));
  const repos = new Map<string, HubRepo>();
  for (const [name, files] of detailsRepos({ models: specs, tasks: ['gpqa'], itemsPerSubtask: 4 })) repos.set(name, { files });
  repos.set('open-llm-leaderboard/contents', { files: new Map([['data/train-00000-of-00001.parquet', await contentsParquet(contentsRows(table))], ['README.md', Buffer.from('# contents\n')]]) });
  const server = await startHubServer(repos, { pageSize: 2, rateLimitOnce: new Set(['open-llm-leaderboard/contents']) });
  try {
    const out = tmpDir();
    const r = await collectLeaderboard({ tasks: ['gpqa'], out, top: 3, maxParams: 10, hubUrl: server.url, env: {} });
    assert.equal(r.exitCode, 0);
    const state = JSON.parse(fs.readFileSync(path.join(out, 'collect.json'), 'utf8'));
    assert.deepEqual(Object.keys(state.models), ['a/best', 'c/second', 'c/third']);
    assert.deepEqual(state.found.dropped, { 'listed twice (kept the best average)': 1, flagged: 1, merged: 1, 'deleted from the Hub': 1, 'more parameters than asked': 1, 'below the top 3': 1 });
    assert.ok(server.log.some((x) => x.status === 429), 'the contents listing was rate-limited once');
    assert.ok(server.log.filter((x) => x.path.includes('/tree/')).length > 4, 'listings came in pages of 2');
    const m = await readResponses(path.join(out, 'responses.parquet'));
    assert.deepEqual(m.matrix.items.slice(0, 2), ['leaderboard_gpqa_diamond/0', 'leaderboard_gpqa_diamond/1']);
    // gpqa lines carry acc (deliberately the opposite) beside acc_norm: the leaderboard's acc_norm is taken
    const k = m.matrix.models.indexOf('c/second');
    assert.equal(m.matrix.data[k * m.matrix.items.length], truth(specs[6], 'leaderboard_gpqa_diamond', 0, RUN_1) ? 1 : 0);
    assert.deepEqual(state.models['c/second'].metrics, { gpqa: 'acc_norm' });
  } finally {
    await server.close();
  }
});

test('a gated repo without a token: skipped with what to do, exit code 3, the other models collected', async () => {
  const repos = new Map<string, HubRepo>();
  for (const [name, files] of detailsRepos({ models: [{ model: 'x/open', theta: 0 }, { model: 'x/gated', theta: 1 }], tasks: ['ifeval'], itemsPerSubtask: 3 })) repos.set(name, { files, gatedFor: name.includes('gated') ? new Set(['hf_ok']) : undefined });
  const server = await startHubServer(repos);
  try {
    const out = tmpDir();
    fs.writeFileSync(path.join(out, 'models.txt'), 'x/open\nopen-llm-leaderboard/x__gated-details\n');
    const r = await collectLeaderboard({ tasks: ['ifeval'], out, models: path.join(out, 'models.txt'), hubUrl: server.url, env: { HF_HOME: path.join(out, 'nohome') } });
    assert.equal(r.exitCode, 3);
    assert.equal(r.done, 1);
    assert.match(r.skipped[0].message, /is gated: accept the dataset's terms at .*\/datasets\/open-llm-leaderboard\/x__gated-details, then give a token \(set HF_TOKEN/);
    assert.equal(server.log.find((x) => x.path.includes('x__gated'))!.status, 401);
  } finally {
    await server.close();
  }
});

test('a rerun with more tasks fetches only the new ones; with fewer, rewrites the table from the files it has', async () => {
  const repos = new Map<string, HubRepo>();
  for (const [name, files] of detailsRepos({ models: [{ model: 'y/one', theta: 0.3 }, { model: 'y/two', theta: -0.3 }], tasks: ['ifeval', 'gpqa'], itemsPerSubtask: 3 })) repos.set(name, { files });
  const server = await startHubServer(repos);
  try {
    const out = tmpDir();
    const models = path.join(out, 'models.txt');
    fs.writeFileSync(models, 'y/one\ny/two\n');
    const go = (tasks: string[]) => collectLeaderboard({ tasks, out: path.join(out, 'lb'), models, hubUrl: server.url, env: {} });
    const files = () => server.log.filter((x) => x.path.includes('/resolve/')).map((x) => x.path);
    await go(['ifeval']);
    const first = files();
    assert.ok(first.length === 4 && first.every((p) => /ifeval|results/.test(p)), 'ifeval samples and results of two models');
    await go(['ifeval', 'gpqa']);
    const second = files().slice(first.length);
    assert.equal(second.length, 6, 'three gpqa subtasks of two models, nothing fetched again');
    assert.ok(second.every((p) => p.includes('gpqa')));
    const r = await go(['gpqa']);
    assert.equal(files().length, 10, 'fewer tasks: nothing fetched');
    const m = await readResponses(path.join(out, 'lb', 'responses.parquet'));
    assert.ok(m.matrix.items.every((i) => i.startsWith('leaderboard_gpqa_')));
    assert.equal(r.responses, 2 * 3 * 3);
  } finally {
    await server.close();
  }
});

test('--update fetches only a new run; without it a rerun asks the Hub nothing', async () => {
  const spec: ModelSpec = { model: 'z/m', theta: 0.2 };
  const repos = new Map<string, HubRepo>();
  for (const [name, files] of detailsRepos({ models: [spec], tasks: ['musr'], itemsPerSubtask: 4 })) repos.set(name, { files });
  const server = await startHubServer(repos);
  try {
    const out = tmpDir();
    const models = path.join(out, 'models.txt');
    fs.writeFileSync(models, 'z/m\n');
    const go = (update: boolean) => collectLeaderboard({ tasks: ['musr'], out: path.join(out, 'lb'), models, hubUrl: server.url, update, env: {} });
    await go(false);
    // the leaderboard re-evaluates the model: a later run of every musr subtask appears
    const later = detailsRepos({ models: [{ ...spec, rerun: true }], tasks: ['musr'], itemsPerSubtask: 4 }).get(detailsRepo('z/m'))!;
    for (const [p, b] of later) repos.get(detailsRepo('z/m'))!.files.set(p, b);
    const n = server.log.length;
    await go(false);
    assert.equal(server.log.length, n, 'a rerun without --update asks nothing');
    const r = await go(true);
    const fetched = server.log.slice(n).filter((x) => x.path.includes('/resolve/')).map((x) => path.posix.basename(x.path));
    assert.deepEqual(fetched.sort(), [`results_${RUN_2}.json`, ...['murder_mysteries', 'object_placements', 'team_allocation'].map((t) => `samples_leaderboard_musr_${t}_${RUN_2}.jsonl`)].sort());
    assert.equal(r.exitCode, 0);
    const raw = fs.readdirSync(path.join(out, 'lb', 'raw', 'z__m'));
    assert.ok(raw.every((f) => f.includes(RUN_2)), 'the superseded run left raw/');
    const m = await readResponses(path.join(out, 'lb', 'responses.parquet'));
    assert.equal(m.matrix.data[m.matrix.items.indexOf('leaderboard_musr_team_allocation/1')], truth(spec, 'leaderboard_musr_team_allocation', 1, RUN_2) ? 1 : 0);
  } finally {
    await server.close();
  }
});
