/** What runs the cells that are not done yet: here, in a pool of `parallel`, or as scheduler jobs. */
import type { Progress } from '../../util/progress.js';
import type { Cell } from '../plan.js';
import type { StudyStore } from '../store.js';

export interface ExecutorRun {
  /** the cells to run, in plan order */
  todo: Cell[];
  store: StudyStore;
  /** the folder the config's relative paths are read from */
  configDir: string;
  /** runs one cell in this process; throws CellFailure or GradusError when the cell fails */
  runCell(cell: Cell): Promise<void>;
  /** the command that runs one cell in another process: `gradus study CONFIG --out DIR --cell ID` */
  cellArgv(cell: Cell): string[];
  signal: AbortSignal;
  progress: Progress;
}

export interface CellOutcomes {
  done(cell: Cell, seconds: number): void;
  failed(cell: Cell, error: string, log?: string): void;
}

export type CellExecutor = (run: ExecutorRun, report: CellOutcomes) => Promise<void>;
