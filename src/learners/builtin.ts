/**
 * The study's built-in learner: fine-tunes the small CPU transformer (src/tinylm) on a cell's training set with
 * `gradus train` in a child process of its own (one core each, so `parallel` cells really run side by side, and a
 * killed study takes its trainers with it). base_model is a checkpoint folder; empty trains from scratch.
 */
import path from 'node:path';
import { z } from 'zod';
import type { CellContext, Learner, TrainingSet } from '../plugins/contract.js';
import { runCellCommand } from '../plugins/cellCommand.js';
import { writeTrainFiles } from '../plugins/itemFiles.js';
import { int } from '../plugins/schema.js';
import { definePlugin } from '../plugins/registry.js';
import { gradusArgv } from '../util/gradusBin.js';

const schema = z
  .object({
    kind: z.literal('builtin'),
    steps: int(1).default(200),
    lr: z.number().positive().default(3e-4),
    batch: int(1).default(64),
  })
  .strict();

export const builtinLearner = definePlugin(schema, (cfg): Learner => ({
  keepsOrder: true,
  async train(ctx: CellContext, set: TrainingSet): Promise<void> {
    const files = writeTrainFiles(ctx.dir, set.items);
    const from = ctx.baseModel ? ['--from', path.resolve(ctx.configDir, ctx.baseModel)] : [];
    const argv = gradusArgv('train', '--data', files.prompt, ...from, '--out', ctx.modelPath, '--steps', String(cfg.steps), '--lr', String(cfg.lr), '--batch', String(cfg.batch), '--seed', String(ctx.cell.seed), ...(set.ordered ? ['--ordered'] : []));
    await runCellCommand(argv, ctx, { what: 'gradus train', log: path.join(ctx.dir, 'train.log') });
  },
}));
