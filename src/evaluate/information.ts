/**
 * What an item tells about θ: Fisher information at a point, and Kullback–Leibler information weighted by the
 * posterior (catR's "KLP"), which judges an item over the abilities still plausible rather than at one guess.
 */
import { sigmoid } from '../irt/model.js';
import { NODES } from './ability.js';

/** Fisher information of a 3PL item: a²·(P − c)²·Q / ((1 − c)²·P); a²PQ when c = 0. */
export function fisherInfo(theta: number, a: number, b: number, c: number): number {
  const s = sigmoid(a * (theta - b));
  if (c === 0) return a * a * s * (1 - s);
  const P = c + (1 - c) * s;
  return (a * a * (P - c) ** 2 * (1 - P)) / ((1 - c) ** 2 * P);
}

/** Nodes that carry the posterior (weight above 1e-6 of the total): KL sums over these only. */
export function supportNodes(weights: Float64Array): Int32Array {
  const out: number[] = [];
  for (let q = 0; q < weights.length; q++) if (weights[q] > 1e-6) out.push(q);
  return Int32Array.from(out);
}

/**
 * Σ_q w(θ_q)·KL(P(θ̂) ‖ P(θ_q)): how far the answer distribution at the estimate is from that at each plausible θ.
 */
export function klInfo(theta: number, a: number, b: number, c: number, weights: Float64Array, support: Int32Array): number {
  const P0 = c + (1 - c) * sigmoid(a * (theta - b));
  const Q0 = 1 - P0;
  let s = 0;
  for (let k = 0; k < support.length; k++) {
    const q = support[k];
    const P = Math.min(Math.max(c + (1 - c) * sigmoid(a * (NODES[q] - b)), 1e-300), 1 - 1e-16);
    s += weights[q] * (P0 * Math.log(P0 / P) + (Q0 > 0 ? Q0 * Math.log(Q0 / (1 - P)) : 0));
  }
  return s;
}
