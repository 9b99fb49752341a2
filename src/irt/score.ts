/** Library face of `gradus score`: abilities of (new) models against the calibrated items of a fit. */
import { GradusError, option } from '../errors.js';
import { byModel, MISSING, type ResponseMatrix } from '../responses/matrix.js';
import { readResponses, type ReadOptions } from '../responses/read.js';
import { csvTable } from '../util/csv.js';
import { abilities, type AbilityMethod } from './abilities.js';
import { calibratedItems, readFitFolder } from './fitFolder.js';

export interface ScoreResult {
  model: readonly string[];
  theta: Float64Array;
  se: Float64Array;
  n: Int32Array;
  unknownItems: string[];
}

/** `items` is a fit folder or its items.csv. Responses to items the bank does not know are ignored and listed. */
export function scoreMatrix(m: ResponseMatrix, items: string, method: AbilityMethod = 'eap'): ScoreResult {
  const fit = readFitFolder(items);
  const bank = calibratedItems(fit);
  const ids = fit.items.item;
  const pos = new Map(ids.map((id, k) => [id, k]));
  const cols: number[] = [];
  const unknownItems: string[] = [];
  m.items.forEach((id, i) => {
    const k = pos.get(id);
    if (k === undefined || bank.missing[k]) unknownItems.push(id);
    else cols.push(i);
  });
  if (!cols.length) throw new GradusError('none of the responses are to calibrated items', `Check that the item ids match those in the ${option('items')} file.`, { file: items });
  // Re-index the responses onto the bank's item order.
  const nB = ids.length;
  const data = new Uint8Array(m.models.length * nB).fill(MISSING);
  const nI = m.items.length;
  for (let j = 0; j < m.models.length; j++) for (const i of cols) data[j * nB + pos.get(m.items[i])!] = m.data[j * nI + i];
  const sp = byModel({ models: m.models, items: ids, data });
  const variance = fit.info?.model === 'rasch' && fit.info.method === 'mml' ? fit.info.latent_var ?? 1 : 1;
  const r = abilities(sp, bank.params, { method, variance, skipItem: bank.missing });
  const n = Int32Array.from({ length: m.models.length }, (_, j) => sp.offsets[j + 1] - sp.offsets[j]);
  return { model: m.models, theta: r.theta, se: r.se, n, unknownItems };
}

export async function scoreFiles(inputs: string[], items: string, method: AbilityMethod = 'eap', read: ReadOptions = {}): Promise<ScoreResult> {
  const { matrix } = await readResponses(inputs, read);
  return scoreMatrix(matrix, items, method);
}

/** The abilities file `gradus score --out` writes: model,theta,se_theta,n. */
export function abilitiesCsv(r: ScoreResult): string {
  return csvTable(['model', 'theta', 'se_theta', 'n'], r.model.length, (j, c) => [r.model[j], r.theta[j], r.se[j], r.n[j]][c]);
}
