/**
 * The Open LLM Leaderboard v2's tasks as `--tasks` names them, the lm-evaluation-harness task names each covers
 * (the `<task>` of `samples_<task>_<timestamp>.jsonl`), and the per-sample metric the leaderboard scores it by.
 *
 * Metrics, as the leaderboard's own task configs (lm-evaluation-harness `tasks/leaderboard/`) define them:
 * multiple-choice tasks scored by log-likelihood (BBH, GPQA, MuSR) use `acc_norm`, the length-normalised choice;
 * MMLU-Pro uses `acc`; MATH Level 5 uses `exact_match`; IFEval's headline is `prompt_level_strict_acc` (every
 * instruction of a prompt followed, strictly). The metric is found by name among a samples line's keys, never
 * through the line's `metrics` list, which only harness 0.4.7 and later write.
 */
import { DEFAULT_METRICS } from '../responses/harnessSource.js';

export interface TaskGroup {
  /** the name given to --tasks, also the `task` column of responses.parquet and `<name>.items.jsonl` */
  name: string;
  /** does an lm-evaluation-harness task name belong to this group? */
  covers: (harnessTask: string) => boolean;
  /** the per-sample metric, by preference */
  metrics: string[];
}

const prefixed = (p: string) => (t: string) => t === p || t.startsWith(`${p}_`);

const KNOWN: Record<string, Omit<TaskGroup, 'name'>> = {
  bbh: { covers: prefixed('leaderboard_bbh'), metrics: ['acc_norm', 'acc'] },
  gpqa: { covers: prefixed('leaderboard_gpqa'), metrics: ['acc_norm', 'acc'] },
  musr: { covers: prefixed('leaderboard_musr'), metrics: ['acc_norm', 'acc'] },
  mmlu_pro: { covers: prefixed('leaderboard_mmlu_pro'), metrics: ['acc', 'acc_norm'] },
  math_hard: { covers: (t) => t.startsWith('leaderboard_math_') && t.endsWith('_hard'), metrics: ['exact_match'] },
  ifeval: { covers: prefixed('leaderboard_ifeval'), metrics: ['prompt_level_strict_acc'] },
};

export const LEADERBOARD_TASKS = Object.keys(KNOWN);

/** A --tasks name: one of the leaderboard's, or any harness task name (and its subtasks), scored by gradus' usual metrics. */
export function taskGroup(name: string): TaskGroup {
  const known = KNOWN[name];
  if (known) return { name, ...known };
  const own = prefixed(name);
  const board = prefixed(`leaderboard_${name}`);
  return { name, covers: (t) => own(t) || board(t), metrics: DEFAULT_METRICS };
}

/** The metric a samples line is scored by: the first of the group's names the line carries as a number or boolean. */
export function metricOf(group: TaskGroup, line: Record<string, unknown>): string | undefined {
  return group.metrics.find((k) => typeof line[k] === 'number' || typeof line[k] === 'boolean');
}
