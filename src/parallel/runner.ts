/**
 * What numerics need from threads: run a kernel (a pure function over shared typed arrays) on ranges of rows.
 * This module imports nothing, so the numerics that take a Runner depend on no pool, and the pool on no numerics.
 */

/** A kernel is named so that a worker thread can find the same function in its registry. */
export interface Kernel<C, R> {
  readonly name: string;
  readonly run: (ctx: C, from: number, to: number) => R;
}

export interface Runner {
  readonly size: number;
  /** run one kernel on each range (range k on worker k), with `ctx(k)` its context; results in range order */
  run<C, R>(kernel: Kernel<C, R>, ranges: Array<[number, number]>, ctx: (k: number) => C): Promise<R[]>;
  close(): Promise<void>;
}

/** The serial runner: the same kernels, on this thread, one range after another. */
export const serialRunner: Runner = {
  size: 1,
  async run<C, R>(kernel: Kernel<C, R>, ranges: Array<[number, number]>, ctx: (k: number) => C): Promise<R[]> {
    return ranges.map(([from, to], k) => kernel.run(ctx(k), from, to));
  },
  async close() {},
};
