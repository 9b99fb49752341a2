/**
 * A model zoo in miniature, the way Pythia-style checkpoint suites stand in for many LLMs: a few training runs
 * from scratch that differ in width, data mixture and seed, each saved every so many steps; every checkpoint
 * answers every item. The zoo trains on items generated apart from the study's (same families, other prompts),
 * so difficulty comes from what the models learned, not from what they memorized.
 * Each run is its own process (`gradus zoo --run NAME`); a finished run or answer file is never redone.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvField, safeJson } from '../util/csv.js';
import { describeOutcome, runLogged } from '../util/runCommand.js';
import { FAMILIES, type TaskItem } from '../tasks/families.js';
import { levelPool } from '../tasks/shareLevels.js';
import { gradusArgv } from '../util/gradusBin.js';
import { isCheckpoint, loadCheckpoint, trainCheckpoint } from './api.js';
import { liveModel } from './runtime.js';
import { greedyAnswers } from './logprobs.js';
import type { Progress } from '../util/progress.js';

export interface ZooRun {
  name: string;
  d: number;
  /**
   * how far up each family's levels the training data goes, as a share of them (1: all; 0.5: the easier half,
   * rounded up): models differ in what their training covered, as LLMs differ in what their pretraining did
   */
  upTo: number;
  seed: number;
  steps: number;
  saveEvery: number;
  lr: number;
}

export interface ZooPlan {
  items: string;
  families: string[];
  trainItems: number;
  runs: ZooRun[];
}

/** how far up the levels a run's training goes: all of them, 6 of sort's 7, 4 of 7, 2 of 7 */
const SPANS = { all: 1, most: 0.85, half: 0.6, least: 0.3 } as const;

/**
 * Runs of different widths whose training goes different distances up the levels, each saved every 10 steps: the
 * tasks are learned in a few hundred steps, so frequent checkpoints are what give the zoo models of every ability
 * and a Rasch b, which takes one value per sum score, many values.
 */
export function defaultRuns(quick: boolean): ZooRun[] {
  const run = (d: number, span: keyof typeof SPANS, seed: number, steps: number): ZooRun => ({ name: `w${d}-${span}-s${seed}`, d, upTo: SPANS[span], seed, steps, saveEvery: 10, lr: 2e-3 });
  // the run on all levels first (the demo takes its base model from it), then the longest, so that on 2 cores
  // the shorter runs share the other core
  if (quick) return [run(64, 'all', 1, 160), run(48, 'most', 2, 160), run(32, 'half', 3, 160), run(32, 'least', 4, 120)];
  return [run(64, 'all', 1, 150), run(64, 'half', 6, 200), run(48, 'all', 5, 160), run(48, 'most', 2, 160), run(32, 'half', 3, 200), run(48, 'least', 7, 160), run(32, 'least', 4, 160)];
}

const planFile = (dir: string) => path.join(dir, 'zoo-plan.json');
const runDir = (dir: string, run: string) => path.join(dir, 'runs', run);

