/**
 * Runs a study: every cell trains (unless it is the baseline or the learner is `none`) and is scored on every
 * bin. Each finished step is on disk before the next starts (trained.json, then eval.jsonl and result.json, each
 * written atomically), so a study killed at any moment and started again redoes no finished cell. A config
 * that changed since the study began is refused unless forced; then only cells whose own inputs changed rerun.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvTable, safeJson } from '../util/csv.js';
import { fill } from '../util/template.js';
import { readJsonOrNull } from '../util/readJson.js';
import { makeLearner } from '../learners/index.js';
import { makeEvaluator } from '../evaluators/index.js';
import { loadStudyConfig, type StudyConfig, type StudyOverrides } from './config.js';
import { CellFailure, type Cell, type CellContext, type Evaluator, type ItemResult, type Learner } from './cell.js';
import { prepareStudyData, scoredItems, type StudyData } from './items.js';
import { planCells } from './plan.js';
import { isCurriculum, trainBinsLabel } from './strategies.js';
import { analyze, GRID_COLUMNS, type Analysis, type CellOutcome } from './analysis.js';
import { progressFor, type Progress } from './progress.js';
import { slurmExecutor } from './slurm.js';

export interface StudyRunOptions {
  force?: boolean;
  overrides?: StudyOverrides;
  progress?: Progress;
  signal?: AbortSignal;
}

export interface StudyRunResult {
  cells: number;
  resumed: number;
  ran: number;
  failed: Array<{ cell: string; error: string; log?: string }>;
  interrupted: boolean;
  grid: string;
  analysis: string;
  headline: Analysis['headline'];
}

interface CellResult {
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


function checkStudyFile(outDir: string, hash: string, config: StudyConfig, fingerprint: string, force: boolean): void {
  const file = path.join(outDir, 'study.json');
  const old = readJsonOrNull<{ config_hash: string; data_fingerprint: string; config: Record<string, unknown> }>(file);
  if (old && (old.config_hash !== hash || old.data_fingerprint !== fingerprint) && !force) {
    const now = config as unknown as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(old.config ?? {}), ...Object.keys(now)])].filter((k) => k !== 'parallel' && k !== 'executor' && JSON.stringify(old.config?.[k]) !== JSON.stringify(now[k]));
    if (old.data_fingerprint !== fingerprint) fields.push('(the items in the bins)');
    throw new GradusError(
      `${outDir} holds a study made with a different config (changed: ${fields.join(', ') || 'defaults'})`,
      'Use a new --out folder, or pass --force to go on here: cells whose own inputs did not change are kept, the others rerun.',
      { file },
    );
  }
  writeFileAtomic(file, safeJson({ config_hash: hash, data_fingerprint: fingerprint, config, updated: new Date().toISOString() }));
}

function cellDone(dir: string, key: string): CellResult | null {
  const r = readJsonOrNull<CellResult>(path.join(dir, 'result.json'));
  return r && r.key === key ? r : null;
}

/** a tiny mutex: evaluators that start a server per cell must take turns */
function lock(): <T>(f: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (f) => {
    const run = tail.then(f, f);
    tail = run.catch(() => undefined);
    return run;
  };
}

interface Prepared {
  loaded: ReturnType<typeof loadStudyConfig>;
  data: StudyData;
  learner: Learner | null;
  evaluator: Evaluator;
  cells: Cell[];
}

async function prepare(configFile: string, outDir: string, overrides: StudyOverrides = {}): Promise<Prepared> {
  const loaded = loadStudyConfig(configFile, overrides);
  const { config } = loaded;
  fs.mkdirSync(outDir, { recursive: true });
  const data = await prepareStudyData(config, loaded.dir, outDir);
  const learner = makeLearner(config.learner);
  const evaluator = makeEvaluator(config.evaluator);
  if (learner && !learner.keepsOrder && config.strategies.some(isCurriculum)) {
    throw new GradusError('curricula (easy-to-hard, hard-to-easy, spiral) need a learner that keeps the order of its data, and this one shuffles', 'Drop the curricula from strategies, or set learner.keeps_order: true if your trainer reads the file in order.', { file: configFile });
  }
  return { loaded, data, learner, evaluator, cells: planCells(config, data) };
}

function recordFailure(outDir: string, cell: Cell, error: string, log?: string): void {
  writeFileAtomic(path.join(outDir, 'cells', cell.id, 'failed.json'), safeJson({ cell: cell.id, key: cell.key, error, log: log ?? null, at: new Date().toISOString() }));
}

