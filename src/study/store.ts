/**
 * The study folder on disk (contract, see README "Study folder"): study.json, cells/<id>/{trained.json, eval.jsonl,
 * result.json, failed.json, job.json}, grid.csv, analysis.json. Every file is written atomically, so a study
 * killed at any moment leaves each file whole or absent; every reader of the folder (resume, analysis, Slurm
 * jobs, the report) goes through here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, safeJson } from '../util/csv.js';
import { readJsonOrNull } from '../util/readJson.js';
import type { ItemResult } from '../plugins/contract.js';
import { GRID_COLUMNS, type Analysis, type GridRow } from './analysis.js';
import type { StudyConfig } from './config.js';

/** cells/<id>/result.json: the cell is done when its key matches the plan's */
export interface CellResult {
  id: string;
  key: string;
  strategy: string;
  train_bins: string;
  seed: number;
  n_train: number;
  model_path: string;
  seconds: number;
  finished: string;
  per_bin: Array<{ bin: number; n: number; correct: number }>;
}

/** cells/<id>/job.json: the scheduler job that runs the cell, kept as soon as the scheduler answers */
export interface JobRecord {
  job_id: string;
  attempt: number;
  submitted: string;
  script: string;
  log: string;
}

/** study.json: what the folder's cells were made with */
export interface StudyFile {
  config_hash: string;
  data_fingerprint: string;
  config: Record<string, unknown>;
  updated: string;
}

/** analysis.json */
// `knob`: what `gradus demo` adds (does the task's knob explain the difficulty), read by the report
export type StudyAnalysis = Analysis & { test_on: StudyConfig['test_on']; cells_finished: number; cells_planned: number; knob?: unknown };

/** What identifies a planned cell on disk. */
export interface CellKey {
  id: string;
  key: string;
}

export class StudyStore {
  /** absolute: learners and evaluators run in the config's folder */
  readonly abs: string;

  /** dir as the user gave it: the paths reported back keep its form */
  constructor(readonly dir: string) {
    this.abs = path.resolve(dir);
  }

  cellDir(id: string): string {
    return path.join(this.abs, 'cells', id);
  }

  private cellFile(id: string, name: string): string {
    return path.join(this.cellDir(id), name);
  }

  /** refuses a folder made with another config or other items, unless forced; then records this one */
  claim(hash: string, config: StudyConfig, fingerprint: string, force: boolean): void {
    const file = path.join(this.dir, 'study.json');
    const old = readJsonOrNull<StudyFile>(file);
    if (old && (old.config_hash !== hash || old.data_fingerprint !== fingerprint) && !force) {
      const now = config as unknown as Record<string, unknown>;
      const fields = [...new Set([...Object.keys(old.config ?? {}), ...Object.keys(now)])].filter((k) => k !== 'parallel' && k !== 'executor' && JSON.stringify(old.config?.[k]) !== JSON.stringify(now[k]));
      if (old.data_fingerprint !== fingerprint) fields.push('(the items in the bins)');
      throw new GradusError(
        `${this.dir} holds a study made with a different config (changed: ${fields.join(', ') || 'defaults'})`,
        'Use a new --out folder, or pass --force to go on here: cells whose own inputs did not change are kept, the others rerun.',
        { file },
      );
    }
    writeFileAtomic(file, safeJson({ config_hash: hash, data_fingerprint: fingerprint, config, updated: new Date().toISOString() }));
  }

  /** a cell's result when it finished with these inputs, else null */
  result(cell: CellKey): CellResult | null {
    const r = readJsonOrNull<CellResult>(this.cellFile(cell.id, 'result.json'));
    return r && r.key === cell.key ? r : null;
  }

  isDone(cell: CellKey): boolean {
    return this.result(cell) !== null;
  }

  /** makes the cell's folder and forgets an earlier failure: the cell is about to run again */
  startCell(id: string): string {
    const dir = this.cellDir(id);
    fs.mkdirSync(dir, { recursive: true });
    fs.rmSync(path.join(dir, 'failed.json'), { force: true });
    return dir;
  }

  /** true when the cell's model was trained with these inputs (training is kept when only scoring failed) */
  isTrained(cell: CellKey): boolean {
    return readJsonOrNull<{ key: string }>(this.cellFile(cell.id, 'trained.json'))?.key === cell.key;
  }

  markTrained(cell: CellKey, nTrain: number, seconds: number): void {
    writeFileAtomic(this.cellFile(cell.id, 'trained.json'), safeJson({ key: cell.key, n_train: nTrain, seconds }));
  }

