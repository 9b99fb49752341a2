/**
 * Where each free parameter lives in the flat vector that the EM accelerator and the information matrix see.
 * rasch: d per item + log σ² (latent variance); 1pl: d per item + log a (common); 2pl: a, d per item; 3pl: a, d, γ per item.
 */
import type { ItemModel } from './model.js';

export interface MmlState {
  a: Float64Array;
  d: Float64Array;
  /** logit of c per item; −Infinity where c = 0 */
  g: Float64Array;
  logVar: number;
}

export interface Layout {
  model: ItemModel;
  nItems: number;
  freeA: boolean;
  freeG: boolean;
  size: number;
}

export function layoutFor(model: ItemModel, nItems: number, fixedGuessing: boolean): Layout {
  const freeA = model === '2pl' || model === '3pl';
  const freeG = model === '3pl' && !fixedGuessing;
  const size = nItems * (1 + (freeA ? 1 : 0) + (freeG ? 1 : 0)) + (model === 'rasch' || model === '1pl' ? 1 : 0);
  return { model, nItems, freeA, freeG, size };
}

export function pack(L: Layout, s: MmlState, x = new Float64Array(L.size)): Float64Array {
  const I = L.nItems;
  let o = 0;
  if (L.freeA) for (let i = 0; i < I; i++) x[o++] = s.a[i];
  for (let i = 0; i < I; i++) x[o++] = s.d[i];
  if (L.freeG) for (let i = 0; i < I; i++) x[o++] = s.g[i];
  if (L.model === 'rasch') x[o++] = s.logVar;
  if (L.model === '1pl') x[o++] = Math.log(s.a[0]);
  return x;
}

export function unpack(L: Layout, x: Float64Array, s: MmlState): MmlState {
  const I = L.nItems;
  let o = 0;
  if (L.freeA) for (let i = 0; i < I; i++) s.a[i] = x[o++];
  for (let i = 0; i < I; i++) s.d[i] = x[o++];
  if (L.freeG) for (let i = 0; i < I; i++) s.g[i] = x[o++];
  if (L.model === 'rasch') s.logVar = x[o++];
  if (L.model === '1pl') s.a.fill(Math.exp(x[o++]));
  return s;
}

/** Index of item i's a, d, g in the vector (−1 where not free); the shared slot (log σ² or log a) is `size − 1`. */
export function slots(L: Layout, i: number): { a: number; d: number; g: number } {
  const I = L.nItems;
  const base = L.freeA ? I : 0;
  return {
    a: L.freeA ? i : -1,
    d: base + i,
    g: L.freeG ? base + I + i : -1,
  };
}

export function cloneState(s: MmlState): MmlState {
  return { a: s.a.slice(), d: s.d.slice(), g: s.g.slice(), logVar: s.logVar };
}
