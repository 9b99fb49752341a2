import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { byItem, byModel, MISSING, rowOffsets, type ResponseMatrix } from '../src/responses/matrix.js';
import { buildViews, ROWS_FILL } from '../src/responses/views.js';
import { WorkerPool } from '../src/parallel/pool.js';
import { serialRunner, type Runner } from '../src/parallel/runner.js';
import { u8 } from '../src/parallel/shared.js';
import { rng } from '../src/util/rng.js';

/** A matrix whose rows are often wholly missing, runs of them too, so that a thread's range can end on empty rows. */
function patchy(nM: number, nI: number, seed: number): ResponseMatrix {
  const r = rng(seed);
  const rand = () => r.next();
  const data = u8(nM * nI);
  for (let j = 0; j < nM; j++) {
    const empty = rand() < 0.3;
    const missing = rand();
    for (let i = 0; i < nI; i++) data[j * nI + i] = empty || rand() < missing ? MISSING : rand() < 0.5 ? 1 : 0;
  }
  return { models: Array.from({ length: nM }, (_, j) => `m${j}`), items: Array.from({ length: nI }, (_, i) => `i${i}`), data };
}

function naiveOffsets(data: Uint8Array, nM: number, nI: number): number[] {
  const out = [0];
  for (let j = 0; j < nM; j++) {
    let c = 0;
    for (let i = 0; i < nI; i++) if (data[j * nI + i] !== MISSING) c++;
    out.push(out[j] + c);
  }
  return out;
}

describe('sparse views (views.ts, matrix.ts)', () => {
  test('rowOffsets counts the answers of every row, whatever the alignment of the cells in their buffer', () => {
    const r = rng(11);
    const rand = () => r.next();
    for (let t = 0; t < 500; t++) {
      const nM = 1 + Math.floor(rand() * 6);
      const nI = Math.floor(rand() * 14);
      const lead = Math.floor(rand() * 5);
      const buf = new Uint8Array(lead + nM * nI + 3);
      // the bytes around the cells are MISSING before them and answers after, so that reading past either end shows
      buf.fill(MISSING, 0, lead);
      const data = buf.subarray(lead, lead + nM * nI);
      // any byte but MISSING is an answer to count (the fit checks the codes; these counts must agree with byModel)
      for (let k = 0; k < data.length; k++) data[k] = [0, 1, MISSING, 0x7f, 0x80, 0xfe][Math.floor(rand() * 6)];
      assert.deepEqual(Array.from(rowOffsets(data, nM, nI)), naiveOffsets(data, nM, nI), `${nM} × ${nI} at byte ${lead}`);
    }
  });

  test('the by-model fill of any split of the rows into ranges, runs of empty rows at their ends too, is byModel\'s', () => {
    const r = rng(5);
    for (let t = 0; t < 300; t++) {
      const m = patchy(3 + r.int(40), 1 + r.int(9), t);
      const nM = m.models.length;
      const nI = m.items.length;
      const want = byModel(m);
      // cut points at random, filled in reverse range order so that a range's stray write would land after its owner's
      const cuts = [0, ...Array.from({ length: r.int(5) }, () => r.int(nM + 1)), nM].sort((x, y) => x - y);
      const index = new Uint16Array(want.index.length + 1).fill(0xffff);
      const value = new Uint8Array(want.index.length + 1).fill(9);
      for (let k = cuts.length - 2; k >= 0; k--) ROWS_FILL.run({ data: m.data, nItems: nI, offsets: want.offsets, index, value, itemCount: new Int32Array(nI) }, cuts[k], cuts[k + 1]);
      assert.deepEqual([Array.from(index.subarray(0, -1)), Array.from(value.subarray(0, -1))], [Array.from(want.index), Array.from(want.value)], `cuts ${cuts}`);
      assert.deepEqual([index.at(-1), value.at(-1)], [0xffff, 9], 'nothing written past the last answer');
    }
  });

  test('both views are the same on 1, 2 and 3 worker threads as on the main thread, with empty rows at range ends', async () => {
    const pools: Runner[] = [new WorkerPool(new URL('../src/irt/worker.js', import.meta.url), 2), new WorkerPool(new URL('../src/irt/worker.js', import.meta.url), 3)];
    try {
      for (const [seed, nM, nI] of [[1, 200, 37], [2, 57, 300], [3, 9, 5], [4, 400, 3]]) {
        const m = patchy(nM, nI, seed);
        const want = { bm: byModel(m), bi: byItem(m) };
        for (const runner of [serialRunner, ...pools]) {
          const got = await buildViews(m, runner);
          for (const v of ['bm', 'bi'] as const) {
            assert.deepEqual(Array.from(got[v].offsets), Array.from(want[v].offsets), `${v} offsets, ${nM} × ${nI}, ${runner.size} threads`);
            assert.deepEqual(Array.from(got[v].index), Array.from(want[v].index), `${v} index, ${nM} × ${nI}, ${runner.size} threads`);
            assert.deepEqual(Array.from(got[v].value), Array.from(want[v].value), `${v} value, ${nM} × ${nI}, ${runner.size} threads`);
          }
        }
      }
    } finally {
      for (const p of pools) await p.close();
    }
  });
});
