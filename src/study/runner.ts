/**
 * Runs a study: every cell trains (unless it is the baseline or its models are trained elsewhere) and is scored on
 * every bin. Each finished step is on disk before the next starts (trained.json, then eval.jsonl and result.json, each
 * written atomically), so a study killed at any moment and started again redoes no finished cell. A config
 * that changed since the study began is refused unless forced; then only cells whose own inputs changed rerun.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError } from '../errors.js';
import { gradusArgv } from '../util/gradusBin.js';
import { progressFor, type Progress } from '../util/progress.js';
import { CellFailure, type CellContext, type Evaluator, type Learner } from '../plugins/contract.js';
import { learners } from '../learners/index.js';
import { evaluators } from '../evaluators/index.js';
import { loadStudyConfig, type StudyConfig, type StudyOverrides } from './config.js';
import { prepareStudyData, scoredItems, type StudyData } from './items.js';
import { planCells, type Cell } from './plan.js';
import { isCurriculum, trainBinsLabel } from './strategies.js';
import { analyze, type Analysis, type CellOutcome } from './analysis.js';
import { StudyStore, type CellResult } from './store.js';
import { makeExecutor } from './executor/index.js';

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
  learner: Learner;
  evaluator: Evaluator;
  cells: Cell[];
}

async function prepare(configFile: string, outDir: string, overrides: StudyOverrides = {}): Promise<Prepared> {
  const loaded = loadStudyConfig(configFile, overrides);
  const { config } = loaded;
  fs.mkdirSync(outDir, { recursive: true });
  const data = await prepareStudyData(config, loaded.dir, outDir);
  const learner = learners.create(config.learner);
  const evaluator = evaluators.create(config.evaluator);
  if (!learner.keepsOrder && config.strategies.some(isCurriculum)) {
    throw new GradusError('curricula (easy-to-hard, hard-to-easy, spiral) need a learner that keeps the order of its data, and this one shuffles', 'Drop the curricula from strategies, or set learner.keeps_order: true if your trainer reads the file in order.', { file: configFile });
  }
  return { loaded, data, learner, evaluator, cells: planCells(config, data) };
}

export async function runStudy(configFile: string, outDir: string, o: StudyRunOptions = {}): Promise<StudyRunResult> {
  const { loaded, data, learner, evaluator, cells } = await prepare(configFile, outDir, o.overrides);
  const { config } = loaded;
  const store = new StudyStore(outDir);
  store.claim(loaded.hash, config, data.fingerprint, o.force ?? false);
  const progress = o.progress ?? progressFor(process.stderr);
  const signal = o.signal ?? new AbortController().signal;
  const todo = cells.filter((c) => !store.isDone(c));
  const resumed = cells.length - todo.length;
  progress.start(cells.length, resumed);
  const failed: StudyRunResult['failed'] = [];
  const evalTurn = evaluator.concurrent ? <T>(f: () => Promise<T>) => f() : lock();
  const r: CellRun = { config, data, learner, evaluator, evalTurn, store, configDir: loaded.dir, signal, progress };
  const overrides = o.overrides ?? {};
  const cellArgv = (cell: Cell) => gradusArgv('study', path.resolve(configFile), '--out', store.abs, '--cell', cell.id, ...(overrides.test_on ? ['--test-on', overrides.test_on] : []));
  let ran = 0;
  await makeExecutor(config.executor, config.parallel)({ todo, store, configDir: loaded.dir, runCell: (cell) => runCell(cell, r), cellArgv, signal, progress }, {
    done(cell, seconds) {
      ran++;
      progress.cellDone(cell.id, seconds);
    },
    failed(cell, error, log) {
      failed.push({ cell: cell.id, error, log });
      store.recordFailure(cell, error, log);
      progress.cellFailed(cell.id, error, log);
    },
  });
  progress.end();
  const written = writeResults(cells, data, config, store);
  return { cells: cells.length, resumed, ran, failed, interrupted: signal.aborted, ...written };
}

/** One cell, here and now: what a scheduler job runs (`gradus study CONFIG --out DIR --cell ID`). */
export async function runOneCell(configFile: string, outDir: string, cellId: string, overrides: StudyOverrides = {}): Promise<void> {
  const { loaded, data, learner, evaluator, cells } = await prepare(configFile, outDir, overrides);
  const cell = cells.find((c) => c.id === cellId);
  if (!cell) throw new GradusError(`the study has no cell "${cellId}"`, `Its cells: ${cells.map((c) => c.id).join(', ')}.`, { file: configFile });
  const store = new StudyStore(outDir);
  const r: CellRun = {
    config: loaded.config, data, learner, evaluator, evalTurn: (f) => f(), store, configDir: loaded.dir,
    signal: new AbortController().signal, progress: progressFor(process.stderr),
  };
  try {
    await runCell(cell, r);
  } catch (e) {
    if (e instanceof CellFailure || e instanceof GradusError) store.recordFailure(cell, e.message, e instanceof CellFailure ? e.log : undefined);
    throw e;
  }
}

