/**
 * The logistic item model, written once. P(correct | θ) = c + (1 − c)σ(z): in the IRT parameterisation
 * z = a(θ − b), b a difficulty on the θ scale; the estimators work in slope–intercept form, z = aθ + d (d = −a·b),
 * with c = σ(γ). rasch: a = 1, c = 0; 1pl: one a for all items, c = 0; 2pl: a per item, c = 0; 3pl: a and c per item.
 * The E-step, the item step, the joint kernels and the abilities take P and its derivatives from itemPoint.
 * (The joint kernels' c = 0 paths and the E-step's tables inline the same formulas where a call per answer shows.)
 */
export type ItemModel = 'rasch' | '1pl' | '2pl' | '3pl';
export const ITEM_MODELS: readonly ItemModel[] = ['rasch', '1pl', '2pl', '3pl'];
export type Method = 'mml' | 'jml' | 'map';
export const METHODS: readonly Method[] = ['mml', 'jml', 'map'];

export interface ItemParams {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
}

export function makeItemParams(n: number): ItemParams {
  return { a: new Float64Array(n).fill(1), b: new Float64Array(n), c: new Float64Array(n) };
}

export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

export function prob(theta: number, a: number, b: number, c: number): number {
  return c + (1 - c) * sigmoid(a * (theta - b));
}

/** log σ(z) without overflow */
export function logSigmoid(z: number): number {
  return z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
}

/** P at one point and its derivatives: ∂P/∂a = dz·θ, ∂P/∂d = dz, ∂P/∂θ = a·dz, ∂P/∂γ = dg (γ = logit c). */
export interface ItemPoint {
  /** σ(z) */
  s: number;
  P: number;
  /** P(1 − P), kept off 0 */
  pq: number;
  /** ∂P/∂z = (1 − c)σ(1 − σ) */
  dz: number;
  /** ∂P/∂γ = c(1 − c)(1 − σ) */
  dg: number;
}

export function newItemPoint(): ItemPoint {
  return { s: 0, P: 0, pq: 0, dz: 0, dg: 0 };
}

/** The item model at logit z with guessing c, into `o`. */
export function itemPoint(z: number, c: number, o: ItemPoint): ItemPoint {
  const s = sigmoid(z);
  o.s = s;
  o.P = c + (1 - c) * s;
  o.pq = Math.max(o.P * (1 - o.P), 1e-300);
  o.dz = (1 - c) * s * (1 - s);
  o.dg = c * (1 - c) * (1 - s);
  return o;
}

/** log P(x) for one 0/1 answer, floored so that a certain miss costs a large finite amount. */
export function logLik(x: number, P: number): number {
  return Math.log(Math.max(x ? P : 1 - P, 1e-300));
}

/** r log P + (n − r) log(1 − P): the log-likelihood of r right answers in n (expected counts in MML). */
export function logLikCounts(r: number, n: number, P: number): number {
  const Pc = Math.min(Math.max(P, 1e-300), 1 - 1e-16);
  return r * Math.log(Pc) + (n - r) * Math.log1p(-Pc);
}