/** What runs the cells that are not done yet: here, in a pool of `parallel`, or as scheduler jobs. */
export interface CellExecutor {
  (todo: Cell[], ctx: RunCtx, report: { done(cell: Cell, seconds: number): void; failed(cell: Cell, error: string, log?: string): void }): Promise<void>;
}

const localExecutor: CellExecutor = async (todo, ctx, report) => {
  let next = 0;
  const worker = async () => {
    while (next < todo.length && !ctx.signal.aborted) {
      const cell = todo[next++];
      ctx.progress.cellStarted(cell.id);
      const t0 = Date.now();
      try {
        await runCell(cell, ctx);
        report.done(cell, (Date.now() - t0) / 1000);
      } catch (e) {
        if (ctx.signal.aborted) break;
        if (!(e instanceof CellFailure) && !(e instanceof GradusError)) throw e;
        report.failed(cell, e.message, e instanceof CellFailure ? e.log : undefined);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.config.parallel, todo.length)) }, worker));
};

export async function runStudy(configFile: string, outDir: string, o: StudyRunOptions = {}): Promise<StudyRunResult> {
  const { loaded, data, learner, evaluator, cells } = await prepare(configFile, outDir, o.overrides);
  const { config } = loaded;
  checkStudyFile(outDir, loaded.hash, config, data.fingerprint, o.force ?? false);
  const progress = o.progress ?? progressFor(process.stderr);
  const signal = o.signal ?? new AbortController().signal;
  const todo = cells.filter((c) => !cellDone(path.join(outDir, 'cells', c.id), c.key));
  const resumed = cells.length - todo.length;
  progress.start(cells.length, resumed);
  const failed: StudyRunResult['failed'] = [];
  const evalTurn = evaluator.concurrent ? <T>(f: () => Promise<T>) => f() : lock();
  let ran = 0;
  const ctx: RunCtx = { config, data, learner, evaluator, evalTurn, outDir, configDir: loaded.dir, configFile: path.resolve(configFile), overrides: o.overrides ?? {}, signal, progress };
  const execute = config.executor.kind === 'slurm' ? slurmExecutor(config.executor) : localExecutor;
  await execute(todo, ctx, {
    done(cell, seconds) {
      ran++;
      progress.cellDone(cell.id, seconds);
    },
    failed(cell, error, log) {
      failed.push({ cell: cell.id, error, log });
      recordFailure(outDir, cell, error, log);
      progress.cellFailed(cell.id, error, log);
    },
  });
  progress.end();
  const written = writeResults(cells, data, config, outDir);
  return { cells: cells.length, resumed, ran, failed, interrupted: signal.aborted, ...written };
}

/** One cell, here and now: what a scheduler job runs (`gradus study CONFIG --out DIR --cell ID`). */
export async function runOneCell(configFile: string, outDir: string, cellId: string, overrides: StudyOverrides = {}): Promise<void> {
  const { loaded, data, learner, evaluator, cells } = await prepare(configFile, outDir, overrides);
  const cell = cells.find((c) => c.id === cellId);
  if (!cell) throw new GradusError(`the study has no cell "${cellId}"`, `Its cells: ${cells.map((c) => c.id).join(', ')}.`, { file: configFile });
  const ctx: RunCtx = {
    config: { ...loaded.config, executor: { kind: 'local' } }, data, learner, evaluator, evalTurn: (f) => f(), outDir, configDir: loaded.dir, configFile: path.resolve(configFile), overrides,
    signal: new AbortController().signal, progress: progressFor(process.stderr),
  };
  try {
    await runCell(cell, ctx);
  } catch (e) {
    if (e instanceof CellFailure || e instanceof GradusError) recordFailure(outDir, cell, e.message, e instanceof CellFailure ? e.log : undefined);
    throw e;
  }
}

export function cellIsDone(outDir: string, cell: Cell): boolean {
  return cellDone(path.join(outDir, 'cells', cell.id), cell.key) !== null;
}

export interface RunCtx {
  config: StudyConfig;
  configFile: string;
  overrides: StudyOverrides;
  data: StudyData;
  learner: Learner | null;
  evaluator: Evaluator;
  evalTurn: <T>(f: () => Promise<T>) => Promise<T>;
  outDir: string;
  configDir: string;
  signal: AbortSignal;
  progress: Progress;
}

