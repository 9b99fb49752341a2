/**
 * A worker thread's share of a long Parquet table's pass 1 (parquetIds.ts), spoken to through the pool of
 * src/parallel: row groups in, ids and columns out, their buffers moved rather than copied.
 */
import { parentPort } from 'node:worker_threads';
import { ID_GROUPS, type IdTask } from './parquetIds.js';

parentPort!.on('message', (msg: { kernel: string; ctx: IdTask; from: number; to: number }) => {
  try {
    if (msg.kernel !== ID_GROUPS.name) throw new Error(`no kernel "${msg.kernel}" in src/responses/parquetIdsWorker.ts`);
    const r = ID_GROUPS.run(msg.ctx, msg.from, msg.to);
    const buffers = [...r.seen, ...r.caches.flat()].filter((a) => a !== null).map((a) => a!.buffer as ArrayBuffer);
    parentPort!.postMessage({ ok: true, result: r }, [...new Set(buffers)]);
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
