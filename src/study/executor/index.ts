/** The executor a study config names (`executor.kind`): local by default, or Slurm. */
import type { CellExecutor } from './contract.js';
import type { ExecutorConfig } from './schema.js';
import { localExecutor } from './local.js';
import { slurmExecutor } from './slurm.js';

export function makeExecutor(cfg: ExecutorConfig, parallel: number): CellExecutor {
  return cfg.kind === 'slurm' ? slurmExecutor(cfg) : localExecutor(parallel);
}
