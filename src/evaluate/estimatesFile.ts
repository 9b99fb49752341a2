/**
 * estimates.csv (contract): model,n_answered,theta,se_theta,accuracy,ci_low,ci_high; estimates.bins.csv:
 * model,bin,n_answered,accuracy,ci_low,ci_high. Accuracy is over the fit's whole item bank; empty cells where a model
 * had no usable answer.
 */
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable } from '../util/csv.js';
import type { BinEstimateRow, EstimateRow } from './estimate.js';

export const ESTIMATE_COLUMNS = ['model', 'n_answered', 'theta', 'se_theta', 'accuracy', 'ci_low', 'ci_high'] as const;
export const BIN_ESTIMATE_COLUMNS = ['model', 'bin', 'n_answered', 'accuracy', 'ci_low', 'ci_high'] as const;

/** The bins file sits beside: estimates.csv → estimates.bins.csv. */
export function binsFileFor(file: string): string {
  return file.replace(/(\.csv)?$/, '.bins.csv');
}

export function writeEstimates(file: string, rows: EstimateRow[], binRows?: BinEstimateRow[]): string[] {
  writeFileAtomic(file, csvTable([...ESTIMATE_COLUMNS], rows.length, (r, c) => rows[r][ESTIMATE_COLUMNS[c]]));
  if (!binRows) return [file];
  const bf = binsFileFor(file);
  writeFileAtomic(bf, csvTable([...BIN_ESTIMATE_COLUMNS], binRows.length, (r, c) => binRows[r][BIN_ESTIMATE_COLUMNS[c]]));
  return [file, bf];
}
