import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readResponses, MISSING } from '../src/index.js';
import { tmpDir, write } from './support/fixtures.js';

function sample(doc_id: number, fields: Record<string, unknown>) {
  return JSON.stringify({ doc_id, doc: { question: `q${doc_id} "quoted" $(rm -rf /)` }, target: 'A', arguments: [], resps: [], filtered_resps: [], ...fields });
}

function writeRun(dir: string, folder: string, model: string, stamp: string) {
  write(dir, `${folder}/results_${stamp}.json`, JSON.stringify({ model_name: model, config: { model: 'hf', model_args: `pretrained=${model}` } }));
  write(dir, `${folder}/samples_arc_easy_${stamp}.jsonl`, [sample(0, { acc: 1, acc_norm: 0 }), sample(1, { acc: 0, acc_norm: 1 })].join('\n') + '\n');
  write(
    dir,
    `${folder}/samples_gsm8k_${stamp}.jsonl`,
    [
      sample(0, { filter: 'strict-match', exact_match: 1 }),
      sample(0, { filter: 'flexible-extract', exact_match: 0 }),
      sample(1, { filter: 'strict-match', exact_match: 0 }),
      sample(1, { filter: 'flexible-extract', exact_match: 1 }),
    ].join('\n') + '\n',
  );
}

test('lm-eval folders: a folder of model folders, default metrics, first filter kept', async () => {
  const dir = tmpDir();
  writeRun(dir, 'org__small', 'org/small', '2024-06-01T10-00-00.123456');
  writeRun(dir, 'org__big', 'org/big', '2024-06-02T11-30-00.654321');
  const r = await readResponses(dir);
  assert.deepEqual(r.matrix.models, ['org/big', 'org/small']);
  assert.deepEqual(r.matrix.items, ['arc_easy/0', 'arc_easy/1', 'gsm8k/0', 'gsm8k/1']);
  assert.deepEqual(Array.from(r.matrix.data.slice(0, 4)), [1, 0, 1, 0]);
  assert.ok(r.report.notes.some((n) => /arc_easy: metric acc/.test(n)));
  assert.ok(r.report.notes.some((n) => /gsm8k: metric exact_match/.test(n)));
});

test('lm-eval folders: --metric and --filter choose', async () => {
  const dir = tmpDir();
  writeRun(dir, 'm', 'one', '2024-06-01T10-00-00.1');
  const acc = await readResponses(dir, { metric: 'acc_norm' }).catch((e) => e);
  // gsm8k has no acc_norm: the error says which metrics a line has
  assert.match(String(acc.message), /no "acc_norm" field.*exact_match/);
  const r = await readResponses(dir, { filter: 'flexible-extract' });
  assert.deepEqual(Array.from(r.matrix.data), [1, 0, 0, 1]);
});

test('lm-eval folders combine with tables, and a folder without logs is an error', async () => {
  const dir = tmpDir();
  writeRun(dir, 'run', 'harness-model', '2024-06-01T10-00-00.1');
  const table = write(tmpDir(), 'more.csv', 'model,item,correct\nother,arc_easy/0,0\n');
  const r = await readResponses([dir, table]);
  assert.deepEqual(r.matrix.models, ['harness-model', 'other']);
  assert.equal(r.matrix.data[4 + 1], MISSING);
  const empty = tmpDir();
  write(empty, 'notes.txt', 'nothing');
  await assert.rejects(readResponses(empty), /no lm-evaluation-harness logs/);
});
