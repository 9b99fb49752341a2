/**
 * The bank's expected score curves, tabulated once: for the whole bank (row 0) and each difficulty bin (row 1 + bin),
 * Σ P_i(θ) and Σ P_i(θ)(1 − P_i(θ)) on a fine θ grid. A model's expected score on the items it did not answer is then
 * the row's curve minus its answered items, read off by interpolation: O(answered) per model, not O(bank), which is
 * what makes a 21,000-item bank cheap.
 */
import { sigmoid } from '../irt/model.js';
import type { ItemBank } from './bank.js';

export const CURVE_LIMIT = 6;
const G = 241;
const STEP = (2 * CURVE_LIMIT) / (G - 1);

export interface BankCurves {
  /** rows: 0 = whole bank, 1 + k = bin k */
  rows: number;
  /** items per row */
  count: Int32Array;
  /** row of each bank item's bin, 0 when it has none (it still counts in row 0) */
  binRow: Int32Array;
  sumP: Float64Array;
  sumPQ: Float64Array;
}

/** `bins[i]` is item i's bin (−1 for none); `nBins` bins 0..nBins−1. */
export function bankCurves(bank: ItemBank, bins?: Int32Array, nBins = 0): BankCurves {
  const n = bank.ids.length;
  const rows = 1 + nBins;
  const sumP = new Float64Array(rows * G);
  const sumPQ = new Float64Array(rows * G);
  const count = new Int32Array(rows);
  const binRow = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = bins && bins[i] >= 0 ? 1 + bins[i] : 0;
    binRow[i] = r;
    count[0]++;
    if (r) count[r]++;
    const a = bank.a[i], b = bank.b[i], c = bank.c[i];
    // e = exp(−a(θ − b)) along the grid by one multiplication a node (the exp of the first node and of the step),
    // where it cannot overflow; sigmoid() at each node otherwise
    const steps = Math.abs(a) * (2 * CURVE_LIMIT + Math.abs(b)) < 600;
    let e = Math.exp(-a * (-CURVE_LIMIT - b));
    const f = Math.exp(-a * STEP);
    for (let g = 0; g < G; g++, e *= f) {
      const P = c + (1 - c) * (steps ? 1 / (1 + e) : sigmoid(a * (-CURVE_LIMIT + g * STEP - b)));
      const pq = P * (1 - P);
      sumP[g] += P;
      sumPQ[g] += pq;
      if (r) {
        sumP[r * G + g] += P;
        sumPQ[r * G + g] += pq;
      }
    }
  }
  return { rows, count, binRow, sumP, sumPQ };
}

/** Linear interpolation of row r of a curve table at θ (clamped to the grid). */
export function curveAt(table: Float64Array, r: number, theta: number): number {
  const x = (Math.min(Math.max(theta, -CURVE_LIMIT), CURVE_LIMIT) + CURVE_LIMIT) / STEP;
  const g = Math.min(Math.floor(x), G - 2);
  const f = x - g;
  return table[r * G + g] * (1 - f) + table[r * G + g + 1] * f;
}
