/**
 * One kernel call on a worker thread of its own (parquetWorker.ts), for the Parquet readers' halves of a read: the
 * pool's wording stripped from an error, so that a file that cannot be read is reported alike whichever thread met
 * the fault.
 */
import type { Kernel } from '../parallel/runner.js';
import { WorkerPool } from '../parallel/pool.js';

export async function onParquetWorker<C, R>(kernel: Kernel<C, R>, from: number, to: number, ctx: C): Promise<R> {
  const pool = new WorkerPool(new URL('./parquetWorker.js', import.meta.url), 1);
  try {
    return await pool.runOn(0, kernel, from, to, ctx);
  } catch (e) {
    throw new Error((e as Error).message.replace(`worker kernel ${kernel.name} failed: `, ''));
  } finally {
    void pool.close();
  }
}
