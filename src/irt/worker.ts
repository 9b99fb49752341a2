/** The entry of each worker thread: runs the kernel a message names, from the registry of this engine's kernels. */
import { parentPort } from 'node:worker_threads';
import { KERNELS } from './kernels.js';

parentPort!.on('message', (msg: { kernel: string; ctx: object; from: number; to: number }) => {
  try {
    const k = KERNELS.get(msg.kernel);
    if (!k) throw new Error(`no kernel "${msg.kernel}" in src/irt/kernels.ts`);
    parentPort!.postMessage({ ok: true, result: k.run(msg.ctx as never, msg.from, msg.to) });
  } catch (e) {
    parentPort!.postMessage({ ok: false, error: (e as Error).stack ?? String(e) });
  }
});
