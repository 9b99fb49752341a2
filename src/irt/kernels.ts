/**
 * The registry of every kernel a worker thread can run, by name: imported only by the worker's entry (worker.ts).
 * Each kernel carries its own name, so a name cannot point at another kernel, and its context type is checked
 * where the main thread calls it (Runner.run is generic in the kernel's context).
 */
import type { Kernel } from '../parallel/runner.js';
import { ESTEP_POSTERIORS, ESTEP_SCATTER, ESTEP_TABLES } from './estep.js';
import { MSTEP_ITEMS } from './mstepItems.js';
import { JOINT_ITEM_INFO, JOINT_ITEMS, JOINT_MODEL_INFO, JOINT_MODELS } from './jointKernels.js';
import { ITEM_FIT } from './fitStats.js';
import { ROW_STATS } from './jointSetup.js';
import { LATENT_MOMENTS } from './latentStep.js';
import { COLS_FILL, ROWS_FILL } from '../responses/views.js';

const ALL: Kernel<never, unknown>[] = [ESTEP_POSTERIORS, ESTEP_SCATTER, ESTEP_TABLES, MSTEP_ITEMS, JOINT_ITEMS, JOINT_MODELS, JOINT_MODEL_INFO, JOINT_ITEM_INFO, ROW_STATS, ITEM_FIT, LATENT_MOMENTS, ROWS_FILL, COLS_FILL];

export const KERNELS: ReadonlyMap<string, Kernel<never, unknown>> = new Map(ALL.map((k) => [k.name, k]));
if (KERNELS.size !== ALL.length) throw new Error('two kernels share a name in src/irt/kernels.ts');
