/** Library face of `gradus stability`: read responses, bootstrap the models, and write stability.csv. */
import { readResponses, type ReadOptions } from '../responses/read.js';
import { stability, type StabilityOptions, type StabilityResult } from './stability.js';
import { writeStability } from './stabilityFile.js';

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
