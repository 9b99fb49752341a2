/**
 * A small pool of worker threads that run named kernels on row ranges. The pool knows no kernel: each worker is
 * started from a script (the caller's composition root) that looks kernels up by name in its own registry.
 * The numerics stay pure and testable on the main thread; the pool only spreads the same calls over the cores.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { serialRunner, type Kernel, type Runner } from './runner.js';

export function defaultThreads(): number {
  const env = Number(process.env.GRADUS_THREADS);
  if (Number.isInteger(env) && env > 0) return env;
  return Math.max(1, Math.min(os.cpus().length, 16));
}

export class WorkerPool implements Runner {
  private readonly workers: Worker[];
  constructor(script: URL, readonly size = defaultThreads()) {
    this.workers = Array.from({ length: size }, () => new Worker(script));
    // Workers must not keep a finished CLI alive, nor die silently.
    for (const w of this.workers) w.unref();
  }

  run<C, R>(kernel: Kernel<C, R>, ranges: Array<[number, number]>, ctx: (k: number) => C): Promise<R[]> {
    return Promise.all(ranges.map(([from, to], k) => this.runOn(k % this.size, kernel, from, to, ctx(k))));
  }

  /** Run one kernel call on worker `w` (a caller that hands out work as workers free up, and needs to know which did it). */
  runOn<C, R>(w: number, kernel: Kernel<C, R>, from: number, to: number, ctx: C): Promise<R> {
    const worker = this.workers[w];
    return new Promise<R>((resolve, reject) => {
      const onMessage = (msg: { ok: boolean; result?: R; error?: string }) => {
        worker.off('error', onError);
        if (msg.ok) resolve(msg.result as R);
        else reject(new Error(`worker kernel ${kernel.name} failed: ${msg.error}`));
      };
      const onError = (e: Error) => {
        worker.off('message', onMessage);
        reject(e);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      worker.postMessage({ kernel: kernel.name, ctx, from, to });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** work (answers, weighted by their cost) below which starting threads does not pay */
export const POOL_THRESHOLD = 400_000;

/** A pool of workers started from `script` when the work is big enough to repay starting threads, else the serial runner. */
export function runnerFor(script: URL, work: number, threshold = POOL_THRESHOLD): Runner {
  const n = defaultThreads();
  return n > 1 && work >= threshold ? new WorkerPool(script, n) : serialRunner;
}
