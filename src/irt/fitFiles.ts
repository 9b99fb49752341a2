/** Library face of `gradus fit`: read responses, fit, write the fit folder. */
import { GradusError } from '../errors.js';
import { readResponses, type ReadOptions } from '../responses/read.js';
import { fitIrt, type FitOptions, type FitResult } from './fit.js';
import { writeFit } from './fitFolder.js';
import { phase } from '../util/phase.js';

export async function fitFiles(inputs: string[], read: ReadOptions, fit: FitOptions, out: string): Promise<FitResult> {
  phase('start-up, module load');
  const { matrix, report } = await readResponses(inputs, read);
  phase('read');
  const result = await fitIrt(matrix, fit);
  result.info.warnings.unshift(...report.warnings);
  writeFit(out, result, { inputs });
  phase('write outputs');
  if (!Number.isFinite(result.info.loglik)) throw new GradusError('the fit ended with a non-finite log-likelihood', 'Please report this with the data.');
  return result;
}
