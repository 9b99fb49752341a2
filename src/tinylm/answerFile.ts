/** Items file in, answers file out: what `gradus answer` and the study's builtin evaluator run. */
import fs from 'node:fs';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { csvField } from '../util/csv.js';
import { parseJsonLines } from '../util/jsonLines.js';
import { answerPrompts } from './api.js';

export interface AnswerRow {
  id: string;
  output: string;
  correct: boolean | null;
}

export async function answerItemsFile(ckpt: string, itemsFile: string, out: string, o: { batch?: number; responses?: string; modelName?: string } = {}) {
  if (!fs.existsSync(itemsFile)) throw new GradusError('no such items file', 'Give a JSONL file with id and prompt (and answer) per line.', { file: itemsFile });
  const items = parseJsonLines(fs.readFileSync(itemsFile, 'utf8'), itemsFile).map(({ line, value: x }) => {
    if (typeof x.prompt !== 'string') throw new GradusError('this item has no "prompt" string', 'Give every item its text as "prompt".', { file: itemsFile, line });
    return { id: String(x.id ?? line), prompt: x.prompt, answer: x.answer === undefined ? undefined : String(x.answer) };
  });
  const t0 = Date.now();
  const outputs = await answerPrompts(ckpt, items.map((x) => x.prompt), o.batch);
  const seconds = (Date.now() - t0) / 1000;
  const rows: AnswerRow[] = items.map((x, k) => ({ id: x.id, output: outputs[k], correct: x.answer === undefined ? null : outputs[k] === x.answer }));
  writeFileAtomic(out, rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  if (o.responses) {
    const name = o.modelName ?? ckpt;
    const lines = rows.filter((r) => r.correct !== null).map((r) => `${csvField(name)},${csvField(r.id)},${r.correct ? 1 : 0}`);
    if (!fs.existsSync(o.responses)) fs.writeFileSync(o.responses, 'model,item,correct\n');
    fs.appendFileSync(o.responses, lines.join('\n') + '\n');
  }
  const scored = rows.filter((r) => r.correct !== null).length;
  return { n: rows.length, scored, correct: rows.filter((r) => r.correct).length, seconds, itemsPerSecond: rows.length / Math.max(seconds, 1e-9) };
}
