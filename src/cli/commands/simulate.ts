import path from 'node:path';
import { Option, type Command } from 'commander';
import { simulateToFiles } from '../../irt/simulateFiles.js';
import { ITEM_MODELS, type ItemModel } from '../../irt/model.js';
import { example, int, num } from '../options.js';
import { addJsonOption, emit } from '../output.js';

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
  addJsonOption(cmd);
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
    emit(o, files, () => `wrote ${files.responses}\n      ${path.basename(files.truthItems)}, ${path.basename(files.truthModels)} beside it\n`);
  });
}
