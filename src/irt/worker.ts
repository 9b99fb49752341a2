import { parentPort } from 'node:worker_threads';
import { kernels, type KernelName } from './kernels.js';

parentPort!.on('message', (msg: { kernel: KernelName; ctx: object; from: number; to: number }) => {
  try {
    const result = kernels[msg.kernel](msg.ctx as never, msg.from, msg.to);
    parentPort!.postMessage({ ok: true, result });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
