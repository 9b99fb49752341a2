/**
 * gradus subset / estimate / cat end to end, their files, their errors, and adaptive testing of a live model through
 * a real OpenAI-compatible HTTP server on loopback (test/support/answerServer.ts, port 0) that answers from a known
 * table, including one that breaks after N requests: the run stops with what was asked kept, and a rerun resumes
 * without asking any item twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { cli, cliAsync, tmpDir, write } from './support/fixtures.js';
import { startAnswerServer } from './support/answerServer.js';
import { simulate } from '../src/irt/simulate.js';
import { writeResponses } from '../src/responses/write.js';
import { csvTable } from '../src/util/csv.js';
import { catToFolder, estimateFiles, subsetFromFit } from '../src/evaluate/folders.js';
import { replayResponder } from '../src/evaluate/responder.js';
import { readResponses } from '../src/responses/read.js';
import { liveResponder } from '../src/cli/liveResponder.js';

const rows = (f: string) => parse(fs.readFileSync(f, 'utf8'), { columns: true }) as Record<string, string>[];

/** A fit folder in the contract's format (items.csv, fit.json naming its input) from known 2PL parameters. */
async function world(items = 80) {
  const dir = tmpDir('gradus-eval-');
  const sim = simulate({ models: 160, items, model: '2pl', seed: 6 });
  const cal = { ...sim.matrix, models: sim.matrix.models.slice(0, 120), data: sim.matrix.data.subarray(0, 120 * items) };
  const fresh = { ...sim.matrix, models: sim.matrix.models.slice(120), data: sim.matrix.data.subarray(120 * items) };
  await writeResponses(cal, path.join(dir, 'cal.csv'));
  await writeResponses(fresh, path.join(dir, 'new.csv'));
  const p = sim.params;
  write(dir, 'fit/items.csv', csvTable(['item', 'b', 'a', 'c'], items, (r, c) => [sim.matrix.items[r], p.b[r], p.a[r], p.c[r]][c]));
  write(dir, 'fit/fit.json', JSON.stringify({ model: '2pl', method: 'mml', latent_var: 1, inputs: [path.join(dir, 'cal.csv')] }));
  write(dir, 'bins.csv', 'item,difficulty,bin,split\n' + sim.matrix.items.map((id, i) => `${id},${p.b[i]},${p.b[i] < -0.5 ? 0 : p.b[i] < 0.5 ? 1 : 2},train`).join('\n') + '\n');
  return { dir, sim, at: (...x: string[]) => path.join(dir, ...x) };
}

