/**
 * The user's own trainer (TRL, axolotl, LLaMA-Factory, a launcher script) as an argv template. gradus writes the
 * training files, fills the placeholders, logs the output per cell, enforces the time limit and retries.
 */
import path from 'node:path';
import { z } from 'zod';
import { fillArgv } from '../util/template.js';
import type { CellContext, Learner, TrainingSet } from '../plugins/contract.js';
import { runCellCommand } from '../plugins/cellCommand.js';
import { writeTrainFiles } from '../plugins/itemFiles.js';
import { argv, env, int } from '../plugins/schema.js';
import { definePlugin } from '../plugins/registry.js';

const schema = z
  .object({
    kind: z.literal('command'),
    command: argv,
    format: z.enum(['chat', 'prompt']).default('chat'),
    timeout_s: z.number().positive().default(86400),
    retries: int(0).default(0),
    env: env.default({}),
    cwd: z.string().optional(),
    keeps_order: z.boolean().default(true),
  })
  .strict();

export const commandLearner = definePlugin(schema, (cfg): Learner => ({
  keepsOrder: cfg.keeps_order,
  async train(ctx: CellContext, set: TrainingSet): Promise<void> {
    const files = writeTrainFiles(ctx.dir, set.items);
    const vars = { ...ctx.vars, train_file: cfg.format === 'chat' ? files.chat : files.prompt, train_chat: files.chat, train_prompt: files.prompt, n_train: set.items.length };
    const argv = fillArgv(cfg.command, vars, 'learner.command');
    await runCellCommand(argv, ctx, { what: 'the training command', log: path.join(ctx.dir, 'train.log'), cwd: cfg.cwd, env: cfg.env, timeoutS: cfg.timeout_s, retries: cfg.retries });
  },
}));
