/**
 * The study's built-in learner: fine-tunes the small CPU transformer on a cell's training set with `gradus train`
 * in a child process of its own (one core each, so `parallel` cells really run side by side, and a killed study
 * takes its trainers with it). base_model is a checkpoint folder; empty trains from scratch.
 */
import path from 'node:path';
import type { CellContext, Learner } from '../study/cell.js';
import { runCellCommand } from '../study/cellCommand.js';
import type { StudyConfig } from '../study/config.js';
import type { TrainingSet } from '../study/strategies.js';
import { writeTrainFiles } from '../study/trainFile.js';
import { gradusArgv } from './gradusBin.js';

type BuiltinLearnerConfig = Extract<StudyConfig['learner'], { kind: 'builtin' }>;

export function builtinLearner(cfg: BuiltinLearnerConfig): Learner {
  return {
    keepsOrder: true,
    async train(ctx: CellContext, set: TrainingSet): Promise<void> {
      const files = writeTrainFiles(ctx.dir, set.items);
      const from = ctx.baseModel ? ['--from', path.resolve(ctx.configDir, ctx.baseModel)] : [];
      const argv = gradusArgv('train', '--data', files.prompt, ...from, '--out', ctx.modelPath, '--steps', String(cfg.steps), '--lr', String(cfg.lr), '--batch', String(cfg.batch), '--seed', String(ctx.cell.seed), ...(set.ordered ? ['--ordered'] : []));
      await runCellCommand(argv, ctx, { what: 'gradus train', log: path.join(ctx.dir, 'train.log') });
    },
  };
}
