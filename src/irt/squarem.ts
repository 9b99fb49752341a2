/**
 * The EM loop of MML with the SQUAREM accelerator (Varadhan & Roland 2008) and a monotonicity guard, starting
 * parameter-expanded (PX-EM) and finishing plain. Generic over the EM map: `em(x, px, boost)` is one E-step and
 * M-step from the packed parameters x, with the objective (log-likelihood plus log priors) at x; in plain EM it may
 * add a move of its own (mml.ts: the latent Newton step), scaled by `boost`, and then also return `plain`, the
 * M-step's point without it. A move that lowered the objective (seen at the next E-step) is undone: EM goes on from
 * that plain point, and later moves are shortened (BOOST_CUT), so the objective never falls.
 */
import { PLATEAU_CYCLES, PLATEAU_PARAM, PX_MAX_STEPS, PX_UNTIL } from './priors.js';
import { ChangeTrail } from './changeTrail.js';

export type EmMap = (x: Float64Array, px: boolean, boost: number) => Promise<EmStep>;

export interface EmStep {
  next: Float64Array;
  loglik: number;
  /** the M-step's point before the map's own move, where it made one */
  plain?: Float64Array;
}

/** a move that lowered the objective shortens later ones by this factor, and below BOOST_MIN they stop */
const BOOST_CUT = 4;
const BOOST_MIN = 1 / 64;
/** the objective's relative rounding noise: a fall below this is not a fall */
const FALL_REL = 1e-12;

export interface EmOptions {
  tol: number;
  /** the objective must also move less than this in the converging step */
  tolLoglik: number;
  maxIter: number;
  accelerate: boolean;
  /** finish with plain EM (the grid maximum); else stop at the PX-EM fixed point */
  finishPlain: boolean;
  onIteration?: (it: number, loglik: number, change: number) => void;
}

export interface EmOutcome {
  x: Float64Array;
  iterations: number;
  converged: boolean;
  lastChange: number;
  lastLoglikChange: number;
  /** converged on the objective's plateau (see PLATEAU_CYCLES) rather than on the parameters */
  plateau: boolean;
  /** the last accepted step, parameter by parameter: who was still moving */
  lastStep: Float64Array;
  /** see ChangeTrail */
  contraction: number;
}

export async function runEm(x0: Float64Array, em: EmMap, o: EmOptions): Promise<EmOutcome> {
  let x = x0;
  let iterations = 0;
  let lastChange = Infinity;
  let lastLl = -Infinity;
  let lastLlChange = Infinity;
  let stepMax = 4;
  let px = true;
  let flat = 0;
  let boost = o.accelerate ? 1 : 0;
  // the step that led to x: its objective, and its plain point to fall back on
  let from: EmStep | null = null;
  let lastStep: Float64Array = new Float64Array(x0.length);
  const trail = new ChangeTrail();
  const fell = (s: EmStep, before: EmStep) => s.loglik < before.loglik - FALL_REL * Math.abs(before.loglik);
  const undo = (before: EmStep) => {
    x = before.plain!;
    from = null;
    boost = boost / BOOST_CUT < BOOST_MIN ? 0 : boost / BOOST_CUT;
  };
  while (iterations < o.maxIter) {
    const s1 = await em(x, px, boost);
    iterations++;
    if (from?.plain && fell(s1, from)) {
      undo(from);
      continue;
    }
    const change1 = maxAbsDiff(s1.next, x);
    if (px && ((o.finishPlain && change1 < PX_UNTIL) || iterations > PX_MAX_STEPS)) {
      px = false;
      stepMax = 4;
      continue;
    }
    if (change1 < o.tol && Math.abs(s1.loglik - lastLl) < o.tolLoglik) {
      return { x: s1.next, iterations, converged: true, lastChange: change1, lastLoglikChange: Math.abs(s1.loglik - lastLl), plateau: false, lastStep: diff(s1.next, x), contraction: NaN };
    }
    lastLlChange = Math.abs(s1.loglik - lastLl);
    lastLl = s1.loglik;
    lastChange = change1;
    o.onIteration?.(iterations, s1.loglik, change1);
    // a SQUAREM cycle costs two more EM steps: near the iteration limit, plain steps keep the limit exact
    if (!o.accelerate || iterations + 2 > o.maxIter) {
      lastStep = diff(s1.next, x);
      x = s1.next;
      from = s1;
      trail.push(lastChange);
      flat = !px && lastLlChange < o.tolLoglik && lastChange < PLATEAU_PARAM * o.tol ? flat + 1 : 0;
      if (flat >= PLATEAU_CYCLES) return { x, iterations, converged: true, lastChange, lastLoglikChange: lastLlChange, plateau: true, lastStep, contraction: NaN };
      continue;
    }
    const s2 = await em(s1.next, px, boost);
    iterations++;
    if (s1.plain && fell(s2, s1)) {
      undo(s1);
      continue;
    }
    const { xp, atCap } = extrapolate(x, s1.next, s2.next, stepMax);
    const s3 = await em(xp, px, boost).catch(() => null);
    iterations++;
    // Keep the extrapolation only when it did not lower the objective (monotone EM), else the plain second step.
    const kept = s3 && Number.isFinite(s3.loglik) && s3.loglik >= s2.loglik - 1e-9 && s3.next.every(Number.isFinite);
    const [start, to] = kept ? [xp, s3] : [s1.next, s2];
    if (kept && atCap) stepMax *= 4;
    if (!kept) stepMax = Math.max(1, stepMax / 4);
    lastChange = maxAbsDiff(to.next, start);
    lastLlChange = Math.abs(to.loglik - lastLl);
    lastLl = to.loglik;
    lastStep = diff(to.next, start);
    x = to.next;
    from = to;
    trail.push(lastChange);
    flat = !px && lastLlChange < o.tolLoglik && lastChange < PLATEAU_PARAM * o.tol ? flat + 1 : 0;
    if (flat >= PLATEAU_CYCLES) return { x, iterations, converged: true, lastChange, lastLoglikChange: lastLlChange, plateau: true, lastStep, contraction: NaN };
  }
  return { x, iterations, converged: false, lastChange, lastLoglikChange: lastLlChange, plateau: false, lastStep, contraction: trail.contraction() };
}

function diff(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) out[k] = a[k] - b[k];
  return out;
}

/** SQUAREM's step x − 2αr + α²v from three EM iterates, its length capped at stepMax (atCap: it was). */
function extrapolate(x: Float64Array, x1: Float64Array, x2: Float64Array, stepMax: number): { xp: Float64Array; atCap: boolean } {
  const n = x.length;
  const r = new Float64Array(n);
  const v = new Float64Array(n);
  let rr = 0;
  let vv = 0;
  for (let k = 0; k < n; k++) {
    r[k] = x1[k] - x[k];
    v[k] = x2[k] - x1[k] - r[k];
    rr += r[k] * r[k];
    vv += v[k] * v[k];
  }
  let alpha = vv > 0 ? -Math.sqrt(rr / vv) : -1;
  if (alpha > -1) alpha = -1;
  // SQUAREM's step-length control: cap the extrapolation, widen the cap after a success at the cap.
  const atCap = alpha <= -stepMax;
  if (atCap) alpha = -stepMax;
  const xp = new Float64Array(n);
  for (let k = 0; k < n; k++) xp[k] = x[k] - 2 * alpha * r[k] + alpha * alpha * v[k];
  return { xp, atCap };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) {
    const d = Math.abs(a[k] - b[k]);
    if (d > m || Number.isNaN(d)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}
