/**
 * The calibrated item bank: the items of a `gradus fit` folder with their parameters in typed arrays, the ability
 * distribution of the calibration models (θ ~ N(0, latent variance), as the fit pinned it), and an id → index map.
 * Items the fit dropped (empty b) are not in the bank.
 */
import { calibratedItems, readFitFolder } from '../irt/fitFolder.js';
import type { ItemParams } from '../irt/model.js';

export interface ItemBank extends ItemParams {
  ids: readonly string[];
  index: ReadonlyMap<string, number>;
  /** the calibration models' ability distribution: the prior of every estimator and the range `info` covers */
  mean: number;
  variance: number;
  /** the response files the fit was made from, as fit.json records them: the calibration models */
  calibration?: string[];
}

export function makeBank(ids: readonly string[], p: ItemParams, mean = 0, variance = 1): ItemBank {
  return { ids, a: p.a, b: p.b, c: p.c, index: new Map(ids.map((id, k) => [id, k])), mean, variance };
}

/** The one place that reads a fit folder for evaluation. */
export function loadBank(fitDir: string): ItemBank {
  const fit = readFitFolder(fitDir);
  const cal = calibratedItems(fit);
  const keep: number[] = [];
  for (let k = 0; k < fit.items.item.length; k++) if (!cal.missing[k]) keep.push(k);
  const pick = (x: Float64Array) => Float64Array.from(keep, (k) => x[k]);
  const v = Number(fit.info?.latent_var);
  const inputs = (fit.info as { inputs?: unknown } | undefined)?.inputs;
  const bank = makeBank(keep.map((k) => fit.items.item[k]), { a: pick(cal.params.a), b: pick(cal.params.b), c: pick(cal.params.c) }, 0, Number.isFinite(v) && v > 0 ? v : 1);
  return Array.isArray(inputs) ? { ...bank, calibration: inputs.map(String) } : bank;
}
