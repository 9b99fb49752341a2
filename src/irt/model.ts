/**
 * Item models. P(correct | θ) = c + (1 − c) / (1 + exp(−a(θ − b))), in the IRT parameterisation:
 * b is a difficulty on the θ scale, not the intercept d of the slope-intercept form (d = −a·b).
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