async function runCell(cell: Cell, r: RunCtx): Promise<void> {
  // absolute: learners and evaluators run in the config's folder
  const dir = path.resolve(r.outDir, 'cells', cell.id);
  fs.mkdirSync(dir, { recursive: true });
  fs.rmSync(path.join(dir, 'failed.json'), { force: true });
  const trains = cell.set !== undefined && r.learner !== null;
  const label = trainBinsLabel(cell.trainBins);
  const vars = { cell: cell.id, strategy: cell.strategy, train_bins: label, seed: cell.seed, base_model: r.config.base_model, cell_dir: dir, study_dir: path.resolve(r.outDir) };
  const elsewhere = r.config.learner.kind === 'none' && cell.set !== undefined ? fill(r.config.learner.model, vars, 'learner.model') : r.config.base_model;
  const modelPath = trains ? path.join(dir, 'model') : elsewhere;
  const ctx: CellContext = {
    cell, dir, modelPath, studyDir: r.outDir, configDir: r.configDir, baseModel: r.config.base_model, signal: r.signal, say: (s) => r.progress.say(s),
    vars: { ...vars, output_dir: modelPath, model_path: modelPath },
  };
  const trainedFile = path.join(dir, 'trained.json');
  const t0 = Date.now();
  if (trains && cell.set!.items.length === 0) throw new CellFailure(`the training set is empty: bin(s) ${label} have no training items`);
  if (trains && readJsonOrNull<{ key: string }>(trainedFile)?.key !== cell.key) {
    await r.learner!.train(ctx, cell.set!);
    writeFileAtomic(trainedFile, safeJson({ key: cell.key, n_train: cell.set!.items.length, seconds: (Date.now() - t0) / 1000 }));
  }
  const items = r.data.bins.flatMap((b) => scoredItems(b, r.config.test_on));
  const results = await r.evalTurn(() => r.evaluator.evaluate(ctx, items));
  writeFileAtomic(path.join(dir, 'eval.jsonl'), results.map((x) => JSON.stringify(x)).join('\n') + (results.length ? '\n' : ''));
  const perBin = r.data.bins.map((b) => ({ bin: b.bin, n: 0, correct: 0 }));
  for (const x of results) {
    perBin[x.bin].n++;
    if (x.correct) perBin[x.bin].correct++;
  }
  const result: CellResult = {
    id: cell.id, key: cell.key, strategy: cell.strategy, train_bins: label, seed: cell.seed, n_train: cell.set?.items.length ?? 0,
    model_path: modelPath, seconds: (Date.now() - t0) / 1000, finished: new Date().toISOString(), per_bin: perBin,
  };
  writeFileAtomic(path.join(dir, 'result.json'), safeJson(result));
}

function readOutcomes(file: string): Map<string, boolean> {
  const m = new Map<string, boolean>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const x = JSON.parse(line) as ItemResult;
    m.set(x.id, x.correct);
  }
  return m;
}

/** grid.csv and analysis.json from every finished cell on disk (failed or unfinished cells are left out). */
function writeResults(cells: Cell[], data: StudyData, config: StudyConfig, outDir: string): Pick<StudyRunResult, 'grid' | 'analysis' | 'headline'> {
  let baseline: Map<string, boolean> | null = null;
  const outcomes: CellOutcome[] = [];
  for (const c of cells) {
    const dir = path.join(outDir, 'cells', c.id);
    if (!cellDone(dir, c.key)) continue;
    const m = readOutcomes(path.join(dir, 'eval.jsonl'));
    if (c.strategy === 'baseline') baseline = m;
    else outcomes.push({ strategy: c.strategy, trainBins: c.trainBins, trainLabel: trainBinsLabel(c.trainBins), seed: c.seed, correct: m });
  }
  const testItems = data.bins.map((b) => scoredItems(b, config.test_on).map((x) => x.id));
  const { rows, analysis } = analyze({ testItems, baseline, cells: outcomes, reps: config.bootstrap, seed: 1 });
  const grid = path.join(outDir, 'grid.csv');
  writeFileAtomic(grid, csvTable([...GRID_COLUMNS], rows.length, (i, j) => rows[i][GRID_COLUMNS[j]]));
  const file = path.join(outDir, 'analysis.json');
  writeFileAtomic(file, safeJson({ ...analysis, test_on: config.test_on, cells_finished: outcomes.length + (baseline ? 1 : 0), cells_planned: cells.length }));
  return { grid, analysis: file, headline: analysis.headline };
}
