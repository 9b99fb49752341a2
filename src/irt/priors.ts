/**
 * Every default and prior of the estimators, declared once. The descriptions written into fit.json (`priors`,
 * `held_finite.how`) are derived from these declarations, so the file cannot say other than what the fit used.
 */
import type { ItemModel, Method } from './model.js';

export const DEFAULTS = {
  /** the largest parameter change in one cycle at which a fit has converged (mirt's TOL) */
  tol: 1e-4,
  /** mml: quadrature points on [−thetaLimit, thetaLimit] (mirt's grid) */
  quadpts: 61,
  thetaLimit: 6,
  maxIterMml: 2000,
  maxIterJoint: 500,
  /** mml: the log-likelihood must also move less than this per model and cycle */
  tolLoglikPerModel: 1e-7,
  /** joint: the joint log-likelihood must also move less than this per model and sweep */
  tolJointLoglikPerModel: 1e-6,
  /** mml: models above this many parameters get per-item information blocks instead of the numerical Hessian */
  fullInfoMax: 300,
} as const;

/**
 * The largest slope allowed. An item that perfectly separates the models (all the strong ones right, all the weak
 * ones wrong, common on hard LLM benchmarks) has no finite ML slope: EM walks a off to infinity (a ≈ 190 after 40
 * cycles on MATH Level 5) and the fit never settles. Beyond |a| = 10 the curve is a step on any usable grid.
 */
export const SLOPE_BOUND = 10;

/**
 * A plateau also ends a fit: the objective moved less than its tolerance in each of this many cycles in a row while
 * no parameter moved more than PLATEAU_PARAM × tol. There the parameters only creep along a ridge that the data do
 * not resolve (the 3pl's a–c–d trade-off on items near the floor), and more cycles buy nothing.
 */
export const PLATEAU_CYCLES = 10;
export const PLATEAU_PARAM = 10;

/**
 * A fit that reaches its iteration limit says why (fit.json `convergence.diagnosis`), from the largest parameter
 * change per cycle: a `ridge` when the objective had settled (its last change under RIDGE_LOGLIK_REL of its size)
 * while parameters still drifted; `cycling` when that change shrank by less than CYCLING_RATIO over the last
 * CONTRACTION_WINDOW cycles (the updates circle a point instead of approaching it); else `slow`, still contracting,
 * where more iterations do help.
 */
export const CONTRACTION_WINDOW = 50;
export const CYCLING_RATIO = 0.9;
export const RIDGE_LOGLIK_REL = 1e-9;

/** PX-EM (see mml.ts): leave it once parameters move less than this per step, ... */
export const PX_UNTIL = 1e-3;
/** ...or after this many steps, whatever the size: where a slope sits at its bound the expanded model has no fixed point, and PX-EM cycles. */
export const PX_MAX_STEPS = 60;
/** answers × grid points up to which MML is finished by plain EM (2,000 × 1,000 at 30% missing is 8.5e7) */
export const PLAIN_FINISH_WORK = 3e8;

/** A normal prior N(0, sd²) on one parameter; a Beta(alpha, beta) prior on c. */
export interface Normal {
  sd: number;
}
export interface Beta {
  alpha: number;
  beta: number;
}

export const MML_PRIORS = {
  /** 3pl: BILOG-style priors on c and on log a */
  c: { alpha: 5, beta: 17 } as Beta,
  logA3pl: { sd: 0.5 } as Normal,
  /**
   * 3pl: a weak prior on d. The 3pl can explain an item that almost nobody gets right as guessing alone (P ≈ c for
   * every θ); its d then has no finite estimate and EM walks it toward −∞ for thousands of cycles (MATH: b past 35
   * after 300 cycles). A weak prior stops the walk and moves ordinary items' d by far less than their standard error.
   */
  d3pl: { sd: 10 } as Normal,
  /** items that every model answering them got right (or wrong): no finite ML, held by these */
  extremeD: { sd: 3 } as Normal,
  extremeLogA: { sd: 0.5 } as Normal,
};

/** Joint MAP's priors (the py-irt way); jml keeps the 3pl's priors on log a and c, which have no finite joint ML. */
export const MAP_PRIORS = { thetaSd: 1, dSd: 3, logASd: 1, cAlpha: 5, cBeta: 17 };

/** jml: models and items without variation are estimated after the fit as if they were this many answers short of it. */
export const EXTREME_SCORE_ADJ = 0.3;

export const normalText = (p: Normal) => `N(0, ${p.sd}²)`;
export const betaText = (p: Beta) => `Beta(${p.alpha}, ${p.beta})`;
const MAP_C: Beta = { alpha: MAP_PRIORS.cAlpha, beta: MAP_PRIORS.cBeta };

/** The priors a fit used, for fit.json's `priors` (guessing estimated unless `fixedGuessing`). */
export function priorsText(model: ItemModel, method: Method, fixedGuessing: boolean): Record<string, string> {
  const freeC = model === '3pl' && !fixedGuessing;
  if (method === 'mml') {
    if (model !== '3pl') return {};
    return {
      ...(freeC ? { c: betaText(MML_PRIORS.c), log_a: normalText(MML_PRIORS.logA3pl) } : {}),
      d: `${normalText(MML_PRIORS.d3pl)} (d = −a·b; ${normalText(MML_PRIORS.extremeD)} on items without variation)`,
    };
  }
  if (method === 'jml') {
    if (model !== '3pl') return {};
    return { log_a: normalText({ sd: MAP_PRIORS.logASd }), ...(freeC ? { c: betaText(MAP_C) } : {}) };
  }
  const out: Record<string, string> = { theta: normalText({ sd: MAP_PRIORS.thetaSd }), d: `${normalText({ sd: MAP_PRIORS.dSd })} (d = −a·b)` };
  if (model !== 'rasch') out.log_a = normalText({ sd: MAP_PRIORS.logASd });
  if (freeC) out.c = betaText(MAP_C);
  return out;
}

/** How items (and, for jml, models) without variation were held finite, for fit.json's `held_finite.how`. */
export function heldFiniteText(model: ItemModel, method: Method): string {
  if (method === 'mml') {
    const slope = model === '2pl' || model === '3pl' ? ` and log a ~ ${normalText(MML_PRIORS.extremeLogA)}` : '';
    return `priors d ~ ${normalText(MML_PRIORS.extremeD)}${slope} on items that every model answering them got right (or wrong)`;
  }
  if (method === 'jml') return `estimated after the fit against the other parameters with a ${EXTREME_SCORE_ADJ}-point extreme-score adjustment (no finite ML exists)`;
  return 'the MAP priors (items every model got right or wrong have no finite ML)';
}
