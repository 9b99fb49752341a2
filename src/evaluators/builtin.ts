/** The study's built-in evaluator: `gradus answer` on the cell's checkpoint in a child process, exact-match scoring. */
import fs from 'node:fs';
import path from 'node:path';
import type { CellContext, Evaluator, ItemResult } from '../study/cell.js';
import { runCellCommand } from '../study/cellCommand.js';
import type { StudyConfig } from '../study/config.js';
import type { StudyItem } from '../study/items.js';
import { writeEvalItems } from '../study/trainFile.js';
import { gradusArgv } from '../learners/gradusBin.js';
import { score } from './extract.js';

type BuiltinEvaluatorConfig = Extract<StudyConfig['evaluator'], { kind: 'builtin' }>;

export function builtinEvaluator(cfg: BuiltinEvaluatorConfig): Evaluator {
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
}
