/** Library face of `gradus stability`: read responses, bootstrap the models, and write stability.csv. */
import { readResponses, type ReadOptions } from '../responses/read.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable } from '../util/csv.js';
import { stability, type StabilityOptions, type StabilityResult } from './stability.js';

export interface StabilityFiles extends StabilityResult {
  models: number;
  items: number;
}

export async function stabilityFromFiles(inputs: string[], read: ReadOptions, o: StabilityOptions = {}, out?: string): Promise<StabilityFiles> {
  const { matrix } = await readResponses(inputs, read);
  const r = await stability(matrix, o);
  if (out) writeStability(out, r);
  return { ...r, models: matrix.models.length, items: matrix.items.length };
}

/** stability.csv: item,difficulty,bin,same_bin (the share of resamples that left the item in its bin). */
export function writeStability(file: string, r: StabilityResult): void {
  writeFileAtomic(file, csvTable(['item', 'difficulty', 'bin', 'same_bin'], r.item.length, (i, c) => [r.item[i], r.difficulty[i], r.bin[i], r.sameBin[i]][c]));
}
