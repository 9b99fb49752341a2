/**
 * `gradus collect` as a library function: the leaderboard's per-sample answers, from the Hub to
 * `OUT/raw/<org>__<model>/…` (as the Hub has them), `OUT/responses.parquet`, `OUT/<task>.items.jsonl` and
 * `OUT/collect.json` (what was asked, found, skipped and why, and the hash of every file).
 * Killed at any moment and run again, it fetches only what it lacks: a model already collected is checked
 * against the hashes in collect.json without asking the Hub, unless `update` asks for new runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { safeJson } from '../util/csv.js';
import { CONTENTS_REPO, detailsRepo, folderOf, modelFromLine, readContents, type ModelFilter, type ModelList } from './contents.js';
import { fetchFile, haveFile, type FileRecord } from './download.js';
import { HUB_URL, hubFetch } from './http.js';
import { HubAccess, listRepoFiles, type HubContext, type RepoFile } from './repo.js';
import { pickRuns, type PickedSamples } from './runs.js';
import { rowsFile, writeItems, writeModelRows, writeResponsesParquet } from './output.js';
import { findToken, redact } from './token.js';
import { taskGroup, type TaskGroup } from './tasks.js';
import { silentProgress, type CollectProgress } from './progress.js';

export interface CollectOptions extends ModelFilter {
  tasks: string[];
  out: string;
  /** a file of models (org/model, org__model or details repo ids, one a line), instead of the contents table */
  models?: string;
  concurrency?: number;
  revision?: string;
  /** fetch this run (timestamp) instead of the latest */
  run?: string;
  /** ask the Hub again for models already collected, and fetch only their new runs */
  update?: boolean;
  hubUrl?: string;
  /** per request: no answer (or a stalled body) for this long aborts it */
  timeoutS?: number;
  retries?: number;
  /** the environment to find the token in (HF_TOKEN, HF_HOME, …); process.env by default */
  env?: NodeJS.ProcessEnv;
  progress?: CollectProgress;
}

export type ModelStatus = 'done' | 'no-access' | 'not-found' | 'no-tasks' | 'failed';

export interface ModelState {
  repo: string;
  status: ModelStatus;
  message?: string;
  /** the --tasks names this model was collected for, and the run asked (null: the latest) */
  tasks?: string[];
  run?: string | null;
  runs?: Record<string, string>;
  absent?: string[];
  files?: FileRecord[];
  rows?: number;
  metrics?: Record<string, string>;
}

export interface CollectResult {
  file: string;
  models: number;
  done: number;
  skipped: Array<{ model: string; status: ModelStatus; message: string }>;
  failed: Array<{ model: string; message: string }>;
  bytes: number;
  responses: number;
  items: Record<string, number>;
  /** 0 all collected; 1 some failed (network: run again); 3 some skipped because the Hub refused access */
  exitCode: number;
}

