/**
 * The user's own trainer (TRL, axolotl, LLaMA-Factory, a launcher script) as an argv template. gradus writes the
 * training files, fills the placeholders, logs the output per cell, enforces the time limit and retries.
 */
import path from 'node:path';
import { fillArgv } from '../util/template.js';
import type { CellContext, Learner } from '../study/cell.js';
import { runCellCommand } from '../study/cellCommand.js';
import type { StudyConfig } from '../study/config.js';
import type { TrainingSet } from '../study/strategies.js';
import { writeTrainFiles } from '../study/trainFile.js';

type CommandLearnerConfig = Extract<StudyConfig['learner'], { kind: 'command' }>;

export function commandLearner(cfg: CommandLearnerConfig): Learner {
  return {
    keepsOrder: cfg.keeps_order,
    async train(ctx: CellContext, set: TrainingSet): Promise<void> {
      const files = writeTrainFiles(ctx.dir, set.items);
      const vars = { ...ctx.vars, train_file: cfg.format === 'chat' ? files.chat : files.prompt, train_chat: files.chat, train_prompt: files.prompt, n_train: set.items.length };
      const argv = fillArgv(cfg.command, vars, 'learner.command');
      await runCellCommand(argv, ctx, { what: 'the training command', log: path.join(ctx.dir, 'train.log'), cwd: cfg.cwd, env: cfg.env, timeoutS: cfg.timeout_s, retries: cfg.retries });
    },
  };
}
