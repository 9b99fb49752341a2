/**
 * `gradus collect` end to end against the stand-in Hub (test/support/hubServer.ts, which says where each of its
 * behaviours comes from): 30 models × 3 tasks plus a gated one, a kill mid-way and a resume that fetches no file
 * twice, a rerun that fetches nothing, and the collected table read as the raw folders read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { readResponses, makeBins, splitItems, writeBins, fitIrt } from '../src/index.js';
import { readSplitFolder } from '../src/study/items.js';
import { startHubServer, type HubRepo, type HubServer } from './support/hubServer.js';
import { detailsRepo, detailsRepos, folderOf, truth, RUN_2, type ModelSpec } from './support/leaderboardData.js';
import { ROOT, tmpDir } from './support/fixtures.js';

const TOKEN = 'hf_testTokenThatMustNeverBeWritten0123456789';
const TASKS = ['musr', 'math_hard', 'mmlu_pro'];

function leaderboard() {
  const models: ModelSpec[] = Array.from({ length: 30 }, (_, k) => ({
    model: `org${k % 4}/model-${String(k).padStart(2, '0')}`,
    theta: -2 + (4 * k) / 29,
    oldForm: k % 5 === 1,
    rerun: k === 3,
  }));
  const gated: ModelSpec = { model: 'locked/secret-model', theta: 0 };
  const repos = new Map<string, HubRepo>();
  for (const [name, files] of detailsRepos({ models, tasks: TASKS, itemsPerSubtask: 6 })) repos.set(name, { files });
  for (const [name, files] of detailsRepos({ models: [gated], tasks: TASKS, itemsPerSubtask: 6 })) repos.set(name, { files, gatedFor: new Set(['hf_someoneElse']) });
  return { models, gated, repos };
}

function run(args: string[], env: NodeJS.ProcessEnv, killWhen?: () => boolean): Promise<{ code: number | null; signal: string | null; out: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gradus.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '', stdout = '';
    child.stdout.on('data', (d) => { out += d; stdout += d; });
    child.stderr.on('data', (d) => (out += d));
    const timer = killWhen ? setInterval(() => killWhen() && child.kill('SIGKILL'), 2) : undefined;
    child.on('close', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal, out, stdout });
    });
  });
}

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

// file requests, counted at the resolve URL, which names the repo and file (the store is content-addressed)
const resolves = (s: HubServer) => s.log.filter((r) => r.host === 'hub' && r.path.includes('/resolve/') && r.status !== 429);

test('collect: killed mid-way, resumed without fetching a file twice; gated model skipped; token never written', async () => {
  const { models, gated, repos } = leaderboard();
  const cutFile = `${detailsRepo(models[7].model)}/${folderOf(models[7].model)}/samples_leaderboard_mmlu_pro_2024-06-26T18-45-16.398419.jsonl`;
  const server = await startHubServer(repos, { pageSize: 7, rateLimitOnce: new Set([detailsRepo(models[2].model), `${detailsRepo(models[4].model)}/${folderOf(models[4].model)}/results_2024-06-26T18-45-16.398419.json`]), cutOnce: new Set([cutFile]) });
  try {
    const dir = tmpDir('gradus-collect-');
    const out = path.join(dir, 'lb');
    const list = path.join(dir, 'models.txt');
    fs.writeFileSync(list, [...models.map((m) => m.model), gated.model].join('\n') + '\n');
    const hfHome = path.join(dir, 'hf-home');
    const args = ['collect', '--tasks', TASKS.join(','), '--models', list, '--out', out, '--hub-url', server.url, '--concurrency', '3', '--timeout', '10'];
    const env = { HF_TOKEN: TOKEN, HF_HOME: hfHome };

    const first = await run(args, env, () => resolves(server).length >= 60);
    assert.equal(first.signal, 'SIGKILL', `the first run was to be killed mid-way:\n${first.out}`);
    const killedAt = server.log.length;
    const raw = path.join(out, 'raw');
    const onDisk = allFiles(raw).map((f) => path.relative(raw, f));
    const whole = onDisk.filter((f) => !f.endsWith('.part'));
    const partial = onDisk.filter((f) => f.endsWith('.part') && fs.statSync(path.join(raw, f)).size > 0).map((f) => f.slice(0, -5));
    // every file of the 30 open models but the READMEs and the 3 musr files model 3's later run supersedes
    const wanted = [...repos].filter(([n]) => !n.includes('locked')).reduce((k, [, r]) => k + [...r.files.keys()].filter((p) => p.includes('/')).length, 0) - 3;
    assert.ok(whole.length >= 30 && whole.length < wanted, `killed with ${whole.length} of ${wanted} files whole`);

    const second = await run(args, env);
    assert.equal(second.code, 3, `exit 3 says a model was skipped for access:\n${second.out}`);
    assert.match(second.out, new RegExp(`SKIPPED ${gated.model}: .*accept the dataset's terms at ${server.url}/datasets/${detailsRepo(gated.model)}`));
    assert.match(second.out, /30 of 31 models collected/);

    // nothing that reached the disk is fetched again: whole files are not asked for, partial ones resume by range
    const after = resolves(server).filter((r) => server.log.indexOf(r) >= killedAt);
    const fileOf = (r: { path: string }) => r.path.replace(/^\/datasets\/[^/]+\/[^/]+\/resolve\/[^/]+\//, '');
    assert.deepEqual(after.filter((r) => whole.includes(fileOf(r))).map(fileOf), [], 'whole files fetched again');
    for (const p of partial) assert.ok(after.filter((r) => fileOf(r) === p).every((r) => r.range && !/^bytes=0-/.test(r.range)), `${p} restarted from byte 0`);
    const starts = new Map<string, number>();
    for (const r of after.filter((x) => !x.range || /^bytes=0-/.test(x.range))) starts.set(r.path, (starts.get(r.path) ?? 0) + 1);
    assert.deepEqual([...starts].filter(([, n]) => n > 1), [], 'a file fetched twice from byte 0 by the resumed run');
    assert.ok(server.log.some((r) => r.host === 'store' && r.range && !/^bytes=0-/.test(r.range)), 'the cut file was resumed with a range request');
    assert.ok(server.log.some((r) => r.status === 429), 'the server rate-limited some requests');
    assert.ok(server.log.some((r) => r.path.includes('/tree/') && r.path && server.log.filter((x) => x.path === r.path).length > 1), 'listings were paged');

    // the token went to the Hub only, never to the file store, and is in no file and no output
    assert.ok(server.log.some((r) => r.host === 'hub' && r.authorization === `Bearer ${TOKEN}`));
    assert.ok(server.log.every((r) => r.host === 'hub' || r.authorization === undefined), 'the file store saw an Authorization header');
    for (const f of allFiles(dir)) assert.ok(!fs.readFileSync(f).includes(TOKEN), `the token is written in ${f}`);
    assert.ok(!first.out.includes(TOKEN) && !second.out.includes(TOKEN));

    // a rerun fetches nothing and asks the Hub nothing about the models it has
    const n = server.log.length;
    const third = await run([...args, '--json'], env);
    assert.equal(third.code, 3);
    // --json: one document on stdout, the result, whatever the progress lines on stderr
    const result = JSON.parse(third.stdout);
    assert.equal(result.done, 30);
    assert.deepEqual(result.skipped.map((x: { model: string }) => x.model), [gated.model]);
    assert.equal(result.exitCode, 3);
    const asked = server.log.slice(n);
    assert.deepEqual(asked.filter((r) => r.host === 'store'), []);
    assert.deepEqual([...new Set(asked.map((r) => r.path.split('/tree/')[0]))], [`/api/datasets/${detailsRepo(gated.model)}`]);

    // the collected table is the raw folders' matrix, and the latest of two runs was taken
    const state = JSON.parse(fs.readFileSync(path.join(out, 'collect.json'), 'utf8'));
    assert.equal(state.models[gated.model].status, 'no-access');
    assert.equal(state.models[models[3].model].runs.leaderboard_musr_team_allocation, RUN_2);
    assert.ok(!JSON.stringify(state).includes(TOKEN));
    const fromTable = await readResponses(path.join(out, 'responses.parquet'));
    const fromRaw = await readResponses(path.join(out, 'raw'));
    assert.deepEqual(fromTable.matrix.models, fromRaw.matrix.models);
    assert.deepEqual(fromTable.matrix.items, fromRaw.matrix.items);
    assert.deepEqual(Array.from(fromTable.matrix.data), Array.from(fromRaw.matrix.data));
    assert.equal(fromTable.matrix.models.length, 30);
    assert.equal(fromTable.matrix.items.length, (3 + 7 + 1) * 6);
    const m3 = fromTable.matrix.models.indexOf(models[3].model);
    const i = fromTable.matrix.items.indexOf('leaderboard_musr_team_allocation/2');
    assert.equal(fromTable.matrix.data[m3 * fromTable.matrix.items.length + i], truth(models[3], 'leaderboard_musr_team_allocation', 2, RUN_2) ? 1 : 0);
    const fitA = await fitIrt(fromTable.matrix, { model: 'rasch', method: 'jml' });
    const fitB = await fitIrt(fromRaw.matrix, { model: 'rasch', method: 'jml' });
    assert.deepEqual(Array.from(fitA.items.b), Array.from(fitB.items.b));

    // the items files feed gradus split and a study as they are
    for (const t of TASKS) assert.ok(fs.existsSync(path.join(out, `${t}.items.jsonl`)), `${t}.items.jsonl`);
    const items = path.join(dir, 'items.jsonl');
    fs.writeFileSync(items, TASKS.map((t) => fs.readFileSync(path.join(out, `${t}.items.jsonl`), 'utf8')).join(''));
    const bins = makeBins({ item: fitA.items.item, difficulty: fitA.items.b }, { k: 3, testFraction: 0.3, seed: 1 });
    writeBins(path.join(dir, 'bins.csv'), bins);
    const split = await splitItems(items, path.join(dir, 'bins.csv'), path.join(dir, 'split'));
    assert.deepEqual([split.unknownItems, split.missingItems], [[], []]);
    const data = readSplitFolder(path.join(dir, 'split'), { id: 'id', prompt: 'prompt', answer: 'answer', choices: 'choices' });
    const mc = data.bins.flatMap((b) => [...b.train, ...b.test]).find((x) => x.id === 'leaderboard_mmlu_pro/4')!;
    assert.equal(mc.choices?.length, 10);
    assert.equal(mc.prompt, 'Question 4 of leaderboard_mmlu_pro: what follows?');
    assert.equal(mc.answer, '4');
  } finally {
    await server.close();
  }
});
