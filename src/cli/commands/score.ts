import path from 'node:path';
import { Option, type Command } from 'commander';
import { ABILITY_METHODS, type AbilityMethod } from '../../irt/abilities.js';
import { abilitiesCsv, scoreFiles } from '../../irt/score.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { addReadOptions, example, readOptionsFrom } from '../options.js';
import { addJsonOption, emit } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('score')
    .description('abilities of new models against already calibrated items (a fit folder or its items.csv)')
    .argument('<responses...>', 'the new models\' responses')
    .requiredOption('--items <file>', 'FITDIR/items.csv (or FITDIR)')
    .addOption(new Option('--method <method>', 'ability estimator').choices(ABILITY_METHODS as string[]).default('eap'))
    .option('--out <file>', 'write model,theta,se_theta,n as CSV (default: print)');
  addJsonOption(cmd);
  addReadOptions(cmd);
  example(cmd, 'gradus score new-model.csv --items fit/items.csv --method wle --out abilities.csv');
  cmd.action(async (inputs: string[], o: Record<string, string>) => {
    const r = await scoreFiles(inputs, o.items, o.method as AbilityMethod, readOptionsFrom(o));
    const text = abilitiesCsv(r);
    if (o.out) writeFileAtomic(o.out, text);
    const json = { models: Array.from(r.model, (model, j) => ({ model, theta: r.theta[j], se_theta: r.se[j], n: r.n[j] })), unknown_items: r.unknownItems, ...(o.out ? { out: o.out } : {}) };
    emit(o, json, () => (o.out ? `wrote ${path.resolve(o.out)}\n` : text));
    if (r.unknownItems.length) process.stderr.write(`warning: ${r.unknownItems.length} item(s) are not in the calibrated bank and were ignored (e.g. ${r.unknownItems.slice(0, 3).join(', ')}).\n`);
  });
}