function readItems(file: string): Array<{ id: string; prompt: string; answer: string; family?: string; level?: number }> {
  if (!fs.existsSync(file)) throw new GradusError('no such items file', 'Make one with `gradus tasks generate`.', { file });
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

/**
 * The zoo's own training items: same families, prompts disjoint from the study's. A level with few prompts left
 * (2-letter sorting: 50) has them repeated until it weighs as much as the others, so the order in which the runs
 * learn the levels follows their difficulty, not how many prompts each has.
 */
function trainingItems(plan: ZooPlan, run: ZooRun): TaskItem[] {
  const taken = new Set(readItems(plan.items).map((x) => x.prompt));
  return plan.families.flatMap((family) => {
    const top = FAMILIES[family].levels;
    const maxLevel = Math.max(1, Math.min(top, Math.round(top * run.upTo)));
    const per = Math.ceil(plan.trainItems / maxLevel);
    const byLevel = Array.from({ length: maxLevel }, (_, k) =>
      levelPool(family, k + 1, 1000 + run.seed, per + taken.size)
        .filter((x) => !taken.has(x.prompt))
        .slice(0, per)
        .map((x, j): TaskItem => ({ ...x, id: `${family}-train-${k + 1}-${j}`, family, level: k + 1 })),
    ).filter((g) => g.length);
    const most = Math.max(...byLevel.map((g) => g.length));
    return byLevel.flatMap((g) => Array.from({ length: most }, (_, k) => g[k % g.length]));
  });
}

const levelsFile = (dir: string, run: string) => path.join(dir, 'runs', `${run}.levels.json`);

/**
 * One run: train (saving its suite), then score the study's items with every checkpoint of it. A checkpoint is
 * right on an item when greedy decoding would give the reference answer, checked in one teacher-forced pass.
 */
export async function zooRun(dir: string, name: string, onLine: (s: string) => void = () => undefined): Promise<void> {
  const plan: ZooPlan = JSON.parse(fs.readFileSync(planFile(dir), 'utf8'));
  const run = plan.runs.find((r) => r.name === name);
  if (!run) throw new GradusError(`the zoo plan has no run "${name}"`, `Runs: ${plan.runs.map((r) => r.name).join(', ')}.`, { file: planFile(dir) });
  const out = runDir(dir, name);
  if (!isCheckpoint(out)) {
    const xs = trainingItems(plan, run);
    const levels: Record<string, { prompts: number; examples: number }> = {};
    const seen = new Set<string>();
    for (const x of xs) {
      const l = (levels[`${x.family}/${x.level}`] ??= { prompts: 0, examples: 0 });
      l.examples++;
      if (!seen.has(x.prompt)) l.prompts++;
      seen.add(x.prompt);
    }
    writeFileAtomic(levelsFile(dir, name), safeJson(levels));
    await trainCheckpoint(xs, { out, steps: run.steps, saveEvery: run.saveEvery, lr: run.lr, seed: run.seed, arch: { d: run.d }, onProgress: (s, l) => onLine(`${name} step ${s} loss ${l.toFixed(3)}`) });
  }
  const items = readItems(plan.items);
  for (const ck of checkpointsOf(dir, run)) {
    const answers = path.join(dir, 'answers', `${ck.model}.jsonl`);
    if (fs.existsSync(answers)) continue;
    const m = await liveModel(loadCheckpoint(ck.dir));
    try {
      const correct = await greedyAnswers(m, items.map((x) => ({ prompt: x.prompt, answer: String(x.answer) })));
      writeFileAtomic(answers, items.map((x, k) => JSON.stringify({ id: x.id, correct: correct[k] })).join('\n') + '\n');
    } finally {
      m.dispose();
    }
    onLine(`${ck.model} scored`);
  }
}

function checkpointsOf(dir: string, run: ZooRun): Array<{ model: string; dir: string; step: number }> {
  const out = runDir(dir, run.name);
  const list: Array<{ model: string; dir: string; step: number }> = [];
  for (let s = run.saveEvery; s < run.steps; s += run.saveEvery) list.push({ model: `${run.name}-step${s}`, dir: path.join(out, `step-${String(s).padStart(6, '0')}`), step: s });
  list.push({ model: `${run.name}-step${run.steps}`, dir: out, step: run.steps });
  return list;
}

export interface ZooOptions {
  items: string;
  out: string;
  quick?: boolean;
  runs?: ZooRun[];
  families?: string[];
  trainItems?: number;
  jobs?: number;
  signal?: AbortSignal;
  onLine?: (s: string) => void;
  /** a bar over the runs (done, running), as the study draws over its cells */
  progress?: Progress;
}

export interface ZooResult {
  responses: string;
  models: Array<{ model: string; run: string; step: number; checkpoint: string; accuracy: number }>;
}

/** Plans (or resumes) the zoo, runs its runs side by side, and writes responses.csv and zoo.json. */
export async function buildZoo(o: ZooOptions): Promise<ZooResult> {
  const items = readItems(o.items);
  const families = o.families ?? [...new Set(items.map((x) => x.family).filter((f): f is string => typeof f === 'string' && f in FAMILIES))];
  if (!families.length) throw new GradusError('the items name no built-in task family', 'The zoo trains on built-in tasks: make the items with `gradus tasks generate`, or pass --family.', { file: o.items });
  const plan: ZooPlan = { items: path.resolve(o.items), families, trainItems: o.trainItems ?? 3000, runs: o.runs ?? defaultRuns(o.quick ?? false) };
  fs.mkdirSync(o.out, { recursive: true });
  const old = fs.existsSync(planFile(o.out)) ? fs.readFileSync(planFile(o.out), 'utf8') : null;
  if (old !== null && old !== safeJson(plan)) throw new GradusError(`${o.out} holds a zoo made with other settings`, `Use another ${option('out')} folder, or delete this one.`, { file: planFile(o.out) });
  writeFileAtomic(planFile(o.out), safeJson(plan));
  const say = o.onLine ?? (() => undefined);
  const bar = o.progress;
  // a run is finished once its last checkpoint has answered
  const finished = (r: ZooRun) => fs.existsSync(path.join(o.out, 'answers', `${r.name}-step${r.steps}.jsonl`));
  bar?.start(plan.runs.length, plan.runs.filter(finished).length);
  const jobs = Math.max(1, o.jobs ?? os.availableParallelism());
  let next = 0;
  const failures: string[] = [];
  await Promise.all(Array.from({ length: Math.min(jobs, plan.runs.length) }, async () => {
    while (next < plan.runs.length && !o.signal?.aborted) {
      const run = plan.runs[next++];
      const log = path.join(o.out, 'logs', `${run.name}.log`);
      if (finished(run)) continue;
      say(`training ${run.name} (width ${run.d}, ${run.upTo === 1 ? 'all levels' : `the easiest ${Math.round(100 * run.upTo)}% of levels`}, ${run.steps} steps)`);
      bar?.cellStarted(run.name);
      const t0 = Date.now();
      const r = await runLogged(gradusArgv('zoo', '--run', run.name, '--out', o.out, '--items', o.items), { log, signal: o.signal });
      if (r.code !== 0) {
        failures.push(`${run.name}: ${describeOutcome(r)} (log: ${log})`);
        bar?.cellFailed(run.name, describeOutcome(r), log);
      } else {
        say(`${run.name} done`);
        bar?.cellDone(run.name, (Date.now() - t0) / 1000);
      }
    }
  }));
  bar?.end();
  if (o.signal?.aborted) throw new GradusError('interrupted', 'Run the same command again to resume the zoo.');
  if (failures.length) throw new GradusError(`zoo runs failed: ${failures.join('; ')}`, 'See the logs; run the same command again to retry them.');
  // merge every checkpoint's answers into one long table
  const lines = ['model,item,correct'];
  const models: ZooResult['models'] = [];
  for (const run of plan.runs) {
    for (const ck of checkpointsOf(o.out, run)) {
      const rows = fs.readFileSync(path.join(o.out, 'answers', `${ck.model}.jsonl`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { id: string; correct: boolean });
      for (const r of rows) lines.push(`${csvField(ck.model)},${csvField(r.id)},${r.correct ? 1 : 0}`);
      models.push({ model: ck.model, run: run.name, step: ck.step, checkpoint: path.resolve(ck.dir), accuracy: rows.filter((r) => r.correct).length / Math.max(1, rows.length) });
    }
  }
  const responses = path.join(o.out, 'responses.csv');
  writeFileAtomic(responses, lines.join('\n') + '\n');
  // what each run trained on, by family and level: every level the study scores should be here
  const training_levels = Object.fromEntries(plan.runs.map((r) => [r.name, fs.existsSync(levelsFile(o.out, r.name)) ? JSON.parse(fs.readFileSync(levelsFile(o.out, r.name), 'utf8')) : null]));
  writeFileAtomic(path.join(o.out, 'zoo.json'), safeJson({ plan, models, training_levels }));
  return { responses, models };
}

/** A finished zoo's zoo.json: its plan and every checkpoint with its accuracy on the study's items. */
export function readZoo(dir: string): { plan: ZooPlan; models: ZooResult['models'] } {
  const file = path.join(dir, 'zoo.json');
  if (!fs.existsSync(file)) throw new GradusError('this zoo is not finished (no zoo.json)', 'Run gradus zoo again with the same --out to finish it.', { file });
  const zoo = JSON.parse(fs.readFileSync(file, 'utf8')) as { plan: ZooPlan; models: ZooResult['models'] };
  if (!Array.isArray(zoo.models) || !zoo.models.length) throw new GradusError('zoo.json lists no models', 'Delete the zoo folder and build it again.', { file });
  return zoo;
}
