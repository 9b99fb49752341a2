import { Option, type Command } from 'commander';
import { subsetFromFit } from '../../evaluate/folders.js';
import { SUBSET_METHODS, type SubsetMethod } from '../../evaluate/subset.js';
import { example, int } from '../options.js';
import { addJsonOption, emit } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('subset')
    .description('choose N anchor items from a fit (calibration data only), each weighted by the share of the bank it stands for')
    .argument('<fitdir>', 'a folder written by gradus fit')
    .requiredOption('--n <n>', 'number of anchor items')
    .requiredOption('--out <file>', 'subset.csv: item,weight[,bin]')
    .addOption(new Option('--method <method>', 'info: spread information over the calibration abilities; mixed: half info, half cluster; cluster: k-means on response curves; stratified: equal per bin; random').choices(SUBSET_METHODS as string[]).default('info'))
    .option('--seed <n>', 'seed for cluster, mixed, stratified and random', '1')
    .option('--bins <file>', 'bins.csv from gradus bins: strata for stratified, and a bin column in the output');
  addJsonOption(cmd);
  example(cmd, 'gradus subset fit/ --n 100 --method cluster --seed 1 --bins bins.csv --out subset.csv');
  cmd.action((fitdir: string, o: Record<string, string>) => {
    const { bank, subset } = subsetFromFit(fitdir, { n: int(o.n, '--n', 1), method: o.method as SubsetMethod, seed: int(o.seed, '--seed'), bins: o.bins }, o.out);
    const items = Array.from(subset.items, (i, k) => ({ item: bank.ids[i], weight: subset.weights[k] }));
    emit(o, { out: o.out, method: o.method, bank_items: bank.ids.length, items }, () => `${subset.items.length} of ${bank.ids.length} items by ${o.method}; wrote ${o.out}\n`);
  });
}
