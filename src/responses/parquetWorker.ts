/**
 * A worker thread's share of a Parquet read, spoken to through the pool of src/parallel: pass 1 of a long table
 * (parquetIds.ts), whose ids and columns come back moved rather than copied, or the fill of a wide table's columns
 * (wideParquetFill.ts), which writes the shared matrix in place.
 */
import { parentPort } from 'node:worker_threads';
import { ID_GROUPS, type IdPass, type IdTask } from './parquetIds.js';
import { WIDE_FILL, type WideFillTask } from './wideParquetFill.js';

parentPort!.on('message', (msg: { kernel: string; ctx: unknown; from: number; to: number }) => {
  try {
    if (msg.kernel === ID_GROUPS.name) {
      const r: IdPass = ID_GROUPS.run(msg.ctx as IdTask, msg.from, msg.to);
      const buffers = [...r.seen, ...r.caches.flat()].filter((a) => a !== null).map((a) => a!.buffer as ArrayBuffer);
      parentPort!.postMessage({ ok: true, result: r }, [...new Set(buffers)]);
    } else if (msg.kernel === WIDE_FILL.name) {
      parentPort!.postMessage({ ok: true, result: WIDE_FILL.run(msg.ctx as WideFillTask, msg.from, msg.to) });
    } else {
      throw new Error(`no kernel "${msg.kernel}" in src/responses/parquetWorker.ts`);
    }
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
  }
});
