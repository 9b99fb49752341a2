import { Option, type Command } from 'commander';
import { summarizeBins, type BinBy } from '../../difficulty/bins.js';
import type { DifficultyOn } from '../../difficulty/fromFit.js';
import { binsFromFit } from '../../difficulty/binsFromFit.js';
import { example, int, num } from '../options.js';
import { addJsonOption, emit, warn } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('bins')
    .description('cut the items of a fit into K difficulty bins (bin 0 the easiest), each with held-out test items')
    .argument('<fitdir>', 'a folder written by gradus fit')
    .requiredOption('--out <file>', 'bins.csv: item,difficulty,bin,split')
    .option('--k <n>', 'number of bins', '10')
    .addOption(new Option('--by <how>', 'quantile: equal counts; width: equal width on the difficulty scale').choices(['quantile', 'width']).default('quantile'))
    .option('--edges <list>', 'inner bin edges on the difficulty scale, comma-separated (overrides --k and --by)')
    .addOption(new Option('--on <difficulty>', 'b: IRT difficulty; p_correct: consensus difficulty (share of models wrong)').choices(['b', 'p_correct']).default('b'))
    .option('--test-fraction <share>', 'share of each bin held out as test items', '0.2')
    .option('--seed <n>', 'seed for the test split', '1')
    .option('--items <file>', 'a per-item table, for --group')
    .option('--group <column>', 'bin within each group of items (e.g. subtask)');
  addJsonOption(cmd);
  example(cmd, 'gradus bins fit/ --k 10 --on b --test-fraction 0.2 --seed 1 --out bins.csv');
  cmd.action((fitdir: string, o: Record<string, string>) => {
    const { rows, notes } = binsFromFit(fitdir, o.out, {
      k: int(o.k, '--k', 1),
      by: o.by as BinBy,
      edges: o.edges === undefined ? undefined : o.edges.split(',').map((e) => num(e.trim(), '--edges')),
      on: o.on as DifficultyOn,
      testFraction: num(o.testFraction, '--test-fraction'),
      seed: int(o.seed, '--seed'),
      items: o.items,
      group: o.group,
    });
    warn(notes, 'note');
    const bins = summarizeBins(rows);
    emit(o, { out: o.out, bins, notes }, () =>
      [
        'bin  items  test  difficulty range\n',
        ...bins.map((s) => `${`${s.group !== undefined ? `${s.group} ` : ''}${s.bin}`.padStart(3)}  ${String(s.items).padStart(5)}  ${String(s.test).padStart(4)}  ${s.difficulty_min.toFixed(3)} .. ${s.difficulty_max.toFixed(3)}\n`),
        `wrote ${o.out}\n`,
      ].join(''),
    );
  });
}
