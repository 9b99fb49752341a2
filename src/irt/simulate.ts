import { emptyMatrix, type ResponseMatrix } from '../responses/matrix.js';
import { rng } from '../util/rng.js';
import { makeItemParams, prob, type ItemModel, type ItemParams } from './model.js';

export interface SimulateOptions {
  models: number;
  items: number;
  model?: ItemModel;
  /** share of cells left missing, at random */
  missing?: number;
  seed?: number;
  /** fixed guessing for 3pl; default drawn from Beta-like spread around 0.2 */
  guessing?: number;
}

export interface Simulated {
  matrix: ResponseMatrix;
  theta: Float64Array;
  params: ItemParams;
}

/**
 * Responses from a known IRT model, with the truth beside them: θ ~ N(0,1), b ~ N(0,1),
 * log a ~ N(0, 0.3²) for 2pl/3pl (one common a = 1.2 for 1pl, a = 1 for rasch), c ~ U(0.1, 0.3) for 3pl.
 */
export function simulate(o: SimulateOptions): Simulated {
  const r = rng(o.seed ?? 1);
  const model = o.model ?? '2pl';
  const nM = o.models;
  const nI = o.items;
  const params = makeItemParams(nI);
  for (let i = 0; i < nI; i++) {
    params.b[i] = r.normal();
    params.a[i] = model === 'rasch' ? 1 : model === '1pl' ? 1.2 : Math.exp(0.3 * r.normal());
    params.c[i] = model === '3pl' ? (o.guessing ?? 0.1 + 0.2 * r.next()) : 0;
  }
  const theta = Float64Array.from({ length: nM }, () => r.normal());
  const width = Math.max(3, String(Math.max(nM, nI)).length);
  const pad = (k: number) => String(k + 1).padStart(width, '0');
  const m = emptyMatrix(
    Array.from({ length: nM }, (_, k) => `model${pad(k)}`),
    Array.from({ length: nI }, (_, k) => `item${pad(k)}`),
  );
  const missing = o.missing ?? 0;
  for (let j = 0; j < nM; j++) {
    for (let i = 0; i < nI; i++) {
      const u = r.next();
      const hide = r.next() < missing;
      if (hide) continue;
      m.data[j * nI + i] = u < prob(theta[j], params.a[i], params.b[i], params.c[i]) ? 1 : 0;
    }
  }
  return { matrix: m, theta, params };
}
