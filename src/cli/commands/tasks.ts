import { Option, type Command } from 'commander';
import { FAMILY_NAMES } from '../../tasks/families.js';
import { countByLevel, writeTaskItems } from '../../tasks/write.js';
import { example, int } from '../options.js';

export function register(program: Command): void {
  const tasks = program.command('tasks').description('built-in procedural tasks with difficulty knobs');
  example(tasks, 'gradus tasks generate --family sort --n 1000 --out items.jsonl');
  const cmd = tasks
    .command('generate')
    .description('write N items of a task family (id, family, prompt, answer, level and its difficulty features) as JSONL')
    .addOption(new Option('--family <name>', 'task family (comma-separated for several)').default('addition'))
    .option('--n <n>', 'items per family', '1000')
    .option('--seed <n>', 'seed (same seed, same items)', '1')
    .option('--max-level <n>', 'highest difficulty level (default: the family\'s own)')
    .requiredOption('--out <file>', 'items.jsonl');
  example(cmd, 'gradus tasks generate --family addition --n 2000 --seed 1 --out items.jsonl');
  cmd.addHelpText('after', `\nFamilies: ${FAMILY_NAMES.join(', ')}.\n`);
  cmd.action((o: Record<string, string>) => {
    const families = o.family.split(',').map((s) => s.trim());
    const items = writeTaskItems(o.out, families, int(o.n, '--n', 1), int(o.seed, '--seed'), o.maxLevel === undefined ? undefined : int(o.maxLevel, '--max-level', 1));
    for (const [k, v] of countByLevel(items)) process.stdout.write(`${k}: ${v}\n`);
    process.stdout.write(`wrote ${items.length} items to ${o.out}\n`);
  });
}
