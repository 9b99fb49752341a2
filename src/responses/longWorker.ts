/**
 * The entry of a worker thread reading long CSV/TSV byte ranges for longText.ts, spoken to through the pool of
 * src/parallel. Its ids stay numbered across its ranges (one LongRows per worker), so each distinct id crosses to
 * the main thread once, with the first part it appears in.
 */
import { parentPort } from 'node:worker_threads';
import { LongRows, RANGE_KERNEL, readRange, type RangeTask } from './longRows.js';

let rows: LongRows | null = null;

parentPort!.on('message', (msg: { kernel: string; ctx: RangeTask; from: number; to: number }) => {
  try {
    if (msg.kernel !== RANGE_KERNEL) throw new Error(`no kernel "${msg.kernel}" in src/responses/longWorker.ts`);
    rows ??= new LongRows(msg.ctx.file, msg.ctx.delimiter, msg.ctx.cols);
    parentPort!.postMessage({ ok: true, result: readRange(rows, msg.ctx, msg.from, msg.to) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