export async function collectLeaderboard(o: CollectOptions): Promise<CollectResult> {
  if (!o.tasks.length) throw new GradusError('no tasks asked', `Name them with ${option('tasks')}, e.g. musr,math_hard,bbh,gpqa,mmlu_pro,ifeval.`);
  const progress = o.progress ?? silentProgress;
  const { token } = findToken(o.env ?? process.env);
  const hubUrl = (o.hubUrl ?? HUB_URL).replace(/\/$/, '');
  const ctx: HubContext = {
    hubUrl,
    revision: o.revision ?? 'main',
    hasToken: Boolean(token),
    fetch: hubFetch({ hubUrl, token, timeoutMs: (o.timeoutS ?? 60) * 1000, retries: o.retries ?? 6 }),
  };
  const groups = o.tasks.map(taskGroup);
  const out = path.resolve(o.out);
  const raw = path.join(out, 'raw');
  const stateFile = path.join(out, 'collect.json');
  const previous = readState(stateFile);
  const list = await listModels(ctx, o, out);
  const models = list.models.map((m) => m.model);
  const state: Record<string, ModelState> = {};
  for (const m of models) if (previous[m]) state[m] = previous[m];
  let bytes = 0;
  // collect.json grows with the models, so it is rewritten at most every few seconds (and at the end): a kill
  // loses only that much of the record, and those models' files are then checked against the Hub's listing
  let savedAt = 0;
  const saveSoon = () => {
    if (Date.now() - savedAt >= 3000) save();
  };
  const save = () => {
    savedAt = Date.now();
    writeFileAtomic(stateFile, safeJson({
      asked: { tasks: o.tasks, models: o.models ?? CONTENTS_REPO, top: o.top ?? null, min_params: o.minParams ?? null, max_params: o.maxParams ?? null, keep_flagged: Boolean(o.keepFlagged), run: o.run ?? null, revision: ctx.revision, update: Boolean(o.update), hub_url: hubUrl },
      found: { rows: list.rows, models: models.length, dropped: list.dropped },
      // in the list's order (best first), whatever order the downloads finished in
      models: Object.fromEntries(models.filter((m) => state[m]).map((m) => [m, state[m]])),
    }));
  };

  // a model collected before serves as it is when it holds every asked task, of the asked run
  const covered = (s: ModelState | undefined) => s?.status === 'done' && !o.update && (s.run ?? null) === (o.run ?? null) && groups.every((g) => s.tasks?.includes(g.name));
  const asked = groups.map((g) => g.name).sort().join(',');
  progress.start(models.length, models.filter((m) => covered(state[m])).length);

  const collectOne = async (model: string) => {
    const repo = detailsRepo(model);
    const before = state[model];
    let got = 0;
    try {
      if (covered(before) && (await stillWhole(before, raw))) {
        // the rows file holds the tasks of the run that wrote it: rewritten when fewer are asked now
        if (!fs.existsSync(rowsFile(out, folderOf(model))) || [...before!.tasks!].sort().join(',') !== asked) {
          await rows(model, before!, raw, out, groups);
          before!.tasks = groups.map((g) => g.name);
        }
        return;
      }
      const picked = pickRuns(await listRepoFiles(ctx, repo), groups, o.run);
      if (!picked.samples.length) {
        state[model] = { repo, status: 'no-tasks', message: `no samples of ${o.tasks.join(', ')} in ${repo}${o.run ? ` for run ${o.run}` : ''}` };
        progress.modelSkipped(model, state[model].message!);
        return;
      }
      const files: FileRecord[] = [];
      for (const f of [...picked.results, ...picked.samples.map((s) => s.file)]) {
        const r = await fetchFile(ctx, repo, f, path.join(raw, f.path), (n) => {
          got += n;
          bytes += n;
          progress.bytes(n);
        });
        files.push(r.record);
      }
      // a newer run supersedes the files of the old one: raw/ keeps only what the responses come from
      for (const old of before?.files ?? []) if (!files.some((f) => f.path === old.path)) fs.rmSync(path.join(raw, old.path), { force: true });
      const s: ModelState = { repo, status: 'done', tasks: groups.map((g) => g.name), run: o.run ?? null, runs: Object.fromEntries(picked.samples.map((p) => [p.task, p.timestamp])), absent: picked.absent, files };
      const r = await rows(model, s, raw, out, groups);
      state[model] = { ...s, rows: r.rows, metrics: r.metrics };
      progress.modelDone(model, got);
    } catch (e) {
      if (e instanceof HubAccess) {
        state[model] = { repo, status: e.status === 404 ? 'not-found' : 'no-access', message: e.message };
        progress.modelSkipped(model, e.message);
      } else if (e instanceof GradusError) {
        throw e;
      } else {
        const message = redact(e instanceof Error ? e.message : String(e), token);
        state[model] = { ...(before ?? { repo }), status: 'failed', message };
        progress.modelFailed(model, `${message} (run the same command again to resume)`);
      }
    } finally {
      saveSoon();
    }
  };

  await pool(models, Math.max(1, o.concurrency ?? 8), collectOne);
  progress.end();
  const done = models.filter((m) => state[m]?.status === 'done');
  const responses = await writeResponsesParquet(done.map((m) => rowsFile(out, folderOf(m))), path.join(out, 'responses.parquet'));
  const items: Record<string, number> = {};
  for (const g of groups) {
    const first = done.find((m) => Object.keys(state[m].runs ?? {}).some((t) => g.covers(t)));
    if (!first) continue;
    items[g.name] = await writeItems(raw, g.name, samplesOf(state[first], groups).filter((s) => s.group === g.name), path.join(out, `${g.name}.items.jsonl`));
  }
  save();
  const skipped = models.filter((m) => ['no-access', 'not-found', 'no-tasks'].includes(state[m]?.status)).map((m) => ({ model: m, status: state[m].status, message: state[m].message ?? '' }));
  const failed = models.filter((m) => state[m]?.status === 'failed').map((m) => ({ model: m, message: state[m].message ?? '' }));
  return { file: stateFile, models: models.length, done: done.length, skipped, failed, bytes, responses, items, exitCode: failed.length ? 1 : skipped.some((s) => s.status !== 'no-tasks') ? 3 : 0 };
}

