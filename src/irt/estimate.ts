/**
 * The one contract of the estimators: MML, JML and MAP all answer with an Estimate, in slope–intercept form
 * (z = aθ + d, P = c + (1 − c)σ(z)), and one conversion (toIrt) gives the IRT parameterisation and its SEs.
 */
import { sigmoid } from './model.js';

export interface Estimate {
  a: Float64Array;
  d: Float64Array;
  /** logit of c per item; −Infinity where c = 0 */
  g: Float64Array;
  /**
   * Per item, the covariance block of (a, d): var a, cov(a, d), var d. varA is NaN where the item has no slope
   * of its own (rasch, and 1pl when its common slope's variance is not known), so b's SE is d's alone.
   */
  varA: Float64Array;
  covAD: Float64Array;
  varD: Float64Array;
  theta: Float64Array;
  thetaSe: Float64Array;
  /** how θ and its SE were formed, for fit.json's `abilities` */
  thetaKind: string;
  seMethod: string;
  loglik: number;
  loglikKind: 'marginal' | 'joint';
  iterations: number;
  converged: boolean;
  /** the largest parameter change and the log-likelihood change of the last cycle */
  lastChange: number;
  lastLoglikChange: number;
  /** converged on the objective's plateau (priors.ts, PLATEAU_CYCLES) while parameters still crept along a ridge */
  plateau: boolean;
  /** the last cycle's largest change over the one CONTRACTION_WINDOW cycles before (changeTrail.ts); NaN if unknown */
  contraction: number;
  /** the parameters that moved most in the last cycle, largest first */
  moving: Moving[];
  /** variance of the latent distribution (mml rasch estimates it; 1 elsewhere) */
  latentVar: number;
  nParameters: number;
  /** the priors used, in words derived from priors.ts */
  priors: Record<string, string>;
  /** items and models held finite, and how */
  held: { items: number[]; models: number[]; how: string };
  /** mml: how EM ended */
  em: string | null;
  warnings: string[];
}

export interface Moving {
  item: number;
  parameter: 'a' | 'd' | 'logit c' | 'common' ;
  change: number;
}

/** The `count` largest moves, from a change per (item, parameter). */
export function largestMoves(moves: Moving[], count = 5): Moving[] {
  return moves.filter((m) => m.change > 0).sort((x, y) => y.change - x.change || x.item - y.item).slice(0, count);
}

export interface IrtParams {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  se_a: Float64Array;
  se_b: Float64Array;
}

/** b = −d/a, c = σ(g), and their SEs by the delta method (∂b/∂a = d/a², ∂b/∂d = −1/a); items with no answers stay NaN. */
export function toIrt(e: Estimate, answered: ArrayLike<number>): IrtParams {
  const n = e.a.length;
  const out: IrtParams = { a: new Float64Array(n), b: new Float64Array(n), c: new Float64Array(n), se_a: new Float64Array(n).fill(NaN), se_b: new Float64Array(n).fill(NaN) };
  for (let i = 0; i < n; i++) {
    const a = e.a[i];
    const d = e.d[i];
    out.a[i] = a;
    out.b[i] = -d / a;
    out.c[i] = e.g[i] === -Infinity ? 0 : sigmoid(e.g[i]);
    if (!answered[i]) continue;
    if (Number.isNaN(e.varA[i])) {
      out.se_b[i] = Math.sqrt(e.varD[i]) / a;
      continue;
    }
    const ga = d / (a * a);
    const gd = -1 / a;
    out.se_b[i] = Math.sqrt(ga * ga * e.varA[i] + 2 * ga * gd * e.covAD[i] + gd * gd * e.varD[i]);
    out.se_a[i] = Math.sqrt(e.varA[i]);
  }
  return out;
}
