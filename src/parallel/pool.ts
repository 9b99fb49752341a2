/**
 * A small pool of worker threads that run named kernels (pure functions over shared typed arrays) on row ranges.
 * The numerics stay pure and testable on the main thread; the pool only spreads the same calls over the cores.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { kernels, type KernelName } from '../irt/kernels.js';

export interface Runner {
  readonly size: number;
  /** run one kernel on each range (range k on worker k), with `ctx(k)` its context; results in range order */
  run<R>(kernel: KernelName, ranges: Array<[number, number]>, ctx: (k: number) => object): Promise<R[]>;
  close(): Promise<void>;
}

/** The serial runner: the same kernels, on this thread, one range after another. */
export const serialRunner: Runner = {
  size: 1,
  async run<R>(kernel: KernelName, ranges: Array<[number, number]>, ctx: (k: number) => object): Promise<R[]> {
    return ranges.map(([from, to], k) => kernels[kernel](ctx(k) as never, from, to) as R);
  },
  async close() {},
};

export function defaultThreads(): number {
  const env = Number(process.env.GRADUS_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(os.cpus().length, 16));
}

export class WorkerPool implements Runner {
  private readonly workers: Worker[];
  constructor(readonly size = defaultThreads()) {
    this.workers = Array.from({ length: size }, () => new Worker(new URL('../irt/worker.js', import.meta.url)));
    // Workers must not keep a finished CLI alive, nor die silently.
    for (const w of this.workers) w.unref();
  }

  run<R>(kernel: KernelName, ranges: Array<[number, number]>, ctx: (k: number) => object): Promise<R[]> {
    return Promise.all(
      ranges.map(
        ([from, to], k) =>
          new Promise<R>((resolve, reject) => {
            const w = this.workers[k % this.size];
            const onMessage = (msg: { ok: boolean; result?: R; error?: string }) => {
              w.off('error', onError);
              if (msg.ok) resolve(msg.result as R);
              else reject(new Error(`worker kernel ${kernel} failed: ${msg.error}`));
            };
            const onError = (e: Error) => {
              w.off('message', onMessage);
              reject(e);
            };
            w.once('message', onMessage);
            w.once('error', onError);
            w.postMessage({ kernel, ctx: ctx(k), from, to });
          }),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A pool when the work is big enough to repay starting threads, else the serial runner. */
export function runnerFor(work: number, threshold = 400_000): Runner {
  const n = defaultThreads();
  return n > 1 && work >= threshold ? new WorkerPool(n) : serialRunner;
}