function readState(file: string): Record<string, ModelState> {
  if (!fs.existsSync(file)) return {};
  try {
    return (JSON.parse(fs.readFileSync(file, 'utf8')).models ?? {}) as Record<string, ModelState>;
  } catch {
    // a collect.json that does not parse is rebuilt: every file is still checked against the Hub's listing
    return {};
  }
}

async function stillWhole(s: ModelState, raw: string): Promise<boolean> {
  for (const f of s.files ?? []) {
    const file: RepoFile = { path: f.path, size: f.size, oid: '' };
    if (!(await haveFile(file, path.join(raw, f.path), f.sha256))) return false;
  }
  return Boolean(s.files?.length);
}

/** The picked samples of a collected model, rebuilt from its state. */
function samplesOf(s: ModelState, groups: TaskGroup[]): PickedSamples[] {
  const runs = s.runs ?? {};
  return (s.files ?? []).flatMap((f) => {
    const name = path.posix.basename(f.path);
    const task = Object.keys(runs).find((t) => name === `samples_${t}_${runs[t]}.jsonl` || name === `samples_${t}_${runs[t]}.json`);
    if (!task) return [];
    const group = groups.find((g) => g.covers(task));
    if (!group) return [];
    return [{ group: group.name, task, timestamp: runs[task], file: { path: f.path, size: f.size, oid: '' } }];
  });
}

async function rows(model: string, s: ModelState, raw: string, out: string, groups: TaskGroup[]) {
  const r = await writeModelRows(model, raw, samplesOf(s, groups), rowsFile(out, folderOf(model)));
  s.rows = r.rows;
  s.metrics = r.metrics;
  return r;
}

async function listModels(ctx: HubContext, o: CollectOptions, out: string): Promise<ModelList> {
  if (o.models) {
    if (!fs.existsSync(o.models)) throw new GradusError('no such models file', 'Give a text file with one model (org/model) per line.', { file: o.models });
    const models = [...new Set(fs.readFileSync(o.models, 'utf8').split(/\r?\n/).filter((l) => l.trim() && !l.trim().startsWith('#')).map(modelFromLine))];
    const bad = models.find((m) => !/^[^/\s]+\/[^/\s]+$/.test(m));
    if (bad !== undefined) throw new GradusError(`"${bad}" is not a model id (org/model)`, 'Write one model per line as org/model, org__model or open-llm-leaderboard/org__model-details.', { file: o.models, line: fs.readFileSync(o.models, 'utf8').split(/\r?\n/).findIndex((l) => modelFromLine(l) === bad) + 1 });
    return { models: models.map((model) => ({ model, average: null, params: null })), rows: models.length, dropped: {} };
  }
  const files = (await listRepoFiles(ctx, CONTENTS_REPO)).filter((f) => f.path.endsWith('.parquet'));
  if (!files.length) throw new GradusError(`${CONTENTS_REPO} holds no Parquet file`, `Give the models yourself with ${option('models')} FILE.`);
  const local: string[] = [];
  for (const f of files) {
    const dest = path.join(out, 'contents', f.path);
    await fetchFile(ctx, CONTENTS_REPO, f, dest, () => {});
    local.push(dest);
  }
  return readContents(local, o);
}

async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}
