/**
 * The study config: YAML or JSON (JSON is read by the YAML parser too, so both get line numbers), checked against
 * a zod schema. An error names the field's path, where it is in the file, and what was expected.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { LineCounter, parseDocument, isMap, isNode, isScalar } from 'yaml';
import { z } from 'zod';
import { GradusError } from '../errors.js';

export const STRATEGIES = ['each-bin', 'all', 'easy', 'hard', 'random', 'normal', 'easy-to-hard', 'hard-to-easy', 'spiral'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export const CURRICULA: readonly StrategyName[] = ['easy-to-hard', 'hard-to-easy', 'spiral'];

const int = (min: number) => z.number().int().min(min);
const argv = z.array(z.string()).min(1);
const env = z.record(z.string(), z.string());

const strategyObject = z
  .object({
    name: z.enum(STRATEGIES),
    bins: z.union([int(1), z.array(int(0)).min(1)]).optional(),
    sd: z.number().positive().optional(),
    rounds: int(1).optional(),
  })
  .strict();
const strategy = z.union([z.enum(STRATEGIES), strategyObject]);

const data = z
  .object({
    split: z.string().optional(),
    items: z.string().optional(),
    bins: z.string().optional(),
    fit: z.string().optional(),
    k: int(1).default(10),
    on: z.enum(['b', 'p_correct']).default('b'),
    test_fraction: z.number().min(0).max(1).default(0.2),
    seed: int(0).default(1),
    fields: z
      .object({ id: z.string().default('id'), prompt: z.string().default('prompt'), answer: z.string().default('answer'), choices: z.string().default('choices') })
      .strict()
      .default({ id: 'id', prompt: 'prompt', answer: 'answer', choices: 'choices' }),
  })
  .strict();

const commandLearner = z
  .object({
    kind: z.literal('command'),
    command: argv,
    format: z.enum(['chat', 'prompt']).default('chat'),
    timeout_s: z.number().positive().default(86400),
    retries: int(0).default(0),
    env: env.default({}),
    cwd: z.string().optional(),
    keeps_order: z.boolean().default(true),
  })
  .strict();
const builtinLearner = z
  .object({
    kind: z.literal('builtin'),
    steps: int(1).default(200),
    lr: z.number().positive().default(3e-4),
    batch: int(1).default(64),
  })
  .strict();
// models trained elsewhere: `model` names each cell's checkpoint (placeholders of the cell), the baseline is base_model
const noneLearner = z.object({ kind: z.literal('none'), model: z.string().default('{base_model}') }).strict();

const answer = z
  .object({
    kind: z.enum(['choice', 'number', 'exact', 'regex', 'loglikelihood']).default('exact'),
    pattern: z.string().optional(),
    ignore_case: z.boolean().default(false),
    // loglikelihood (multiple choice, as lm-evaluation-harness): normalization and lm-eval's target_delimiter
    normalize: z.enum(['none', 'length', 'bytes']).optional(),
    delimiter: z.string().optional(),
  })
  .strict();
const openaiEvaluator = z
  .object({
    kind: z.literal('openai'),
    base_url: z.string().url(),
    model: z.string().default('{model_path}'),
    endpoint: z.enum(['chat', 'completions']).default('chat'),
    api_key_env: z.string().optional(),
    prompt_template: z.string().default('{prompt}'),
    max_tokens: int(1).default(256),
    temperature: z.number().min(0).default(0),
    stop: z.array(z.string()).optional(),
    answer: answer.default({ kind: 'exact', ignore_case: false }),
    concurrency: int(1).default(8),
    timeout_s: z.number().positive().default(120),
    retries: int(0).default(5),
    server: z
      .object({ command: argv, ready_timeout_s: z.number().positive().default(600), env: env.default({}), cwd: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();
const commandEvaluator = z
  .object({
    kind: z.literal('command'),
    command: argv,
    results: z.string().default('{output_dir}'),
    model: z.string().optional(),
    metric: z.string().optional(),
    timeout_s: z.number().positive().default(86400),
    retries: int(0).default(0),
    env: env.default({}),
    cwd: z.string().optional(),
  })
  .strict();
const builtinEvaluator = z.object({ kind: z.literal('builtin'), batch: int(1).default(256) }).strict();

// one line of a batch script: a newline would let a config value add commands
const line = z.string().regex(/^[^\n\r]*$/, 'must be one line');
const slurmExecutor = z
  .object({
    kind: z.literal('slurm'),
    partition: line.optional(),
    account: line.optional(),
    qos: line.optional(),
    gpus: z.union([int(0), line]).optional(),
    cpus_per_task: int(1).optional(),
    mem: line.optional(),
    time: line.optional(),
    extra: z.array(line).default([]),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a variable name'), line).default({}),
    setup: z.array(line).default([]),
    max_queued: int(1).default(20),
    poll_s: z.number().positive().default(1),
    retries: int(0).default(0),
  })
  .strict();

export const studySchema = z
  .object({
    data,
    strategies: z.array(strategy).min(1).default(['each-bin']),
    seeds: z.array(int(0)).min(1).default([1]),
    max_train: int(1).optional(),
    test_on: z.enum(['test', 'train', 'all']).default('test'),
    base_model: z.string().default(''),
    baseline: z.boolean().default(true),
    learner: z.discriminatedUnion('kind', [commandLearner, builtinLearner, noneLearner]),
    evaluator: z.discriminatedUnion('kind', [openaiEvaluator, commandEvaluator, builtinEvaluator]),
    parallel: int(1).default(1),
    bootstrap: int(0).default(1000),
    executor: z.discriminatedUnion('kind', [z.object({ kind: z.literal('local') }).strict(), slurmExecutor]).default({ kind: 'local' }),
  })
  .strict();

export type StudyConfig = z.infer<typeof studySchema>;
export type StrategySpec = z.infer<typeof strategy>;
export type LearnerConfig = StudyConfig['learner'];
export type EvaluatorConfig = StudyConfig['evaluator'];
export type AnswerConfig = z.infer<typeof answer>;
export type SlurmConfig = z.infer<typeof slurmExecutor>;

export interface LoadedConfig {
  config: StudyConfig;
  file: string;
  /** folder that relative paths in the config are read from */
  dir: string;
  /** hash of everything that changes results (not `parallel`) */
  hash: string;
}

