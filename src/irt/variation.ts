import { byItem, type ResponseMatrix, type SparseView } from '../responses/matrix.js';

/** Per-item counts, and which items carry no information (everyone who answered got it right, or wrong). */
export interface ItemVariation {
  n: Int32Array;
  correct: Int32Array;
  pCorrect: Float64Array;
  extreme: Uint8Array;
}

export function itemVariation(m: ResponseMatrix, sp: SparseView = byItem(m)): ItemVariation {
  const nI = m.items.length;
  const n = new Int32Array(nI);
  const correct = new Int32Array(nI);
  const pCorrect = new Float64Array(nI);
  const extreme = new Uint8Array(nI);
  for (let i = 0; i < nI; i++) {
    n[i] = sp.offsets[i + 1] - sp.offsets[i];
    for (let k = sp.offsets[i]; k < sp.offsets[i + 1]; k++) correct[i] += sp.value[k];
    pCorrect[i] = n[i] ? correct[i] / n[i] : NaN;
    extreme[i] = n[i] > 0 && (correct[i] === 0 || correct[i] === n[i]) ? 1 : 0;
  }
  return { n, correct, pCorrect, extreme };
}

/** The indices of the items flagged in `extreme`. */
export function extremeIndices(extreme: Uint8Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < extreme.length; i++) if (extreme[i]) out.push(i);
  return out;
}
