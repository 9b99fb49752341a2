/** A worker thread's share of a long Parquet table's pass 1 (parquetIds.ts): row groups in, ids and columns out. */
import { parentPort, workerData } from 'node:worker_threads';
import { decodeIdGroups } from './parquetIds.js';

const { path, elements, groups, budget } = workerData;
try {
  const r = decodeIdGroups(path, elements, groups, budget);
  const buffers = [...r.seen, ...r.caches.flat()].filter((a) => a !== null).map((a) => a!.buffer as ArrayBuffer);
  parentPort!.postMessage({ ok: true, r }, [...new Set(buffers)]);
} catch (e) {
  parentPort!.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e) });
}
