import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readResponses, summarize } from '../src/index.js';
import { hasShared, SHARED, cli } from './support/fixtures.js';

// The shared data is absent only outside this project's machines; on CI it is present and these run.
const opts = { skip: hasShared ? false : 'no ../shared/data' } as const;

describe('real data from ../shared/data', opts, () => {
  test('Open LLM Leaderboard v2 MuSR: counts match the data README', async () => {
    const { matrix, report } = await readResponses(path.join(SHARED, 'openllm-v2/musr.responses.csv'));
    const s = summarize(matrix, report);
    assert.equal(report.rows, 448 * 756);
    assert.equal(s.models, 429);
    assert.equal(s.items, 756);
    assert.equal(s.shareMissing, 0);
    assert.equal(report.duplicatesDropped, 19 * 756);
    assert.equal(report.conflicts, 0);
    assert.equal(s.meanCorrect.toFixed(3), '0.399');
  });

  test('MATH Level 5: 51 distinct models (53 submissions) solve nothing, 119 items are never solved', async () => {
    const { matrix, report } = await readResponses(path.join(SHARED, 'openllm-v2/math_hard.responses.csv'));
    const s = summarize(matrix, report);
    assert.equal(s.models, 428);
    assert.equal(s.items, 894);
    // the README's 0.051 counts all 447 rows; with the 19 repeated submissions kept once it is 0.0504
    assert.equal(s.meanCorrect.toFixed(4), '0.0504');
    assert.equal(report.rows, 447 * 894);
    // 53 of the 447 submissions solve nothing (the README's count); two of them are repeats, so 51 distinct models
    assert.equal(s.modelsNoCorrect, 51);
    assert.equal(s.itemsAllWrong, 119);
  });

  test('ChemBench: 22 models × 2,854 items', async () => {
    const { matrix } = await readResponses(path.join(SHARED, 'chembench/chembench.responses.csv'));
    assert.equal(matrix.models.length, 22);
    assert.equal(matrix.items.length, 2854);
  });

  test('LSAT7: a wide table with no id column, rows numbered', async () => {
    const { matrix } = await readResponses(path.join(SHARED, 'lsat/LSAT7.csv'));
    assert.equal(matrix.models.length, 1000);
    assert.deepEqual(matrix.items, ['Item.1', 'Item.2', 'Item.3', 'Item.4', 'Item.5']);
    assert.equal(matrix.models[0], '1');
  });

  test('gradus inspect --group per subtask', () => {
    const r = cli(['inspect', path.join(SHARED, 'openllm-v2/musr.responses.csv'), '--items', path.join(SHARED, 'openllm-v2/musr.items.csv'), '--group', 'subtask', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout);
    assert.deepEqual(j.groups.map((g: { group: string }) => g.group), ['murder_mysteries', 'object_placements', 'team_allocation']);
    assert.equal(j.groups.reduce((a: number, g: { items: number }) => a + g.items, 0), 756);
    assert.equal(j.duplicatesDropped, 14364);
  });
});
