/**
 * Multiple choice scored as lm-evaluation-harness scores it: each choice's continuation (delimiter + choice) gets
 * the summed log-probability of its tokens after the prompt, and the item's prediction is the best choice, raw
 * (`acc`), divided by the choice's length in characters (`acc_norm`, lm-eval's definition) or in UTF-8 bytes.
 * The log-probabilities come from a completions endpoint with `echo` and `logprobs`, one request per item holding
 * every choice as a list of prompts. `max_tokens` is 1, as lm-eval sends it: vLLM refuses 0 (vllm#9336); the
 * generated token lies past the prompt and is not counted.
 */
import { GradusError } from '../errors.js';
import { choiceKey, LETTERS } from './extract.js';

export type Normalize = 'none' | 'length' | 'bytes';

interface CompletionLogprobs {
  tokens?: string[];
  token_logprobs?: Array<number | null>;
  text_offset?: number[];
}

const codePoints = (s: string) => [...s].length;

/** The summed log-probability of the tokens that start inside [from, to) of the echoed text (offsets in characters). */
export function windowLogLikelihood(lp: CompletionLogprobs | null | undefined, from: number, to: number): number {
  if (!lp || !Array.isArray(lp.token_logprobs) || !Array.isArray(lp.text_offset)) throw new Error('the answer has no logprobs.token_logprobs and logprobs.text_offset (does the server support echo with logprobs?)');
  let sum = 0;
  let n = 0;
  lp.text_offset.forEach((at, i) => {
    if (at < from || at >= to) return;
    const v = lp.token_logprobs![i];
    if (typeof v !== 'number') throw new Error(`token ${i} of the continuation has no log-probability`);
    sum += v;
    n++;
  });
  if (n === 0) throw new Error('no token of the continuation was echoed back');
  return sum;
}

/** The request that scores every choice of one item, and how to read its answer. */
export function choiceRequest(model: string, context: string, choices: string[], delimiter: string) {
  if (context === '') throw new GradusError('an item has an empty prompt', 'Log-likelihood scoring needs a context before each choice.');
  const prompts = choices.map((c) => context + delimiter + c);
  const body = { model, prompt: prompts, echo: true, logprobs: 1, max_tokens: 1, temperature: 0 };
  const read = (json: unknown): number[] => {
    const got = (json as { choices?: Array<{ index?: number; logprobs?: CompletionLogprobs }> })?.choices;
    if (!Array.isArray(got) || got.length !== prompts.length) throw new Error(`expected ${prompts.length} choices in the answer, got ${Array.isArray(got) ? got.length : 'none'}`);
    const byIndex = [...got].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    return prompts.map((p, k) => windowLogLikelihood(byIndex[k].logprobs, codePoints(context), codePoints(p)));
  };
  return { body, read };
}

/** The choice lm-eval would pick: argmax of the log-likelihood, raw or per character / byte of the choice. */
export function pickChoice(lls: number[], choices: string[], normalize: Normalize): number {
  const size = (c: string) => (normalize === 'length' ? codePoints(c) : normalize === 'bytes' ? Buffer.byteLength(c, 'utf8') : 1);
  let best = 0;
  const score = lls.map((ll, k) => ll / Math.max(1, size(choices[k])));
  score.forEach((s, k) => { if (s > score[best]) best = k; });
  return best;
}

/** The reference answer as a choice index (a letter, a 0-based index or a choice's text). */
export function goldIndex(answer: string, choices: string[]): number {
  return LETTERS.indexOf(choiceKey(answer, choices));
}

