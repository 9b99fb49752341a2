/**
 * How a fit ended where its parameters did not settle (fit.json `convergence`): on the objective's plateau, or at
 * the iteration limit, and then why (priors.ts, CONTRACTION_WINDOW): who was still moving, and what to do.
 */
import type { Estimate } from './estimate.js';
import type { ItemModel } from './model.js';
import { CONTRACTION_WINDOW, CYCLING_RATIO, RIDGE_LOGLIK_REL } from './priors.js';

export interface Convergence {
  criterion: 'objective plateau' | 'iteration limit';
  /** at the iteration limit, why the parameters did not settle (priors.ts, CONTRACTION_WINDOW) */
  diagnosis?: 'ridge' | 'cycling' | 'slow';
  /** the last cycle's largest change over the one CONTRACTION_WINDOW cycles before */
  contraction?: number | null;
  still_moving: Array<{ item: string; parameter: string; change: number }>;
  advice: string;
}

/** Where the parameters did not settle (a plateau, or the iteration limit): who was still moving, and what to do. */
export function convergenceOf(est: Estimate, items: readonly string[], model: ItemModel, fixedGuessing: boolean): Convergence | undefined {
  if (est.converged && !est.plateau) return undefined;
  const ridge = model === '3pl' && !fixedGuessing;
  const diagnosis = est.plateau ? undefined : stallOf(est);
  const first = est.plateau
    ? 'the log-likelihood no longer moves: these parameters are weakly identified by the data, and more iterations would not change the fit.'
    : STALL_TEXT[diagnosis!](est);
  return {
    criterion: est.plateau ? 'objective plateau' : 'iteration limit',
    ...(diagnosis ? { diagnosis, contraction: Number.isFinite(est.contraction) ? est.contraction : null } : {}),
    still_moving: est.moving.map((x) => ({ item: x.item >= 0 ? items[x.item] : '(all items)', parameter: x.parameter, change: x.change })),
    advice: ridge ? `${first} On the 3pl, the guessing c of items near the floor trades against their a and d along a ridge where the likelihood is flat: fix c (guessing, e.g. --guessing 0.25 for four options) or fit the 2pl for estimates the data pin down.` : first,
  };
}

export function stallOf(est: Estimate): 'ridge' | 'cycling' | 'slow' {
  if (Number.isFinite(est.lastLoglikChange) && est.lastLoglikChange <= RIDGE_LOGLIK_REL * Math.abs(est.loglik)) return 'ridge';
  return est.contraction >= CYCLING_RATIO ? 'cycling' : 'slow';
}

const STALL_TEXT: Record<'ridge' | 'cycling' | 'slow', (est: Estimate) => string> = {
  ridge: (e) => `the log-likelihood had settled (it moved by ${fmt(e.lastLoglikChange)} in the last cycle) while these parameters still drifted: they lie on a ridge the data do not resolve, and more iterations would not change the fit.`,
  cycling: (e) => `the updates stopped contracting: over the last ${CONTRACTION_WINDOW} cycles the largest change shrank only ×${fmt(e.contraction)}, so they circle a point instead of approaching it and more iterations would not settle them.`,
  slow: (e) => `the fit was still approaching its optimum${Number.isFinite(e.contraction) ? ` (the largest change shrank ×${fmt(e.contraction)} over the last ${CONTRACTION_WINDOW} cycles)` : ''}: raise the iteration limit (maxIter, --max-iter) or loosen the tolerance (tol, --tol).`,
};

export const fmt = (x: number) => (Number.isFinite(x) ? x.toPrecision(3) : 'not measured');
