/**
 * A small Open LLM Leaderboard v2 for the stand-in Hub (hubServer.ts): per model a details repo laid out as the
 * real ones are (`open-llm-leaderboard/<org>__<model>-details`, files `<org>__<model>/results_<ts>.json` and
 * `samples_leaderboard_<task>_<ts>.jsonl`), samples lines shaped as lm-evaluation-harness writes them, and the
 * `contents` table. Answers follow a Rasch model (ability per model, difficulty per item), seeded.
 *
 * Shapes, from the harness' own output (`lm_eval/loggers/evaluation_tracker.py` and `evaluator.py`):
 * - a line is `{doc_id, doc, target, arguments, resps, filtered_resps, doc_hash, prompt_hash, target_hash, <metric>}`;
 *   since harness 0.4.7 also `filter` and `metrics` (written in the `.jsonl` files here, left out of the `.json` ones);
 * - `arguments` is `{gen_args_0: {arg_0: context, arg_1: continuation-or-generation-kwargs}, …}`; older runs
 *   (the `.json` files here) wrote a list of `[context, continuation]` pairs;
 * - multiple-choice tasks scored by log-likelihood log one request per choice;
 * - `results_<ts>.json` carries `model_name` and `config.model_args` (`pretrained=org/model,…`).
 */
import { createHash } from 'node:crypto';

export interface TaskSpec {
  group: string;
  subtasks: string[];
  metric: string;
  /** also log this metric (real multiple-choice runs log acc beside acc_norm) */
  extra?: string;
  choices?: number;
}

export const TASKS: Record<string, TaskSpec> = {
  musr: { group: 'musr', subtasks: ['leaderboard_musr_murder_mysteries', 'leaderboard_musr_object_placements', 'leaderboard_musr_team_allocation'], metric: 'acc_norm', choices: 3 },
  math_hard: { group: 'math_hard', subtasks: ['algebra', 'counting_and_prob', 'geometry', 'intermediate_algebra', 'num_theory', 'prealgebra', 'precalculus'].map((s) => `leaderboard_math_${s}_hard`), metric: 'exact_match' },
  mmlu_pro: { group: 'mmlu_pro', subtasks: ['leaderboard_mmlu_pro'], metric: 'acc', choices: 10 },
  bbh: { group: 'bbh', subtasks: ['boolean_expressions', 'causal_judgement', 'date_understanding', 'navigate'].map((s) => `leaderboard_bbh_${s}`), metric: 'acc_norm', extra: 'acc', choices: 2 },
  gpqa: { group: 'gpqa', subtasks: ['leaderboard_gpqa_diamond', 'leaderboard_gpqa_extended', 'leaderboard_gpqa_main'], metric: 'acc_norm', extra: 'acc', choices: 4 },
  ifeval: { group: 'ifeval', subtasks: ['leaderboard_ifeval'], metric: 'prompt_level_strict_acc' },
};

export interface ModelSpec {
  model: string;
  theta: number;
  /** samples written as `.json` (an older run) */
  oldForm?: boolean;
  /** a second, later run of the first task's subtasks (its answers differ: every one flipped) */
  rerun?: boolean;
  gated?: boolean;
}

export interface LeaderboardSpec {
  models: ModelSpec[];
  tasks: string[];
  itemsPerSubtask: number;
  /** pad each samples line to about this many bytes (the real ones run from 1 to 20 kB) */
  lineBytes?: number;
}

export const RUN_1 = '2024-06-26T18-45-16.398419';
export const RUN_2 = '2024-10-02T09-12-44.100233';

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

export const folderOf = (model: string) => model.replace('/', '__');
export const detailsRepo = (model: string) => `open-llm-leaderboard/${folderOf(model)}-details`;

/** Whether the model answers the item right: the truth the tests check the collected table against. */
export function truth(spec: ModelSpec, subtask: string, docId: number, run: string): boolean {
  const h = createHash('sha1').update(`${subtask}/${docId}`).digest();
  const b = (h[0] / 255) * 4 - 2;
  const r = rng(h.readUInt32LE(4) ^ Math.round(spec.theta * 1000 + 7))();
  const right = r < 1 / (1 + Math.exp(-(spec.theta - b)));
  return run === RUN_2 ? !right : right;
}

