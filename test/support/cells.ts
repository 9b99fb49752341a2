import { MISSING, type ResponseMatrix } from '../../src/index.js';

/** A matrix as `model|item` → 0, 1 or null (missing): cells named, so a test reads like the table it wrote. */
export function cellsOf(r: { matrix: ResponseMatrix }): Record<string, number | null> {
  const { models, items, data } = r.matrix;
  const out: Record<string, number | null> = {};
  models.forEach((m, a) => items.forEach((i, b) => {
    const v = data[a * items.length + b];
    out[`${m}|${i}`] = v === MISSING ? null : v;
  }));
  return out;
}
