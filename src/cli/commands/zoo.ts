import type { Command } from 'commander';
import { example, int } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('zoo')
    .description('train a zoo of small models (runs × checkpoints) on the built-in tasks and write every checkpoint\'s answers as responses.csv')
    .requiredOption('--items <file>', 'the study\'s items (from gradus tasks generate); the zoo trains on other items of the same families')
    .requiredOption('--out <dir>', 'zoo folder: runs/, answers/, responses.csv, zoo.json')
    .option('--quick', '4 runs, 60 checkpoints, instead of 7 runs, 119 checkpoints')
    .option('--train-items <n>', 'training items per family per run', '3000')
    .option('--jobs <n>', 'runs trained at once (default: one per core)')
    .option('--run <name>', '(internal) train and answer one run of the plan in this process');
  example(cmd, 'gradus zoo --items items.jsonl --out zoo/ && gradus fit zoo/responses.csv --model rasch --out fit/');
  cmd.action(async (o: Record<string, string | boolean | undefined>) => {
    // the transformer (TensorFlow.js) loads only when a command uses it, so the others start without it
    const { buildZoo, zooRun } = await import('../../tinylm/zoo.js');
    if (typeof o.run === 'string') {
      await zooRun(String(o.out), o.run, (s) => process.stderr.write(`${s}\n`));
      return;
    }
    const r = await buildZoo({
      items: String(o.items),
      out: String(o.out),
      quick: Boolean(o.quick),
      trainItems: int(o.trainItems, '--train-items', 1),
      jobs: o.jobs === undefined ? undefined : int(o.jobs, '--jobs', 1),
      onLine: (s) => process.stderr.write(`${s}\n`),
    });
    for (const m of r.models) process.stdout.write(`${m.model.padEnd(24)} ${(100 * m.accuracy).toFixed(1)}%\n`);
    process.stdout.write(`wrote ${r.responses} (${r.models.length} models)\n`);
  });
}
