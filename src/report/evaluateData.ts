/**
 * What `gradus estimate` and `gradus cat` leave for the report: estimates.csv, estimates.bins.csv and, from a cat
 * folder, trajectory.csv. Read as strings (as the rest of the report data) and turned into numbers by the figures.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

export type EvalRow = Record<string, string>;

export interface EvaluateData {
  estimates: EvalRow[];
  bins?: EvalRow[];
  trajectory?: EvalRow[];
}

const csv = (file: string): EvalRow[] => parse(fs.readFileSync(file, 'utf8'), { columns: true, skip_empty_lines: true }) as EvalRow[];

/** From a cat or estimate folder (estimates.csv inside), or an estimates.csv itself; undefined when neither. */
export function collectEvaluate(input: string): EvaluateData | undefined {
  const isDir = fs.statSync(input).isDirectory();
  const file = isDir ? path.join(input, 'estimates.csv') : input;
  if (!fs.existsSync(file) || !file.endsWith('.csv')) return undefined;
  const estimates = csv(file);
  if (estimates.length && !('n_answered' in estimates[0] && 'accuracy' in estimates[0])) return undefined;
  const binsFile = file.replace(/\.csv$/, '.bins.csv');
  const trajectory = path.join(path.dirname(file), 'trajectory.csv');
  return {
    estimates,
    bins: fs.existsSync(binsFile) ? csv(binsFile) : undefined,
    trajectory: fs.existsSync(trajectory) ? csv(trajectory) : undefined,
  };
}
