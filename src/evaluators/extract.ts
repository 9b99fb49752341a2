/**
 * From a model's raw output to a scored answer, by kind: a multiple-choice letter, the final number, the exact
 * text, or the first capture of a regex. Pure functions; every evaluator (HTTP, built-in) scores through here.
 */
import { z } from 'zod';
import { GradusError } from '../errors.js';

/** the `answer` block of an evaluator's config: how its output is read */
export const answerSchema = z
  .object({
    kind: z.enum(['choice', 'number', 'exact', 'regex', 'loglikelihood']).default('exact'),
    pattern: z.string().optional(),
    ignore_case: z.boolean().default(false),
    // loglikelihood (multiple choice, as lm-evaluation-harness): normalization and lm-eval's target_delimiter
    normalize: z.enum(['none', 'length', 'bytes']).optional(),
    delimiter: z.string().optional(),
  })
  .strict();
export type AnswerConfig = z.infer<typeof answerSchema>;

export interface Scored {
  extracted: string | null;
  correct: boolean;
}

export const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

function normalize(s: string, ignoreCase: boolean): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return ignoreCase ? t.toLowerCase() : t;
}

export function extractChoice(output: string, nChoices = 10): string | null {
  const allowed = LETTERS.slice(0, Math.max(1, Math.min(26, nChoices)));
  const cls = `[${allowed}]`;
  const patterns = [
    new RegExp(`answer\\s*(?:is|:)?\\s*(?:option\\s*)?\\(?(${cls})\\)?(?![A-Za-z])`, 'i'),
    new RegExp(`^\\s*\\(?(${cls})(?:[).:]|\\s*$)`),
    new RegExp(`\\((${cls})\\)`),
  ];
  for (const p of patterns) {
    const m = output.match(p);
    if (m) return m[1].toUpperCase();
  }
  // last resort: a lone capital letter, but not the pronoun in "I think"
  for (const m of output.matchAll(new RegExp(`(?<![A-Za-z'])(${cls})(?![A-Za-z'])(\\s+[a-z])?`, 'g'))) {
    if (!(m[1] === 'I' && m[2])) return m[1];
  }
  return null;
}

const NUMBER = /-?\d[\d,]*(?:\.\d+)?|-?\.\d+/g;

export function extractNumber(output: string): string | null {
  // GSM8K writes the final answer after ####
  const marked = output.lastIndexOf('####');
  const text = marked >= 0 ? output.slice(marked + 4) : output;
  const all = text.match(NUMBER);
  if (!all) return null;
  const last = marked >= 0 ? all[0] : all[all.length - 1];
  return last.replace(/,/g, '');
}

export function choiceKey(answer: string, choices?: string[]): string {
  const a = answer.trim();
  const k = choices?.findIndex((c) => c.trim() === a) ?? -1;
  if (k >= 0) return LETTERS[k];
  if (/^[A-Za-z]$/.test(a)) return a.toUpperCase();
  if (/^\d+$/.test(a) && choices && Number(a) < choices.length) return LETTERS[Number(a)];
  throw new GradusError(`the reference answer ${JSON.stringify(answer)} is neither a letter, a choice index nor one of the choices`, 'With answer.kind "choice", give answers as letters (A, B, ...), 0-based indices, or the exact text of a choice.');
}

export function score(output: string, answer: string, cfg: AnswerConfig, choices?: string[]): Scored {
  switch (cfg.kind) {
    case 'choice': {
      const x = extractChoice(output, choices?.length ?? 10);
      return { extracted: x, correct: x !== null && x === choiceKey(answer, choices) };
    }
    case 'number': {
      const x = extractNumber(output);
      const ref = extractNumber(answer);
      if (ref === null) throw new GradusError(`the reference answer ${JSON.stringify(answer)} holds no number`, 'With answer.kind "number", every answer must contain a number.');
      if (x === null) return { extracted: null, correct: false };
      const a = Number(x), b = Number(ref);
      return { extracted: x, correct: Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)) };
    }
    case 'exact': {
      const x = normalize(output, cfg.ignore_case);
      return { extracted: x, correct: x === normalize(answer, cfg.ignore_case) };
    }
    case 'loglikelihood':
      throw new GradusError('answer.kind "loglikelihood" scores choices by their log-probability, not generated text', 'Use it with the openai evaluator on a completions endpoint.');
    case 'regex': {
      const re = new RegExp(cfg.pattern ?? '(.*)', cfg.ignore_case ? 'i' : '');
      const m = output.match(re);
      if (!m) return { extracted: null, correct: false };
      const x = m[1] ?? m[0];
      return { extracted: x, correct: normalize(x, cfg.ignore_case) === normalize(answer, cfg.ignore_case) };
    }
  }
}

export function checkAnswerConfig(cfg: AnswerConfig): void {
  if (cfg.kind !== 'regex') return;
  if (!cfg.pattern) throw new GradusError('field evaluator.answer.pattern: missing; answer.kind "regex" needs a pattern', 'Give a regular expression whose first capture group is the answer, e.g. "Answer: (\\\\S+)".');
  try {
    new RegExp(cfg.pattern);
  } catch (e) {
    throw new GradusError(`field evaluator.answer.pattern: not a valid regular expression (${(e as Error).message})`, 'Fix the pattern (JavaScript regular expression syntax).');
  }
}