export function parseStudyConfig(text: string, file: string): StudyConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new GradusError(`the config is not valid YAML or JSON (${e.message.split('\n')[0]})`, 'Fix the syntax at that place.', { file, line: pos.line, column: pos.col });
  }
  const raw = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new GradusError('the config must be a mapping of fields (data, strategies, learner, evaluator, ...)', 'See the study config section of README.md and the files in examples/.', { file });
  }
  const r = studySchema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  let at: (string | number)[] = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  if (issue.code === 'unrecognized_keys') at = [...at, issue.keys[0]];
  // the deepest node that exists in the file gives the line
  let node: unknown;
  for (let n = at.length; n >= 0 && !isNode(node); n--) node = n === 0 ? doc.contents : doc.getIn(at.slice(0, n), true);
  if (issue.code === 'unrecognized_keys') {
    // point at the unknown key itself, not at its value
    const parent = at.length > 1 ? doc.getIn(at.slice(0, -1), true) : doc.contents;
    const pair = isMap(parent) ? parent.items.find((p) => isScalar(p.key) && p.key.value === issue.keys[0]) : undefined;
    if (pair && isNode(pair.key)) node = pair.key;
  }
  const range = isNode(node) ? node.range : undefined;
  const pos = range ? lc.linePos(range[0]) : undefined;
  const field = at.length ? at.join('.') : '(top level)';
  const extra = r.error.issues.length > 1 ? ` (${r.error.issues.length - 1} more problem(s) after this one)` : '';
  throw new GradusError(
    `field ${field}: ${describeIssue(issue)}${extra}`,
    'Every field is listed in the study config section of README.md; examples/ has a working config for each learner and evaluator.',
    { file, line: pos?.line, column: pos?.col },
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field "${issue.keys[0]}"`;
  if (issue.code === 'invalid_union' && 'options' in issue) return `expected one of ${(issue.options as unknown[]).map((o) => JSON.stringify(o)).join(', ')}`;
  if (issue.code === 'invalid_value') return `expected one of ${issue.values.map((o) => JSON.stringify(o)).join(', ')}`;
  if (issue.code === 'invalid_format' && issue.format === 'url') return 'expected a URL such as http://127.0.0.1:8000/v1';
  if (issue.code === 'invalid_type' && /received undefined/.test(issue.message)) return `missing; expected ${issue.expected}`;
  return issue.message.replace(/^Invalid input: /, '');
}

/** command-line settings that win over the config's (`gradus study --test-on`) */
export type StudyOverrides = Partial<Pick<StudyConfig, 'test_on'>>;

export function loadStudyConfig(file: string, overrides: StudyOverrides = {}): LoadedConfig {
  if (!fs.existsSync(file)) throw new GradusError('no such config file', 'Give the study config (YAML or JSON); examples/ has one for each learner and evaluator.', { file });
  const config = { ...parseStudyConfig(fs.readFileSync(file, 'utf8'), file), ...overrides };
  checkData(config, file);
  return { config, file, dir: path.dirname(path.resolve(file)), hash: configHash(config) };
}

function checkData(c: StudyConfig, file: string): void {
  const d = c.data;
  const ok = d.split !== undefined ? d.items === undefined && d.bins === undefined && d.fit === undefined : d.items !== undefined && (d.bins !== undefined) !== (d.fit !== undefined);
  if (!ok) {
    throw new GradusError('field data: give either `split` (a gradus split folder), or `items` with `bins` (a bins.csv), or `items` with `fit` (a fit folder to bin)', 'For example  data: { split: split/ }  or  data: { items: items.jsonl, fit: fit/, k: 10 }.', { file });
  }
}

export function configHash(c: StudyConfig): string {
  // where and how many at once do not change results
  const { parallel: _p, executor: _e, ...rest } = c;
  return createHash('sha256').update(stableJson(rest)).digest('hex').slice(0, 16);
}

export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

export function strategyName(s: StrategySpec): StrategyName {
  return typeof s === 'string' ? s : s.name;
}