  writeEval(id: string, results: ItemResult[]): void {
    writeFileAtomic(this.cellFile(id, 'eval.jsonl'), results.map((x) => JSON.stringify(x)).join('\n') + (results.length ? '\n' : ''));
  }

  /** item id → correct, from a cell's eval.jsonl */
  readOutcomes(id: string): Map<string, boolean> {
    const m = new Map<string, boolean>();
    for (const line of fs.readFileSync(this.cellFile(id, 'eval.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      const x = JSON.parse(line) as ItemResult;
      m.set(x.id, x.correct);
    }
    return m;
  }

  writeResult(result: CellResult): void {
    writeFileAtomic(this.cellFile(result.id, 'result.json'), safeJson(result));
  }

  recordFailure(cell: CellKey, error: string, log?: string): void {
    writeFileAtomic(this.cellFile(cell.id, 'failed.json'), safeJson({ cell: cell.id, key: cell.key, error, log: log ?? null, at: new Date().toISOString() }));
  }

  readJob(id: string): JobRecord | null {
    return readJsonOrNull<JobRecord>(this.cellFile(id, 'job.json'));
  }

  writeJob(id: string, job: JobRecord): void {
    writeFileAtomic(this.cellFile(id, 'job.json'), safeJson(job));
  }

  /** every job id the folder has recorded */
  jobs(): Array<{ cell: string; job: JobRecord }> {
    const dir = path.join(this.abs, 'cells');
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir).flatMap((cell) => {
      const job = this.readJob(cell);
      return job ? [{ cell, job }] : [];
    });
  }

  writeGrid(rows: GridRow[]): string {
    const file = path.join(this.dir, 'grid.csv');
    writeFileAtomic(file, csvTable([...GRID_COLUMNS], rows.length, (i, j) => rows[i][GRID_COLUMNS[j]]));
    return file;
  }

  writeAnalysis(analysis: StudyAnalysis): string {
    const file = path.join(this.dir, 'analysis.json');
    writeFileAtomic(file, safeJson(analysis));
    return file;
  }
}

/** The study's results as written: grid.csv and analysis.json. */
export interface StudyResults {
  grid: GridRow[];
  analysis: StudyAnalysis;
}

const NUMBER_COLUMNS = new Set<string>(['seed', 'test_bin', 'n_test', 'correct', 'accuracy', 'baseline_accuracy', 'gain', 'ci_low', 'ci_high']);

/** grid.csv and analysis.json of a study folder, or null when the folder has no results yet. */
export function readStudyResults(dir: string): StudyResults | null {
  const gridFile = path.join(dir, 'grid.csv');
  const analysisFile = path.join(dir, 'analysis.json');
  if (!fs.existsSync(gridFile) || !fs.existsSync(analysisFile)) return null;
  const raw = parse(fs.readFileSync(gridFile, 'utf8'), { columns: true, skip_empty_lines: true }) as Array<Record<string, string>>;
  const missing = GRID_COLUMNS.filter((c) => raw.length && !(c in raw[0]));
  if (missing.length) throw new GradusError(`this grid.csv lacks the column(s) ${missing.join(', ')}`, 'Give a folder written by gradus study or gradus demo.', { file: gridFile });
  const grid = raw.map((r, i) => {
    const row: Record<string, string | number | null> = {};
    for (const c of GRID_COLUMNS) {
      const v = r[c];
      if (!NUMBER_COLUMNS.has(c)) row[c] = v;
      else if (v === '') row[c] = null;
      else if (Number.isFinite(Number(v))) row[c] = Number(v);
      else throw new GradusError(`"${v}" is not a number`, 'Give a folder written by gradus study or gradus demo, or run the study again to rewrite grid.csv.', { file: gridFile, line: i + 2, column: c });
    }
    return row as unknown as GridRow;
  });
  let analysis: StudyAnalysis;
  try {
    analysis = JSON.parse(fs.readFileSync(analysisFile, 'utf8')) as StudyAnalysis;
  } catch (e) {
    throw new GradusError(`analysis.json is not valid JSON (${(e as Error).message})`, 'Run the study again to rewrite it.', { file: analysisFile });
  }
  if (typeof analysis?.k !== 'number' || !Array.isArray(analysis.strategies)) throw new GradusError('analysis.json lacks k and strategies', 'Give a folder written by gradus study or gradus demo.', { file: analysisFile });
  return { grid, analysis };
}
