import fs from 'node:fs';
import { GradusError, formatPlace, option } from '../errors.js';
import type { DuckDBConnection } from '@duckdb/node-api';
import { openDuck } from '../util/duck.js';
import { phase } from '../util/phase.js';
import { sortNatural } from '../util/natural.js';
import { MatrixBuilder, CONFLICT_POLICIES, type ConflictPolicy } from './builder.js';
import type { FileFormat } from './format.js';
import { HarnessSource, type HarnessOptions } from './harnessSource.js';
import type { ResponseMatrix } from './matrix.js';
import type { ResponseSource } from './source.js';
import type { IdColumn, Layout } from './tableSource.js';
import { openTableSource } from './openTable.js';
import type { HeaderChoice } from './headerCheck.js';
import { cacheDir, cacheFile, loadCached, storeCached } from './cache.js';

export interface ReadOptions extends HarnessOptions {
  /** force a table format instead of guessing from the extension */
  format?: FileFormat;
  layout?: Layout;
  idColumn?: IdColumn;
  /** CSV/TSV: `none` reads a headerless wide matrix (columns numbered 1, 2, …); unset, a first line of answers is an error */
  header?: HeaderChoice;
  /** scores ≥ threshold are correct; default 0.5 */
  threshold?: number;
  onConflict?: ConflictPolicy;
  /** false: neither read nor write the matrix cache (see cache.ts; GRADUS_CACHE_DIR moves it or, set to off, turns it off) */
  cache?: boolean;
}

export interface IngestReport {
  inputs: string[];
  /** rows (long tables, samples) or cells (wide tables) read */
  rows: number;
  /** rows whose answer was written as missing (empty, NA) */
  missingRows: number;
  /** scores strictly between 0 and 1 that were cut at the threshold */
  scoresCut: number;
  threshold: number;
  /** repeats of the same (model, item) with the same answer, kept once */
  duplicatesDropped: number;
  /** repeats with a different answer, settled by the policy */
  conflicts: number;
  onConflict: ConflictPolicy;
  warnings: string[];
  notes: string[];
}

export interface ReadResult {
  matrix: ResponseMatrix;
  report: IngestReport;
}

/**
 * Read one or more response inputs (tables or lm-evaluation-harness folders) into one ResponseMatrix.
 * Ids are put in natural order, so the same data gives the same matrix whatever its layout or file order.
 */
export async function readResponses(inputs: string | string[], options: ReadOptions = {}): Promise<ReadResult> {
  const list = Array.isArray(inputs) ? inputs : [inputs];
  if (!list.length) throw new GradusError('no input given', 'Name at least one response file or lm-eval output folder.');
  const threshold = options.threshold ?? 0.5;
  if (!(threshold > 0 && threshold <= 1)) {
    throw new GradusError(`${option('threshold')} ${threshold} is not in (0, 1]`, 'Pick a threshold such as 0.5: scores at or above it count as correct.');
  }
  const policy = options.onConflict ?? 'error';
  if (!CONFLICT_POLICIES.includes(policy)) {
    throw new GradusError(`unknown ${option('onConflict')} policy "${policy}"`, `Use one of: ${CONFLICT_POLICIES.join(', ')}.`);
  }
  const dir = cacheDir(options.cache);
  const key = { format: options.format, layout: options.layout, idColumn: options.idColumn, header: options.header, threshold, onConflict: policy, metric: options.metric, filter: options.filter };
  const cached = dir ? inputCacheFile(dir, list, key) : null;
  const hit = cached ? loadCached<IngestReport>(cached) : null;
  if (hit) return { matrix: hit.matrix, report: { ...hit.extra, inputs: list } };
  const result = await readFresh(list, options, threshold, policy);
  if (cached) storeCached(cached, result.matrix, result.report);
  return result;
}

function inputCacheFile(dir: string, list: string[], key: object): string | null {
  try {
    return cacheFile(dir, list, key);
  } catch {
    return null; // a path that does not exist: the reader says so
  }
}

async function readFresh(list: string[], options: ReadOptions, threshold: number, policy: ConflictPolicy): Promise<ReadResult> {
  // DuckDB starts only for a reader that needs it: wide CSV/TSV and Parquet tables are read in JS
  const held: { duck?: { close(): void } } = {};
  let opening: Promise<DuckDBConnection> | null = null;
  const conn = () => (opening ??= openDuck().then((d) => {
    held.duck = d;
    phase('read: open DuckDB');
    return d.conn;
  }));
  const sources: ResponseSource[] = list.map((input) => {
    let isDir = false;
    try {
      isDir = fs.statSync(input).isDirectory();
    } catch {
      throw new GradusError('no such file or folder', 'Check the path.', { file: input });
    }
    return isDir ? new HarnessSource(input, options) : openTableSource(input, conn, options);
  });
  try {
    const models = new Set<string>();
    const items = new Set<string>();
    const report: IngestReport = {
      inputs: list,
      rows: 0,
      missingRows: 0,
      scoresCut: 0,
      threshold,
      duplicatesDropped: 0,
      conflicts: 0,
      onConflict: policy,
      warnings: [],
      notes: [],
    };
    for (const s of sources) {
      const ids = await s.ids();
      ids.models.forEach((m) => models.add(m));
      ids.items.forEach((i) => items.add(i));
      if (s instanceof HarnessSource) report.notes.push(...s.notes.map((n) => `${s.label}: ${n}`));
    }
    const b = new MatrixBuilder(sortNatural(models), sortNatural(items), policy);
    phase('read: sort ids');
    for (const s of sources) {
      const stats = await s.fill(b, threshold);
      report.rows += stats.rows;
      report.missingRows += stats.missing;
      report.scoresCut += stats.fractional;
    }
    phase('read: fill scan');
    if (b.conflicts && policy === 'error') throw await conflictError(b, sources);
    report.duplicatesDropped = b.duplicatesDropped;
    report.conflicts = b.conflicts;
    if (report.scoresCut) {
      report.warnings.push(`${report.scoresCut} score${report.scoresCut > 1 ? 's' : ''} strictly between 0 and 1 were cut at ${threshold} (≥ ${threshold} counts as correct); change this with ${option('threshold')}.`);
    }
    if (b.duplicatesDropped) {
      report.warnings.push(`${b.duplicatesDropped} repeated (model, item) answer${b.duplicatesDropped > 1 ? 's were' : ' was'} identical to an earlier one and kept once.`);
    }
    if (b.conflicts) {
      report.warnings.push(`${b.conflicts} repeated (model, item) answer${b.conflicts > 1 ? 's' : ''} disagreed with an earlier one; settled by ${option('onConflict')} ${policy}.`);
    }
    return { matrix: b.finish(), report };
  } finally {
    sources.forEach((s) => s.close());
    held.duck?.close();
  }
}

async function conflictError(b: MatrixBuilder, sources: ResponseSource[]): Promise<GradusError> {
  const { model, item } = b.firstConflict!;
  const name = b.models[model];
  const id = b.items[item];
  const places = [];
  for (const s of sources) places.push(...(await s.locate(name, id)));
  const shown = places.slice(0, 4).map((p) => `${formatPlace(p)} says ${JSON.stringify(p.answer)}`).join('; ');
  return new GradusError(
    `model ${JSON.stringify(name)} answers item ${JSON.stringify(id)} differently in two places (${shown})${b.conflicts > 1 ? `, and ${b.conflicts - 1} more (model, item) pairs disagree` : ''}`,
    `Remove the wrong row, or pick a policy with ${option('onConflict')} first|last|mean (mean takes the majority answer; a tie counts as correct).`,
  );
}
