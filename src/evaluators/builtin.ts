/** The study's built-in evaluator: `gradus answer` (src/tinylm) on the cell's checkpoint in a child process, exact-match scoring. */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { CellContext, Evaluator, ItemResult, StudyItem } from '../plugins/contract.js';
import { runCellCommand } from '../plugins/cellCommand.js';
import { writeEvalItems } from '../plugins/itemFiles.js';
import { int } from '../plugins/schema.js';
import { definePlugin } from '../plugins/registry.js';
import { gradusArgv } from '../util/gradusBin.js';
import { score } from './extract.js';

const schema = z.object({ kind: z.literal('builtin'), batch: int(1).default(256) }).strict();

export const builtinEvaluator = definePlugin(schema, (cfg): Evaluator => {
  return {
    concurrent: true,
    async evaluate(ctx: CellContext, items: StudyItem[]): Promise<ItemResult[]> {
      const itemsFile = path.join(ctx.dir, 'eval-items.jsonl');
      const answers = path.join(ctx.dir, 'answers.jsonl');
      writeEvalItems(itemsFile, items);
      const log = path.join(ctx.dir, 'eval.log');
      const model = path.resolve(ctx.configDir, ctx.modelPath);
      await runCellCommand(gradusArgv('answer', model, itemsFile, '--out', answers, '--batch', String(cfg.batch)), ctx, { what: 'gradus answer', log });
      const outputs = fs.readFileSync(answers, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; output: string });
      return items.map((item, k) => {
        const s = score(outputs[k].output, item.answer, { kind: 'exact', ignore_case: false });
        return { id: item.id, bin: item.bin, correct: s.correct, output: outputs[k].output, extracted: s.extracted };
      });
    },
  };
});