function line(t: TaskSpec, subtask: string, docId: number, right: boolean, oldForm: boolean, pad: number): string {
  const question = `Question ${docId} of ${subtask}: what follows?`;
  const filler = pad > 0 ? ' '.padEnd(pad, 'lorem ipsum ') : '';
  let doc: Record<string, unknown>;
  let target: unknown;
  let requests: Array<[string, unknown]>;
  const ctx = `<few-shot examples>${filler}\n\n${question}\nAnswer:`;
  if (t.choices) {
    const choices = Array.from({ length: t.choices }, (_, k) => `option ${String.fromCharCode(65 + k)} of ${docId}`);
    const answerIndex = docId % t.choices;
    doc = t.group === 'musr' ? { narrative: `A story ${docId}.${filler}`, question, choices: JSON.stringify(choices), answer_index: answerIndex } : { question, options: choices, answer_index: answerIndex };
    target = answerIndex;
    requests = choices.map((c) => [ctx, ` ${c}`]);
  } else {
    doc = t.group === 'ifeval' ? { key: docId, prompt: `${question}${filler}`, instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] } : { problem: `${question}${filler}`, solution: `\\boxed{${docId}}`, answer: String(docId), level: 'Level 5' };
    target = t.group === 'ifeval' ? 0 : String(docId);
    requests = [[ctx, { until: ['Problem:'], do_sample: false, temperature: 0.0 }]];
  }
  const score = t.group === 'ifeval' ? right : right ? 1.0 : 0.0;
  const out: Record<string, unknown> = {
    doc_id: docId,
    doc,
    target,
    arguments: oldForm ? requests : Object.fromEntries(requests.map(([a, b], k) => [`gen_args_${k}`, { arg_0: a, arg_1: b }])),
    resps: [[['-1.5', 'False']]],
    filtered_resps: [['-1.5', 'False']],
    doc_hash: createHash('sha256').update(`${subtask}/${docId}`).digest('hex'),
    prompt_hash: createHash('sha256').update(ctx).digest('hex'),
    target_hash: createHash('sha256').update(String(target)).digest('hex'),
    [t.metric]: score,
  };
  if (t.extra) out[t.extra] = right ? 0.0 : 1.0; // deliberately disagrees: the collector must take the leaderboard's metric
  if (t.group === 'ifeval') Object.assign(out, { inst_level_strict_acc: [right], prompt_level_loose_acc: right, inst_level_loose_acc: [right] });
  if (!oldForm) Object.assign(out, { filter: 'none', metrics: [t.metric, ...(t.extra ? [t.extra] : [])] });
  return JSON.stringify(out);
}

/** Every file of every details repo: repo → (path → bytes). */
export function detailsRepos(spec: LeaderboardSpec): Map<string, Map<string, Buffer>> {
  const repos = new Map<string, Map<string, Buffer>>();
  for (const m of spec.models) {
    const files = new Map<string, Buffer>();
    const dir = folderOf(m.model);
    const runs = m.rerun ? [RUN_1, RUN_2] : [RUN_1];
    for (const run of runs) {
      files.set(`${dir}/results_${run}.json`, Buffer.from(JSON.stringify({ model_name: m.model, config: { model: 'hf', model_args: `pretrained=${m.model},revision=main,trust_remote_code=False,dtype=bfloat16` }, results: {} }, null, 2)));
      const tasks = run === RUN_1 ? spec.tasks : spec.tasks.slice(0, 1);
      for (const task of tasks) {
        const t = TASKS[task];
        for (const subtask of t.subtasks) {
          const lines: string[] = [];
          for (let d = 0; d < spec.itemsPerSubtask; d++) lines.push(line(t, subtask, d, truth(m, subtask, d, run), Boolean(m.oldForm), spec.lineBytes ?? 0));
          files.set(`${dir}/samples_${subtask}_${run}.${m.oldForm ? 'json' : 'jsonl'}`, Buffer.from(lines.join('\n') + '\n'));
        }
      }
    }
    files.set('README.md', Buffer.from(`# Details of ${m.model}\n`));
    repos.set(detailsRepo(m.model), files);
  }
  return repos;
}

/** Rows of the `contents` table with the leaderboard's real column names. */
export function contentsRows(models: Array<{ model: string; average: number; params: number; flagged?: boolean; merged?: boolean; available?: boolean; precision?: string }>): Array<Record<string, unknown>> {
  return models.map((m) => ({
    eval_name: `${folderOf(m.model)}_${m.precision ?? 'bfloat16'}`,
    Precision: m.precision ?? 'bfloat16',
    Type: '💬 chat models (RLHF, DPO, IFT, ...)',
    Model: `<a href="https://huggingface.co/${m.model}">${m.model}</a>`,
    fullname: m.model,
    'Model sha': 'a1b2c3',
    'Average ⬆️': m.average,
    'Hub License': 'apache-2.0',
    'Hub ❤️': 10,
    '#Params (B)': m.params,
    'Available on the hub': m.available ?? true,
    MoE: false,
    Flagged: m.flagged ?? false,
    Merged: m.merged ?? false,
    'Chat Template': true,
    'IFEval Raw': 0.5,
    IFEval: 50.0,
    'Submission Date': '2024-07-01',
    'Base Model': m.model,
  }));
}

/** The `contents` table as the Parquet file the Hub serves, written by DuckDB. */
export async function contentsParquet(rows: Array<Record<string, unknown>>): Promise<Buffer> {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { openDuck, sqlString } = await import('../../src/util/duck.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-contents-'));
  const json = path.join(dir, 'contents.json');
  const out = path.join(dir, 'train-00000-of-00001.parquet');
  fs.writeFileSync(json, JSON.stringify(rows));
  const duck = await openDuck();
  try {
    await duck.conn.run(`COPY (SELECT * FROM read_json(${sqlString(json)})) TO ${sqlString(out)} (FORMAT parquet)`);
  } finally {
    duck.close();
  }
  const bytes = fs.readFileSync(out);
  fs.rmSync(dir, { recursive: true, force: true });
  return bytes;
}
