/**
 * The user's own evaluation command (lm-evaluation-harness, a script): gradus writes the items to score, runs the
 * command, and reads per-item correctness back with the response readers (long tables or harness folders).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { fill, fillArgv } from '../util/template.js';
import { runCellCommand } from '../plugins/cellCommand.js';
import { readResponses } from '../responses/read.js';
import { GradusError } from '../errors.js';
import { CellFailure, type CellContext, type Evaluator, type ItemResult, type StudyItem } from '../plugins/contract.js';
import { writeEvalItems } from '../plugins/itemFiles.js';
import { argv, env, int } from '../plugins/schema.js';
import { definePlugin } from '../plugins/registry.js';

const schema = z
  .object({
    kind: z.literal('command'),
    command: argv,
    results: z.string().default('{output_dir}'),
    model: z.string().optional(),
    metric: z.string().optional(),
    timeout_s: z.number().positive().default(86400),
    retries: int(0).default(0),
    env: env.default({}),
    cwd: z.string().optional(),
  })
  .strict();

export const commandEvaluator = definePlugin(schema, (cfg): Evaluator => {
  return {
    concurrent: true,
    async evaluate(ctx: CellContext, items: StudyItem[]): Promise<ItemResult[]> {
      const itemsFile = path.join(ctx.dir, 'eval-items.jsonl');
      const outDir = path.join(ctx.dir, 'eval-out');
      writeEvalItems(itemsFile, items);
      fs.rmSync(outDir, { recursive: true, force: true });
      fs.mkdirSync(outDir, { recursive: true });
      const vars = { ...ctx.vars, items_file: itemsFile, output_dir: outDir };
      const argv = fillArgv(cfg.command, vars, 'evaluator.command');
      const log = path.join(ctx.dir, 'eval.log');
      await runCellCommand(argv, ctx, { what: 'the evaluation command', log, cwd: cfg.cwd, env: cfg.env, timeoutS: cfg.timeout_s, retries: cfg.retries });
      const results = path.resolve(ctx.configDir, fill(cfg.results, vars, 'evaluator.results'));
      let matrix;
      try {
        ({ matrix } = await readResponses(results, { metric: cfg.metric }));
      } catch (e) {
        if (e instanceof GradusError) throw new CellFailure(`reading the evaluation's results: ${e.message}`, log);
        throw e;
      }
      const wanted = cfg.model !== undefined ? fill(cfg.model, vars, 'evaluator.model') : undefined;
      const m = wanted !== undefined ? matrix.models.indexOf(wanted) : matrix.models.length === 1 ? 0 : -1;
      if (m < 0) {
        throw new CellFailure(wanted !== undefined ? `the results in ${results} have no model "${wanted}" (they have ${matrix.models.slice(0, 5).join(', ')})` : `the results in ${results} hold ${matrix.models.length} models; name the one to read with evaluator.model`, log);
      }
      // ids as written, else the part after the last "/" (lm-eval names items task/doc_id)
      const index = new Map<string, number>();
      matrix.items.forEach((id, j) => index.set(id, j));
      matrix.items.forEach((id, j) => {
        const short = id.slice(id.lastIndexOf('/') + 1);
        if (!index.has(short)) index.set(short, j);
      });
      const nItems = matrix.items.length;
      const out: ItemResult[] = [];
      const lacking: string[] = [];
      for (const item of items) {
        const j = index.get(item.id);
        const v = j === undefined ? 255 : matrix.data[m * nItems + j];
        if (v === 255) lacking.push(item.id);
        else out.push({ id: item.id, bin: item.bin, correct: v === 1, output: null, extracted: null });
      }
      if (lacking.length) throw new CellFailure(`the results in ${results} lack ${lacking.length} of the ${items.length} items scored (e.g. ${lacking.slice(0, 3).join(', ')})`, log);
      return out;
    },
  };
});
