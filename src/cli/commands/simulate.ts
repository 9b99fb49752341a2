import path from 'node:path';
import { Option, type Command } from 'commander';
import { simulate } from '../../irt/simulate.js';
import { ITEM_MODELS, type ItemModel } from '../../irt/model.js';
import { writeResponses } from '../../responses/write.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { csvTable } from '../../util/csv.js';
import { GradusError } from '../../errors.js';
import { example, int, num } from '../options.js';

export interface SimulateFilesOptions {
  models: number;
  items: number;
  model: ItemModel;
  missing: number;
  seed: number;
  guessing?: number;
  out: string;
}

/** Library face of `gradus simulate`: responses in the long format, and the truth beside them. */
export async function simulateToFiles(o: SimulateFilesOptions): Promise<{ responses: string; truthItems: string; truthModels: string }> {
  if (!(o.missing >= 0 && o.missing < 1)) throw new GradusError(`--missing ${o.missing} is not a share in [0, 1)`, 'Give the share of cells to leave empty, e.g. 0.2.');
  if (o.models < 1 || o.items < 1) throw new GradusError('--models and --items must be at least 1', 'Give the matrix size, e.g. --models 200 --items 100.');
  const sim = simulate(o);
  await writeResponses(sim.matrix, o.out);
  const stem = o.out.replace(/(\.(csv|tsv|jsonl|ndjson|json|parquet))?(\.gz)?$/i, '');
  const truthItems = `${stem}.truth-items.csv`;
  const truthModels = `${stem}.truth-models.csv`;
  const m = sim.matrix;
  writeFileAtomic(truthItems, csvTable(['item', 'b', 'a', 'c'], m.items.length, (r, c) => [m.items[r], sim.params.b[r], sim.params.a[r], sim.params.c[r]][c]));
  writeFileAtomic(truthModels, csvTable(['model', 'theta'], m.models.length, (r, c) => [m.models[r], sim.theta[r]][c]));
  return { responses: o.out, truthItems, truthModels };
}

export function register(program: Command): void {
  const cmd = program
    .command('simulate')
    .description('write simulated responses from a known IRT model, with the true parameters beside them')
    .requiredOption('--out <file>', 'responses file (.csv .tsv .jsonl .parquet, optionally .gz); truth goes to <stem>.truth-items.csv and <stem>.truth-models.csv')
    .option('--models <n>', 'number of models (respondents)', '200')
    .option('--items <n>', 'number of items', '100')
    .addOption(new Option('--model <model>', 'item model').choices(ITEM_MODELS as string[]).default('2pl'))
    .option('--missing <share>', 'share of cells left missing at random', '0')
    .option('--guessing <c>', '3pl: one fixed guessing parameter for every item')
    .option('--seed <n>', 'random seed', '1');
  example(cmd, 'gradus simulate --models 2000 --items 1000 --model 2pl --missing 0.3 --seed 7 --out sim.csv');
  cmd.action(async (o: Record<string, string>) => {
    const files = await simulateToFiles({
      models: int(o.models, '--models', 1),
      items: int(o.items, '--items', 1),
      model: o.model as ItemModel,
      missing: num(o.missing, '--missing'),
      seed: int(o.seed, '--seed'),
      guessing: o.guessing === undefined ? undefined : num(o.guessing, '--guessing'),
      out: o.out,
    });
    process.stdout.write(`wrote ${files.responses}\n      ${path.basename(files.truthItems)}, ${path.basename(files.truthModels)} beside it\n`);
  });
}