test('subset → estimate → cat --replay: the contract files, reproducible, and a model with no usable answer says so', async () => {
  const w = await world();
  let r = cli(['subset', w.at('fit'), '--n', '20', '--method', 'stratified', '--bins', w.at('bins.csv'), '--seed', '4', '--out', w.at('subset.csv')]);
  assert.equal(r.code, 0, r.stderr);
  const sub = rows(w.at('subset.csv'));
  assert.deepEqual(Object.keys(sub[0]), ['item', 'weight', 'bin']);
  assert.equal(sub.length, 20);
  assert.ok(Math.abs(sub.reduce((s, x) => s + Number(x.weight), 0) - 1) < 1e-9);
  const first = fs.readFileSync(w.at('subset.csv'));
  subsetFromFit(w.at('fit'), { n: 20, method: 'stratified', bins: w.at('bins.csv'), seed: 4 }, w.at('subset2.csv'));
  assert.ok(first.equals(fs.readFileSync(w.at('subset2.csv'))), 'same seed, same bytes');

  // one extra model that answered only an item the bank does not know
  fs.appendFileSync(w.at('new.csv'), 'ghost,not-an-item,1\n');
  r = cli(['estimate', w.at('fit'), w.at('new.csv'), '--subset', w.at('subset.csv'), '--bins', w.at('bins.csv'), '--out', w.at('est.csv')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /correction learned on 120 calibration models/);
  assert.match(r.stderr, /1 item\(s\) of the responses are not in the bank/);
  const est = rows(w.at('est.csv'));
  assert.deepEqual(Object.keys(est[0]), ['model', 'n_answered', 'theta', 'se_theta', 'accuracy', 'ci_low', 'ci_high']);
  assert.equal(est.length, 41);
  const ghost = est.find((x) => x.model === 'ghost')!;
  assert.deepEqual([ghost.n_answered, ghost.theta, ghost.accuracy], ['0', '', '']);
  for (const x of est.filter((e) => e.model !== 'ghost')) {
    assert.equal(x.n_answered, '20');
    assert.ok(Number(x.ci_low) <= Number(x.accuracy) && Number(x.accuracy) <= Number(x.ci_high));
  }
  const bins = rows(w.at('est.bins.csv'));
  assert.deepEqual(Object.keys(bins[0]), ['model', 'bin', 'n_answered', 'accuracy', 'ci_low', 'ci_high']);
  assert.equal(bins.length, 41 * 3);

  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--stop-se', '0.4', '--bins', w.at('bins.csv'), '--out', w.at('cat')]);
  assert.equal(r.code, 0, r.stderr);
  const traj = rows(w.at('cat', 'trajectory.csv'));
  assert.deepEqual(Object.keys(traj[0]), ['model', 'step', 'item', 'correct', 'theta', 'se_theta']);
  const cat = rows(w.at('cat', 'estimates.csv'));
  for (const x of cat.filter((e) => e.model !== 'ghost')) {
    const mine = traj.filter((t) => t.model === x.model);
    assert.equal(mine.length, Number(x.n_answered));
    assert.equal(new Set(mine.map((t) => t.item)).size, mine.length);
    assert.equal(mine.at(-1)!.se_theta, x.se_theta, 'the SE at stop is the one reported');
    assert.ok(Number(x.se_theta) <= 0.4);
  }
  assert.ok(fs.existsSync(w.at('cat', 'estimates.bins.csv')));
  // a rerun of a finished run asks nothing and writes the same estimates
  const before = fs.readFileSync(w.at('cat', 'estimates.csv'));
  const { matrix } = await readResponses(w.at('new.csv'));
  let asked = 0;
  const replay = (bank: Parameters<typeof replayResponder>[0]) => {
    const rep = replayResponder(bank, matrix);
    return { ...rep, ask: (m: string, i: number) => { asked++; return rep.ask(m, i); } };
  };
  await catToFolder(w.at('fit'), replay, { stopSe: 0.4, binsFile: w.at('bins.csv') }, w.at('cat'));
  assert.equal(asked, 0);
  assert.equal(rows(w.at('cat', 'trajectory.csv')).length, traj.length);
  assert.ok(before.equals(fs.readFileSync(w.at('cat', 'estimates.csv'))));
  // other settings on the same folder are refused, not mixed in
  await assert.rejects(catToFolder(w.at('fit'), replay, { stopSe: 0.3 }, w.at('cat')), /other settings/);
});

test('bad input: a subset larger than the bank, an unknown method, responses with no known item, a config without item texts', async () => {
  const w = await world(30);
  let r = cli(['subset', w.at('fit'), '--n', '31', '--out', w.at('s.csv')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--n 31 is larger than the bank \(30 items\)/);
  r = cli(['estimate', w.at('fit'), w.at('new.csv'), '--method', 'best', '--out', w.at('s.csv')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /'best' is invalid\. Allowed choices are eap, map, ml, wle/);
  assert.throws(() => subsetFromFit(w.at('fit'), { n: 5, method: 'best' as never }, w.at('s.csv')), /unknown subset method "best".*`method` is one of info, mixed, cluster, stratified, random/);
  await assert.rejects(catToFolder(w.at('fit'), () => { throw new Error('not reached'); }, { select: 'best' as never }, w.at('c0')), /unknown selection "best"/);
  write(w.dir, 'other.csv', 'model,item,correct\nm1,q1,1\nm1,q2,0\n');
  await assert.rejects(estimateFiles(w.at('fit'), [w.at('other.csv')], {}, w.at('e.csv')), /none of the 2 items in the responses is in the bank/);
  assert.ok(!fs.existsSync(w.at('e.csv')));
  const bank = (await import('../src/evaluate/bank.js')).loadBank(w.at('fit'));
  write(w.dir, 'noitems.yaml', 'model: base\nevaluator:\n  kind: openai\n  base_url: http://127.0.0.1:9/v1\n');
  assert.throws(() => liveResponder(w.at('noitems.yaml'), bank, w.at('c')), /noitems\.yaml.*field items.*needs the items with their text/s);
  write(w.dir, 'notext.jsonl', '{"id":"item001","answer":"1"}\n');
  write(w.dir, 'notext.yaml', 'model: base\nitems: notext.jsonl\nevaluator:\n  kind: openai\n  base_url: http://127.0.0.1:9/v1\n');
  assert.throws(() => liveResponder(w.at('notext.yaml'), bank, w.at('c')), /notext\.jsonl, line 1.*no text field "prompt"/);
  r = cli(['cat', w.at('fit'), '--out', w.at('c')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /either --replay RESPONSES or --config EVAL\.yaml/);
});

test('cat --config asks a live model over HTTP; a server that breaks after 5 requests stops the run with those kept, and a rerun resumes', async () => {
  const w = await world(40);
  const table = new Map(w.sim.matrix.items.map((id, i) => [id, { bin: 0, answer: String(i % 7) }]));
  write(w.dir, 'items.jsonl', w.sim.matrix.items.map((id, i) => JSON.stringify({ id, prompt: `[item ${id}] What is ${i} mod 7?`, answer: String(i % 7) })).join('\n') + '\n');
  const config = (url: string) => write(w.dir, 'eval.yaml', `model: base\nitems: items.jsonl\nevaluator:\n  kind: openai\n  base_url: ${url}\n  api_key_env: EVAL_KEY\n  answer: { kind: number }\n  retries: 0\n  timeout_s: 10\n`);
  const args = ['cat', w.at('fit'), '--config', w.at('eval.yaml'), '--stop-se', '0', '--max-items', '12', '--out', w.at('live')];
  const env = { EVAL_KEY: 'sk-test' };
  const broken = await startAnswerServer({ table, apiKey: 'sk-test', failAfter: 5 });
  try {
    config(broken.url);
    const r = await cliAsync(args, { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /asking base item "[^"]+" failed \(.*HTTP 500.*\).*kept in .*trajectory\.csv.*rerun the same command/s);
    assert.equal(broken.requests, 6);
    assert.equal(rows(w.at('live', 'trajectory.csv')).length, 5, 'the five answers are kept');
  } finally {
    await broken.close();
  }
  const healthy = await startAnswerServer({ table, apiKey: 'sk-test' });
  try {
    config(healthy.url);
    const r = await cliAsync(args, { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(healthy.requests, 7, 'only the 7 items not yet answered are asked');
    assert.equal(healthy.authFailures, 0);
    const traj = rows(w.at('live', 'trajectory.csv'));
    assert.equal(traj.length, 12);
    assert.equal(new Set(traj.map((t) => t.item)).size, 12, 'no item asked twice across the two runs');
    // the server's base model is right on ~30% of items, by a hash of the id: the trajectory records exactly that
    const { itemHash } = await import('./support/answerServer.js');
    for (const t of traj) assert.equal(t.correct, itemHash(t.item) < 30 ? '1' : '0', t.item);
    const est = rows(w.at('live', 'estimates.csv'));
    assert.equal(est[0].model, 'base');
    assert.equal(est[0].n_answered, '12');
    assert.ok(!fs.readFileSync(w.at('live', 'trajectory.csv'), 'utf8').includes('sk-test'));
  } finally {
    await healthy.close();
  }
});

test('a run killed mid-line resumes: the cut line is dropped, the answers before it kept, and nothing is asked twice', async () => {
  const w = await world(40);
  const { matrix } = await readResponses(w.at('new.csv'));
  const one = { ...matrix, models: matrix.models.slice(0, 1), data: matrix.data.subarray(0, 40) };
  const asked: number[] = [];
  const replay = (bank: Parameters<typeof replayResponder>[0]) => {
    const rep = replayResponder(bank, one);
    return { ...rep, ask: (m: string, i: number) => { asked.push(i); return rep.ask(m, i); } };
  };
  const o = { stopSe: 0, maxItems: 15, calibration: false as const };
  const ref = await catToFolder(w.at('fit'), replay, o, w.at('ref'));
  const full = fs.readFileSync(w.at('ref', 'trajectory.csv'), 'utf8');
  // as a kill leaves it: the header, six whole lines and half of the seventh
  const lines = full.split('\n');
  fs.mkdirSync(w.at('killed'));
  fs.writeFileSync(w.at('killed', 'trajectory.csv'), lines.slice(0, 7).join('\n') + '\n' + lines[7].slice(0, 9));
  fs.copyFileSync(w.at('ref', 'cat.json'), w.at('killed', 'cat.json'));
  asked.length = 0;
  const again = await catToFolder(w.at('fit'), replay, o, w.at('killed'));
  assert.equal(asked.length, 15 - 6, 'only the steps after the six whole lines are asked');
  assert.equal(fs.readFileSync(w.at('killed', 'trajectory.csv'), 'utf8'), full, 'the same trajectory as an unbroken run');
  assert.deepEqual(again.rows, ref.rows);
});

test('cat --start-anchors asks a subset file\'s items first, in its order, then adapts, and records the file', async () => {
  const w = await world();
  let r = cli(['subset', w.at('fit'), '--n', '8', '--method', 'cluster', '--seed', '2', '--out', w.at('anchors.csv')]);
  assert.equal(r.code, 0, r.stderr);
  const anchors = rows(w.at('anchors.csv')).map((x) => x.item);
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--start-anchors', w.at('anchors.csv'), '--stop-se', '5', '--min-items', '1', '--max-items', '14', '--out', w.at('cat')]);
  assert.equal(r.code, 0, r.stderr);
  const traj = rows(w.at('cat', 'trajectory.csv'));
  const models = [...new Set(traj.map((t) => t.model))];
  assert.equal(models.length, 40);
  for (const m of models) {
    const mine = traj.filter((t) => t.model === m).map((t) => t.item);
    // a loose --stop-se would end the test after one item; the anchors come first all the same
    assert.deepEqual(mine.slice(0, 8), anchors, m);
    assert.equal(new Set(mine).size, mine.length, "no item asked twice");
  }
  const catJson = JSON.parse(fs.readFileSync(w.at('cat', 'cat.json'), 'utf8'));
  assert.deepEqual(catJson.settings.start_anchors.items, anchors, 'the anchors themselves are recorded, not the file name');
  // an edited anchor file does not resume the run begun with the first one
  const edited = rows(w.at('anchors.csv')).slice(1);
  write(w.dir, 'anchors.csv', 'item,weight\n' + edited.map((x) => `${x.item},${x.weight}`).join('\n') + '\n');
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--start-anchors', w.at('anchors.csv'), '--stop-se', '5', '--min-items', '1', '--max-items', '14', '--out', w.at('cat')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /other settings/);
  // more anchors than --max-items would leave the anchors' mean standing for part of them only
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--start-anchors', w.at('anchors.csv'), '--max-items', '5', '--out', w.at('cat3')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /7 start anchors but at most 5 items.*--max-items/s);
  // a folder written before stopAccuracy and start_anchors were settings resumes with the same flags
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--stop-se', '0.5', '--out', w.at('old')]);
  assert.equal(r.code, 0, r.stderr);
  const oldJson = JSON.parse(fs.readFileSync(w.at('old', 'cat.json'), 'utf8'));
  delete oldJson.settings.stopAccuracy;
  delete oldJson.settings.start_anchors;
  fs.writeFileSync(w.at('old', 'cat.json'), JSON.stringify(oldJson));
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--stop-se', '0.5', '--out', w.at('old')]);
  assert.equal(r.code, 0, r.stderr);
  // a start-anchor file naming an item the bank does not know is refused with its line
  write(w.dir, 'bad-anchors.csv', `item,weight\n${anchors[0]},0.5\nnot-an-item,0.5\n`);
  r = cli(['cat', w.at('fit'), '--replay', w.at('new.csv'), '--start-anchors', w.at('bad-anchors.csv'), '--out', w.at('cat2')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not-an-item.*not in the fit's bank/s);
  assert.match(r.stderr, /bad-anchors\.csv.*3/);
});
