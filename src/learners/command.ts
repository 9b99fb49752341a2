/**
 * The user's own trainer (TRL, axolotl, LLaMA-Factory, a launcher script) as an argv template. gradus writes the
 * training files, fills the placeholders, logs the output per cell, enforces the time limit and retries.
 */
import path from 'node:path';
import { fillArgv } from '../util/template.js';
import { describeOutcome, runLogged } from '../util/runCommand.js';
import { CellFailure, type CellContext, type Learner } from '../study/cell.js';
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
      const log = path.join(ctx.dir, 'train.log');
      const timeoutMs = cfg.timeout_s * 1000;
      let last = '';
      for (let attempt = 0; attempt <= cfg.retries; attempt++) {
        if (attempt > 0) ctx.say(`${ctx.cell.id}: training failed (${last}); retry ${attempt} of ${cfg.retries}`);
        const r = await runLogged(argv, { log, cwd: cfg.cwd ? path.resolve(ctx.configDir, cfg.cwd) : ctx.configDir, env: cfg.env, timeoutMs, signal: ctx.signal });
        if (r.aborted) throw new CellFailure('interrupted', log);
        if (r.code === 0) return;
        last = describeOutcome(r, timeoutMs);
      }
      throw new CellFailure(`the training command ${last}`, log);
    },
  };
}
