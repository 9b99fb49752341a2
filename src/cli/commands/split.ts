import type { Command } from 'commander';
import { splitItems } from '../../difficulty/split.js';
import { example } from '../options.js';
import { addJsonOption, emit } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('split')
    .description('write per-bin train/test JSONL files of the items, with difficulty, bin and split added')
    .argument('<items>', 'items as JSONL, one object per line with an "id" (or "item") field')
    .requiredOption('--bins <file>', 'bins.csv from gradus bins')
    .requiredOption('--out <dir>', 'folder for bin-00/train.jsonl, bin-00/test.jsonl, ..., manifest.json');
  addJsonOption(cmd);
  example(cmd, 'gradus split items.jsonl --bins bins.csv --out split/');
  cmd.action(async (items: string, o: Record<string, string>) => {
    const r = await splitItems(items, o.bins, o.out);
    emit(o, r, () =>
      [
        'bin  train  test  difficulty range\n',
        ...r.bins.map((b) => `${String(b.bin).padStart(3)}  ${String(b.train).padStart(5)}  ${String(b.test).padStart(4)}  ${b.difficulty_min.toFixed(3)} .. ${b.difficulty_max.toFixed(3)}\n`),
        `wrote ${r.manifest}\n`,
      ].join(''),
    );
    if (r.unknownItems.length) process.stderr.write(`warning: ${r.unknownItems.length} item(s) in ${items} are not in the bins and were not written (e.g. ${r.unknownItems.slice(0, 3).join(', ')}); see manifest.json.\n`);
    if (r.missingItems.length) process.stderr.write(`warning: ${r.missingItems.length} binned item(s) are missing from ${items} (e.g. ${r.missingItems.slice(0, 3).join(', ')}); see manifest.json.\n`);
  });
}