/** what running a cell needs, built once per study */
interface CellRun {
  config: StudyConfig;
  data: StudyData;
  learner: Learner;
  evaluator: Evaluator;
  evalTurn: <T>(f: () => Promise<T>) => Promise<T>;
  store: StudyStore;
  configDir: string;
  signal: AbortSignal;
  progress: Progress;
}

async function runCell(cell: Cell, r: CellRun): Promise<void> {
  const dir = r.store.startCell(cell.id);
  const trains = cell.set !== undefined && r.learner.train !== undefined;
  const label = trainBinsLabel(cell.trainBins);
  const vars = { cell: cell.id, strategy: cell.strategy, train_bins: label, seed: cell.seed, base_model: r.config.base_model, cell_dir: dir, study_dir: r.store.abs };
  const elsewhere = r.learner.modelElsewhere && cell.set !== undefined ? r.learner.modelElsewhere(vars) : r.config.base_model;
  const modelPath = trains ? path.join(dir, 'model') : elsewhere;
  const ctx: CellContext = {
    cell, dir, modelPath, studyDir: r.store.dir, configDir: r.configDir, baseModel: r.config.base_model, signal: r.signal, say: (s) => r.progress.say(s),
    vars: { ...vars, output_dir: modelPath, model_path: modelPath },
  };
  const t0 = Date.now();
  if (trains && cell.set!.items.length === 0) throw new CellFailure(`the training set is empty: bin(s) ${label} have no training items`);
  if (trains && !r.store.isTrained(cell)) {
    await r.learner.train!(ctx, cell.set!);
    r.store.markTrained(cell, cell.set!.items.length, (Date.now() - t0) / 1000);
  }
  const items = r.data.bins.flatMap((b) => scoredItems(b, r.config.test_on));
  const results = await r.evalTurn(() => r.evaluator.evaluate(ctx, items));
  r.store.writeEval(cell.id, results);
  const perBin = r.data.bins.map((b) => ({ bin: b.bin, n: 0, correct: 0 }));
  for (const x of results) {
    perBin[x.bin].n++;
    if (x.correct) perBin[x.bin].correct++;
  }
  const result: CellResult = {
    id: cell.id, key: cell.key, strategy: cell.strategy, train_bins: label, seed: cell.seed, n_train: cell.set?.items.length ?? 0,
    model_path: modelPath, seconds: (Date.now() - t0) / 1000, finished: new Date().toISOString(), per_bin: perBin,
  };
  r.store.writeResult(result);
}

/** grid.csv and analysis.json from every finished cell on disk (failed or unfinished cells are left out). */
function writeResults(cells: Cell[], data: StudyData, config: StudyConfig, store: StudyStore): Pick<StudyRunResult, 'grid' | 'analysis' | 'headline'> {
  let baseline: Map<string, boolean> | null = null;
  const outcomes: CellOutcome[] = [];
  for (const c of cells) {
    if (!store.isDone(c)) continue;
    const m = store.readOutcomes(c.id);
    if (c.strategy === 'baseline') baseline = m;
    else outcomes.push({ strategy: c.strategy, trainBins: c.trainBins, trainLabel: trainBinsLabel(c.trainBins), seed: c.seed, correct: m });
  }
  const testItems = data.bins.map((b) => scoredItems(b, config.test_on).map((x) => x.id));
  const { rows, analysis } = analyze({ testItems, baseline, cells: outcomes, reps: config.bootstrap, seed: 1 });
  const grid = store.writeGrid(rows);
  const file = store.writeAnalysis({ ...analysis, test_on: config.test_on, cells_finished: outcomes.length + (baseline ? 1 : 0), cells_planned: cells.length });
  return { grid, analysis: file, headline: analysis.headline };
}
