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
import { generateItems, FAMILIES, type TaskItem } from '../tasks/families.js';
import { gradusArgv } from '../util/gradusBin.js';
import { isCheckpoint, loadCheckpoint, trainCheckpoint } from './api.js';
import { liveModel } from './runtime.js';
import { greedyAnswers } from './logprobs.js';
import type { Progress } from '../util/progress.js';

export interface ZooRun {
  name: string;
  d: number;
  /** levels of the training mixture: all, or only the lower half */
  mixture: 'all' | 'easy';
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

export function defaultRuns(quick: boolean): ZooRun[] {
  if (quick) {
    return [
      { name: 'w64-all-s1', d: 64, mixture: 'all', seed: 1, steps: 600, saveEvery: 20, lr: 2e-3 },
      { name: 'w32-easy-s2', d: 32, mixture: 'easy', seed: 2, steps: 600, saveEvery: 20, lr: 2e-3 },
    ];
  }
  return [
    { name: 'w64-all-s1', d: 64, mixture: 'all', seed: 1, steps: 1000, saveEvery: 25, lr: 2e-3 },
    { name: 'w32-all-s2', d: 32, mixture: 'all', seed: 2, steps: 1000, saveEvery: 25, lr: 2e-3 },
    { name: 'w64-easy-s3', d: 64, mixture: 'easy', seed: 3, steps: 750, saveEvery: 25, lr: 2e-3 },
    { name: 'w32-easy-s4', d: 32, mixture: 'easy', seed: 4, steps: 750, saveEvery: 25, lr: 2e-3 },
  ];
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
  return plan.families.flatMap((f) => {
    const top = FAMILIES[f].levels;
    const maxLevel = run.mixture === 'easy' ? Math.ceil(top / 2) : top;
    const fresh = generateItems(f, plan.trainItems + taken.size, 1000 + run.seed, maxLevel).filter((x) => !taken.has(x.prompt)).slice(0, plan.trainItems);
    const byLevel = new Map<number, TaskItem[]>();
    for (const x of fresh) byLevel.set(x.level, [...(byLevel.get(x.level) ?? []), x]);
    const most = Math.max(...[...byLevel.values()].map((g) => g.length));
    return [...byLevel.values()].flatMap((g) => Array.from({ length: most }, (_, k) => g[k % g.length]));
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
      say(`training ${run.name} (width ${run.d}, ${run.mixture} levels, ${run.steps} steps)`);
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
