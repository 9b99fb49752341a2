/** Cells in this process, `parallel` at a time (each learner and evaluator runs its own child processes). */
import { GradusError } from '../../errors.js';
import { CellFailure } from '../../plugins/contract.js';
import type { CellExecutor } from './contract.js';

export function localExecutor(parallel: number): CellExecutor {
  return async ({ todo, runCell, signal, progress }, report) => {
    let next = 0;
    const worker = async () => {
      while (next < todo.length && !signal.aborted) {
        const cell = todo[next++];
        progress.cellStarted(cell.id);
        const t0 = Date.now();
        try {
          await runCell(cell);
          report.done(cell, (Date.now() - t0) / 1000);
        } catch (e) {
          if (signal.aborted) break;
          if (!(e instanceof CellFailure) && !(e instanceof GradusError)) throw e;
          report.failed(cell, e.message, e instanceof CellFailure ? e.log : undefined);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, todo.length)) }, worker));
  };
}
