/**
 * Which files of a details repo to fetch. A repo holds `<org>__<model>/results_<timestamp>.json` and
 * `samples_<task>_<timestamp>.jsonl` (older runs: `.json`) for every run; a task evaluated twice has two
 * timestamps. For each harness task of the asked groups the latest run is taken (or the one `run` names),
 * with the results file of each timestamp taken.
 */
import path from 'node:path';
import type { RepoFile } from './repo.js';
import type { TaskGroup } from './tasks.js';

const STAMP = String.raw`\d{4}-\d{2}-\d{2}T[\d\-.:]+`;
const SAMPLES = new RegExp(`^samples_(.+)_(${STAMP})\\.(jsonl|json)$`);
const RESULTS = new RegExp(`^results_(${STAMP})\\.json$`);

export interface PickedSamples {
  group: string;
  /** the harness task, e.g. leaderboard_bbh_navigate */
  task: string;
  timestamp: string;
  file: RepoFile;
}

export interface Picked {
  samples: PickedSamples[];
  results: RepoFile[];
  /** groups with no samples in the repo */
  absent: string[];
}

export function pickRuns(files: RepoFile[], groups: TaskGroup[], run?: string): Picked {
  const best = new Map<string, PickedSamples>();
  const results = new Map<string, RepoFile>();
  for (const f of files) {
    const name = path.posix.basename(f.path);
    const r = RESULTS.exec(name);
    if (r) {
      results.set(r[1], f);
      continue;
    }
    const m = SAMPLES.exec(name);
    if (!m) continue;
    const [, task, timestamp, ext] = m;
    const group = groups.find((g) => g.covers(task));
    if (!group || (run !== undefined && timestamp !== run)) continue;
    const prev = best.get(task);
    // the latest timestamp wins; at the same timestamp a .jsonl is preferred over its older .json form
    if (!prev || timestamp > prev.timestamp || (timestamp === prev.timestamp && ext === 'jsonl')) best.set(task, { group: group.name, task, timestamp, file: f });
  }
  const samples = [...best.values()].sort((a, b) => (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
  const stamps = new Set(samples.map((s) => s.timestamp));
  return {
    samples,
    results: [...results].filter(([t]) => stamps.has(t)).map(([, f]) => f),
    absent: groups.filter((g) => !samples.some((s) => s.group === g.name)).map((g) => g.name),
  };
}
