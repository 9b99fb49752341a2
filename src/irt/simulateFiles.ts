/** Library face of `gradus simulate`: responses in the long format, and the truth beside them. */
import { GradusError, option } from '../errors.js';
import { writeResponses } from '../responses/write.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable } from '../util/csv.js';
import type { ItemModel } from './model.js';
import { simulate } from './simulate.js';

export interface SimulateFilesOptions {
  models: number;
  items: number;
  model: ItemModel;
  missing: number;
  seed: number;
  guessing?: number;
  out: string;
}

export interface SimulatedFiles {
  responses: string;
  truthItems: string;
  truthModels: string;
}

export async function simulateToFiles(o: SimulateFilesOptions): Promise<SimulatedFiles> {
  if (!(o.missing >= 0 && o.missing < 1)) throw new GradusError(`${option('missing')} ${o.missing} is not a share in [0, 1)`, 'Give the share of cells to leave empty, e.g. 0.2.');
  if (!(o.models >= 1 && o.items >= 1)) throw new GradusError(`${option('models')} and ${option('items')} must be at least 1`, `Give the matrix size, e.g. ${option('models')} 200 ${option('items')} 100.`);
  const sim = simulate(o);
  await writeResponses(sim.matrix, o.out);
  const stem = o.out.replace(/(\.(csv|tsv|jsonl|ndjson|json|parquet))?(\.gz)?$/i, '');
  const truthItems = `${stem}.truth-items.csv`;
  const truthModels = `${stem}.truth-models.csv`;
  const m = sim.matrix;
  writeFileAtomic(truthItems, csvTable(['item', 'b', 'a', 'c'], m.items.length, (r, c) => [m.items[r], sim.params.b[r], sim.params.a[r], sim.params.c[r]][c]));
  writeFileAtomic(truthModels, csvTable(['model', 'theta'], m.models.length, (r, c) => [m.models[r], sim.theta[r]][c]));
  return { responses: o.out, truthItems, truthModels };
}
