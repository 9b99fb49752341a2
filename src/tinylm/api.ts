/**
 * The built-in learner's library face: make or continue a model and train it on examples, answer items, all
 * on checkpoints in folders. `gradus train`, `gradus answer`, `gradus zoo` and the study's builtin learner and
 * evaluator are thin layers over these.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { parseJsonLines } from '../util/jsonLines.js';
import { isCheckpoint, loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { liveModel } from './runtime.js';
import { train, type Example } from './train.js';
import { generate } from './generate.js';
import { initValues, type ModelConfig } from './transformer.js';

/** Printable ASCII: every built-in task and most English text, so models made apart share one vocabulary. */
export const DEFAULT_CHARS = Array.from({ length: 95 }, (_, k) => String.fromCharCode(32 + k));

export interface Architecture {
  d: number;
  layers: number;
  heads: number;
  maxLen: number;
}

export const DEFAULT_ARCH: Architecture = { d: 64, layers: 2, heads: 4, maxLen: 32 };

export interface TrainCheckpointOptions {
  /** continue from this checkpoint; else a new model with `arch` */
  from?: string;
  arch?: Partial<Architecture>;
  out: string;
  steps: number;
  batch?: number;
  lr?: number;
  seed?: number;
  ordered?: boolean;
  /** also save out/step-NNNNNN every this many steps (a checkpoint suite) */
  saveEvery?: number;
  onProgress?: (step: number, loss: number) => void;
}

export function newCheckpoint(arch: Partial<Architecture> = {}, seed = 1): Checkpoint {
  const a = { ...DEFAULT_ARCH, ...arch };
  if (a.d % a.heads !== 0) throw new GradusError(`width ${a.d} is not divisible by ${a.heads} heads`, `Pick ${option('d')} as a multiple of ${option('heads')}.`);
  const config: ModelConfig = { vocab: DEFAULT_CHARS.length + 5, d: a.d, layers: a.layers, heads: a.heads, ff: 4 * a.d, maxLen: a.maxLen };
  return { config, chars: DEFAULT_CHARS, values: initValues(config, seed), history: [] };
}

export async function trainCheckpoint(examples: Example[], o: TrainCheckpointOptions): Promise<{ loss: number; seconds: number; steps: number }> {
  const start = o.from !== undefined ? loadCheckpoint(o.from) : newCheckpoint(o.arch, o.seed ?? 1);
  const m = await liveModel(start);
  const batch = o.batch ?? 64, lr = o.lr ?? 3e-4, seed = o.seed ?? 1;
  const record = (steps: number, seconds: number) => ({ steps, examples: examples.length, seed, lr, batch, from: o.from ?? null, seconds });
  const t0 = Date.now();
  try {
    const r = await train(m, examples, {
      steps: o.steps, batch, lr, seed, ordered: o.ordered, every: o.saveEvery ?? 50,
      onProgress: (step, loss) => {
        o.onProgress?.(step, loss);
        if (o.saveEvery && step % o.saveEvery === 0 && step < o.steps) {
          saveCheckpoint(path.join(o.out, `step-${String(step).padStart(6, '0')}`), { ...start, values: m.values(), history: [...start.history, record(step, (Date.now() - t0) / 1000)] });
        }
      },
    });
    saveCheckpoint(o.out, { ...start, values: m.values(), history: [...start.history, record(o.steps, r.seconds)] });
    return { ...r, steps: o.steps };
  } finally {
    m.dispose();
  }
}

export async function answerPrompts(checkpoint: string, prompts: string[], batch = 256): Promise<string[]> {
  const m = await liveModel(loadCheckpoint(checkpoint));
  try {
    return await generate(m, prompts, { batch });
  } finally {
    m.dispose();
  }
}

/** Examples from JSONL lines in any of the layouts gradus writes or reads: items, prompt/completion, chat. */
export function readExamples(file: string): Example[] {
  if (!fs.existsSync(file)) throw new GradusError('no such training file', 'Give a JSONL file of {"prompt", "answer"} items, {"prompt", "completion"} pairs or {"messages": [...]} chats.', { file });
  const out: Example[] = [];
  for (const { line, value: x } of parseJsonLines(fs.readFileSync(file, 'utf8'), file)) {
    const place = { file, line };
    if (Array.isArray(x.messages)) {
      const msgs = x.messages as Array<{ role?: string; content?: unknown }>;
      const user = msgs.filter((m) => m.role === 'user').pop();
      const asst = msgs.filter((m) => m.role === 'assistant').pop();
      if (typeof user?.content === 'string' && typeof asst?.content === 'string') {
        out.push({ prompt: user.content, answer: asst.content });
        continue;
      }
    } else if (typeof x.prompt === 'string' && (typeof x.completion === 'string' || typeof x.answer === 'string' || typeof x.answer === 'number')) {
      out.push({ prompt: x.prompt, answer: String(x.completion ?? x.answer) });
      continue;
    }
    throw new GradusError('this line has neither prompt with answer/completion nor user and assistant messages', 'Write {"prompt": ..., "answer": ...}, {"prompt": ..., "completion": ...} or {"messages": [{"role": "user", ...}, {"role": "assistant", ...}]}.', place);
  }
  return out;
}

export { isCheckpoint, loadCheckpoint };
