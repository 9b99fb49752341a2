/**
 * Standard errors of MML: the observed information of the marginal likelihood (numerical Hessian of the
 * Fisher-identity gradient, as mirt's Oakes method estimates) for small models; per-item complete-data
 * information blocks beyond. Either way the answer is each item's (a, d) covariance block.
 */
import { invertSpd } from '../util/linalg.js';
import { nOffset, rOffset, type EStepSums, type EStepTables } from './estep.js';
import type { EStepRunner } from './estepRunner.js';
import { itemScore, type ItemState } from './itemStep.js';
import { cloneState, slots, unpack, type MmlState } from './layout.js';
import { commonSlopeScore, freeOf, type MmlSetup } from './mstep.js';
import { logNormalWeights } from './quadrature.js';

export interface ItemCovariance {
  varA: Float64Array;
  covAD: Float64Array;
  varD: Float64Array;
  kind: string;
}

/** The covariance blocks at the packed estimate x (state `s`, whose E-step gave `sums`). */
export async function mmlCovariance(c: MmlSetup, x: Float64Array, base: MmlState, sums: EStepSums, run: EStepRunner, tables: (s: MmlState) => Promise<EStepTables>, fullInfoMax: number): Promise<ItemCovariance> {
  const { L, nI } = c;
  const out: ItemCovariance = { varA: new Float64Array(nI).fill(NaN), covAD: new Float64Array(nI), varD: new Float64Array(nI).fill(NaN), kind: '' };
  const s = unpack(L, x, cloneState(base));
  if (L.size <= fullInfoMax) {
    const at = (xx: Float64Array) => unpack(L, xx, cloneState(base));
    const hess = await numericalHessian(x, async (xx) => gradient(c, at(xx), await run(await tables(at(xx)))));
    const cov = invertSpd(hess.map((h) => -h), L.size);
    out.kind = cov ? 'observed information (numerical Hessian of the marginal log-likelihood)' : 'none (information matrix not positive definite)';
    if (!cov) return out;
    const P = L.size;
    for (let i = 0; i < nI; i++) {
      const sl = slots(L, i);
      out.varD[i] = cov[sl.d * P + sl.d];
      // 1pl: the common slope is stored as log a, so var a = a²·var log a
      const aSlot = L.freeA ? sl.a : c.model === '1pl' ? P - 1 : -1;
      if (aSlot < 0) continue;
      const scale = L.freeA ? 1 : s.a[i];
      out.varA[i] = cov[aSlot * P + aSlot] * scale * scale;
      out.covAD[i] = cov[aSlot * P + sl.d] * scale;
    }
    return out;
  }
  out.kind = 'complete-data information, per-item blocks (ignores the missing-information correction; slightly small SEs)';
  const g = new Float64Array(3);
  const info = new Float64Array(9);
  for (let i = 0; i < nI; i++) {
    const st: ItemState = { a: s.a[i], d: s.d[i], g: s.g[i] };
    const k = itemScore(sums.rn, rOffset(i, c.Q), nOffset(i, c.Q), c.nodes, c.Q, st, c.priors[i], freeOf(L), g, info);
    const inv = invertSpd(info.subarray(0, k * k), k);
    if (!inv) continue;
    const dIdx = L.freeA ? 1 : 0;
    out.varD[i] = inv[dIdx * k + dIdx];
    if (L.freeA) {
      out.varA[i] = inv[0];
      out.covAD[i] = inv[1];
    }
  }
  return out;
}

/** The gradient of the marginal log-likelihood (plus log priors) in the packed layout, by the Fisher identity. */
function gradient(c: MmlSetup, s: MmlState, sm: EStepSums): Float64Array {
  const { L, nI, Q, nodes } = c;
  const out = new Float64Array(L.size);
  const g = new Float64Array(3);
  const info = new Float64Array(9);
  for (let i = 0; i < nI; i++) {
    const st: ItemState = { a: s.a[i], d: s.d[i], g: s.g[i] };
    itemScore(sm.rn, rOffset(i, Q), nOffset(i, Q), nodes, Q, st, c.priors[i], freeOf(L), g, info);
    const sl = slots(L, i);
    let u = 0;
    if (L.freeA) out[sl.a] = g[u++];
    out[sl.d] = g[u++];
    if (L.freeG) out[sl.g] = g[u++];
  }
  if (c.model === 'rasch') {
    const v = Math.exp(s.logVar);
    const lw = logNormalWeights(nodes, 0, v);
    let e2 = 0;
    for (let q = 0; q < Q; q++) e2 += Math.exp(lw[q]) * nodes[q] * nodes[q];
    let gv = 0;
    for (let q = 0; q < Q; q++) gv += (sm.nq[q] * (nodes[q] * nodes[q] - e2)) / (2 * v);
    out[L.size - 1] = gv;
  }
  if (c.model === '1pl') out[L.size - 1] = commonSlopeScore(c, s, sm, s.a[0]) * s.a[0];
  return out;
}

async function numericalHessian(x: Float64Array, grad: (x: Float64Array) => Promise<Float64Array>): Promise<Float64Array> {
  const n = x.length;
  const H = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const h = 1e-4 * Math.max(1, Math.abs(x[k]));
    const xp = x.slice();
    const xm = x.slice();
    xp[k] += h;
    xm[k] -= h;
    const gp = await grad(xp);
    const gm = await grad(xm);
    for (let r = 0; r < n; r++) H[r * n + k] = (gp[r] - gm[r]) / (2 * h);
  }
  for (let r = 0; r < n; r++)
    for (let cc = 0; cc < r; cc++) {
      const v = (H[r * n + cc] + H[cc * n + r]) / 2;
      H[r * n + cc] = v;
      H[cc * n + r] = v;
    }
  return H;
}
