import path from 'node:path';
import { Option, type Command } from 'commander';
import { abilities, ABILITY_METHODS, type AbilityMethod } from '../../irt/abilities.js';
import { readCalibratedItems } from '../../irt/fitFolder.js';
import { byModel, MISSING, type ResponseMatrix } from '../../responses/matrix.js';
import { readResponses, type ReadOptions } from '../../responses/read.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { csvTable } from '../../util/csv.js';
import { GradusError } from '../../errors.js';
import { addReadOptions, example, readOptionsFrom } from '../options.js';

export interface ScoreResult {
  model: readonly string[];
  theta: Float64Array;
  se: Float64Array;
  n: Int32Array;
  unknownItems: string[];
}

/** Abilities of (new) models against calibrated items: responses to items the bank does not know are ignored and listed. */
export function scoreMatrix(m: ResponseMatrix, itemsFile: string, method: AbilityMethod = 'eap'): ScoreResult {
  const bank = readCalibratedItems(itemsFile);
  const pos = new Map(bank.ids.map((id, k) => [id, k]));
  const cols: number[] = [];
  const unknownItems: string[] = [];
  m.items.forEach((id, i) => {
    const k = pos.get(id);
    if (k === undefined || bank.missing[k]) unknownItems.push(id);
    else cols.push(i);
  });
  if (!cols.length) throw new GradusError('none of the responses are to calibrated items', 'Check that the item ids match those in items.csv.', { file: itemsFile });
  // Re-index the responses onto the bank's item order.
  const nB = bank.ids.length;
  const data = new Uint8Array(m.models.length * nB).fill(MISSING);
  const nI = m.items.length;
  for (let j = 0; j < m.models.length; j++) for (const i of cols) data[j * nB + pos.get(m.items[i])!] = m.data[j * nI + i];
  const sp = byModel({ models: m.models, items: bank.ids, data });
  const variance = bank.info?.model === 'rasch' && bank.info.method === 'mml' ? bank.info.latent_var ?? 1 : 1;
  const r = abilities(sp, bank.params, { method, variance, skipItem: bank.missing });
  const n = Int32Array.from({ length: m.models.length }, (_, j) => sp.offsets[j + 1] - sp.offsets[j]);
  return { model: m.models, theta: r.theta, se: r.se, n, unknownItems };
}

export async function scoreFiles(inputs: string[], itemsFile: string, method: AbilityMethod, read: ReadOptions): Promise<ScoreResult> {
  const { matrix } = await readResponses(inputs, read);
  return scoreMatrix(matrix, itemsFile, method);
}

export function register(program: Command): void {
  const cmd = program
    .command('score')
    .description('abilities of new models against already calibrated items (a fit folder or its items.csv)')
    .argument('<responses...>', 'the new models\' responses')
    .requiredOption('--items <file>', 'FITDIR/items.csv (or FITDIR)')
    .addOption(new Option('--method <method>', 'ability estimator').choices(ABILITY_METHODS as string[]).default('eap'))
    .option('--out <file>', 'write model,theta,se_theta,n as CSV (default: print)');
  addReadOptions(cmd);
  example(cmd, 'gradus score new-model.csv --items fit/items.csv --method wle --out abilities.csv');
  cmd.action(async (inputs: string[], o: Record<string, string>) => {
    const r = await scoreFiles(inputs, o.items, o.method as AbilityMethod, readOptionsFrom(o));
    const text = csvTable(['model', 'theta', 'se_theta', 'n'], r.model.length, (j, c) => [r.model[j], r.theta[j], r.se[j], r.n[j]][c]);
    if (o.out) {
      writeFileAtomic(o.out, text);
      process.stdout.write(`wrote ${path.resolve(o.out)}\n`);
    } else process.stdout.write(text);
    if (r.unknownItems.length) process.stderr.write(`warning: ${r.unknownItems.length} item(s) are not in the calibrated bank and were ignored (e.g. ${r.unknownItems.slice(0, 3).join(', ')}).\n`);
  });
}
