/**
 * One lm-evaluation-harness samples file, read line by line (`.json` files from runs before mid-2024 hold one
 * JSON object per line too, never one array): each line's answer under the group's metric, and the item as the
 * harness saw it (`doc`, `target`, `arguments`).
 */
import { GradusError } from '../errors.js';
import { ANSWER_HINT, describeBad, parseAnswer } from '../responses/answer.js';
import { readSampleLines } from '../responses/samplesFile.js';
import { metricOf, type TaskGroup } from './tasks.js';

export interface SampleAnswer {
  item: string;
  score: number;
}

export interface SampleItem {
  id: string;
  task: string;
  subtask: string;
  doc_id: string | number;
  prompt: string;
  choices?: string[];
  answer: string;
  harness_prompt: string;
  [field: string]: unknown;
}

export interface SamplesRead {
  answers: SampleAnswer[];
  metric: string | undefined;
  missing: number;
}

const TEXT_FIELDS = ['question', 'Question', 'problem', 'input', 'prompt'];

/** The request texts of a line: `arguments` is `{gen_args_0: {arg_0, arg_1}, …}` in recent harness versions, a list of lists before. */
function requestTexts(args: unknown): Array<[string, string | undefined]> {
  const list = Array.isArray(args) ? args : args && typeof args === 'object' ? Object.values(args as Record<string, unknown>) : [];
  return list.map((a) => {
    const parts = Array.isArray(a) ? a : a && typeof a === 'object' ? Object.values(a as Record<string, unknown>) : [a];
    return [typeof parts[0] === 'string' ? parts[0] : '', typeof parts[1] === 'string' ? parts[1] : undefined];
  });
}

export function itemOf(line: Record<string, unknown>, group: TaskGroup, subtask: string): SampleItem {
  const doc = (line.doc && typeof line.doc === 'object' ? line.doc : {}) as Record<string, unknown>;
  const requests = requestTexts(line.arguments);
  const harnessPrompt = requests[0]?.[0] ?? '';
  // multiple choice is scored by the log-likelihood of each choice: one request per choice, the choice second;
  // the doc's own choice texts first: some tasks (MMLU-Pro, GPQA) score letters, so their requests carry only " A"
  const docChoices = Array.isArray(doc.options) ? doc.options : Array.isArray(doc.choices) ? doc.choices : undefined;
  const choices = docChoices ? docChoices.map(String) : requests.length > 1 && requests.every((r) => r[1] !== undefined) ? requests.map((r) => r[1]!.trim()) : undefined;
  const text = TEXT_FIELDS.map((k) => doc[k]).find((v) => typeof v === 'string' && v.trim()) as string | undefined;
  const narrative = typeof doc.narrative === 'string' ? `${doc.narrative}\n\n` : '';
  const target = line.target;
  const docId = line.doc_id as string | number;
  return {
    ...doc,
    id: `${subtask}/${String(docId)}`,
    task: group.name,
    subtask,
    doc_id: docId,
    prompt: text !== undefined ? narrative + text : harnessPrompt,
    ...(choices ? { choices } : {}),
    answer: target === undefined || target === null ? '' : typeof target === 'object' ? JSON.stringify(target) : String(target),
    harness_prompt: harnessPrompt,
  };
}

/** Reads a samples file; `onItem`, when given, receives every item as the harness saw it. */
export async function readSamples(file: string, group: TaskGroup, subtask: string, onItem?: (item: SampleItem) => void): Promise<SamplesRead> {
  const answers: SampleAnswer[] = [];
  let metric: string | undefined;
  let missing = 0;
  const badLineHint = 'A samples file holds one JSON object per line (also when named .json); delete the file and run collect again to fetch it anew.';
  for await (const { line: n, sample: s } of readSampleLines(file, { badLineHint })) {
    metric ??= metricOf(group, s);
    if (!metric) throw new GradusError(`no ${group.metrics.join(' or ')} in this sample`, `The leaderboard scores ${group.name} by ${group.metrics[0]}; this file does not look like the leaderboard's ${group.name} samples.`, { file, line: n });
    const a = parseAnswer(s[metric]);
    if (a.kind === 'bad') throw new GradusError(describeBad(s[metric], a.why), ANSWER_HINT, { file, line: n, column: `"${metric}"` });
    if (a.kind === 'missing') {
      missing++;
      continue;
    }
    answers.push({ item: `${subtask}/${String(s.doc_id)}`, score: a.v });
    onItem?.(itemOf(s, group, subtask));
  }
  return { answers, metric, missing };
}
