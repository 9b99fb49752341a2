/**
 * One prompt's completion as the OpenAI API reports it: the text, why it ended, token counts and, when asked, each
 * token with its log-probability, the most likely alternatives and its offset in the returned text. Special tokens
 * the server adds (BOS before the prompt, SEP before the answer) take no room in the text; the first token, which
 * nothing precedes, has a null log-probability, as vLLM gives the first prompt token.
 */
import { BOS, PAD, SEP, SPECIAL_TEXT, textPieces } from './tokenizer.js';
import { scoreSequences } from './logprobs.js';
import type { LiveModel } from './runtime.js';
import { RequestError, type ParsedRequest } from './openaiRequest.js';

export interface TokenInfo {
  token: string;
  /** the text it stands for in the returned text ('' for a special token the server added) */
  text: string;
  logprob: number | null;
  /** the k most likely tokens and the chosen one (null for the first token) */
  top: Record<string, number> | null;
  offset: number;
}

export interface Outcome {
  /** the prompt when echoed, then the completion */
  text: string;
  echoed: string;
  completion: string;
  finish: 'stop' | 'length';
  promptTokens: number;
  completionTokens: number;
  /** echoed prompt tokens, then completion tokens; null when not asked for */
  tokens: TokenInfo[] | null;
  /** how many of `tokens` belong to the echoed prompt */
  echoTokens: number;
}

export const DEFAULT_MAX_TOKENS = 16;

export interface Planned {
  prompt: string;
  /** what the model reads before decoding (BOS prompt SEP), or only BOS prompt when nothing is decoded */
  ids: number[];
  promptLen: number;
  pieces: Array<{ id: number; text: string }>;
  maxTokens: number;
}

/** Tokens and the completion budget of one prompt; a prompt or budget past the context is refused as vLLM does. */
export function planPrompt(m: LiveModel, q: ParsedRequest, prompt: string): Planned {
  const pieces = textPieces(m.tok, prompt);
  const promptIds = [BOS, ...pieces.map((p) => p.id)];
  const ctx = m.config.maxLen;
  const what = q.chat ? 'messages' : 'prompt';
  if (promptIds.length > ctx) throw new RequestError(`This model's maximum context length is ${ctx} tokens. However, your request has ${promptIds.length} input tokens. Please reduce the length of the input ${what}.`, what);
  const decodes = q.maxTokens !== 0;
  const ids = decodes && promptIds[promptIds.length - 1] !== SEP ? [...promptIds, SEP] : promptIds;
  const room = ctx - ids.length;
  if (q.maxTokens !== undefined && ids.length + q.maxTokens > ctx) {
    throw new RequestError(`This model's maximum context length is ${ctx} tokens. However, you requested ${ids.length + q.maxTokens} tokens (${ids.length} in the ${what}, ${q.maxTokens} in the completion). Please reduce the length of the ${what} or completion.`, 'max_tokens');
  }
  if (decodes && room < 1) throw new RequestError(`This model's maximum context length is ${ctx} tokens. However, your request has ${ids.length} input tokens, which leaves no room for a completion. Please reduce the length of the input ${what}.`, what);
  const maxTokens = q.maxTokens ?? (q.chat ? room : Math.min(DEFAULT_MAX_TOKENS, room));
  return { prompt, ids, promptLen: ids.length, pieces, maxTokens };
}

function tokenName(m: LiveModel, id: number): string {
  const special = m.tok.size - m.tok.chars.length;
  return id >= special ? m.tok.chars[id - special] : (SPECIAL_TEXT[id] ?? (id === PAD ? '<|pad|>' : '<|unk|>'));
}

/** The generated ids cut by max_tokens and the first stop string, then scored when log-probabilities are asked. */
export async function finishOutcome(m: LiveModel, q: ParsedRequest, p: Planned, generated: number[]): Promise<Outcome> {
  let ids = generated.slice(0, p.maxTokens);
  let finish: Outcome['finish'] = p.maxTokens > 0 && generated.length >= p.maxTokens ? 'length' : 'stop';
  // each id is one character of text, or none (a special token the model emitted)
  const texts = ids.map((id) => m.tok.decode([id]));
  let completion = texts.join('');
  const cuts = q.stop.map((s) => (s ? completion.indexOf(s) : -1)).filter((k) => k >= 0);
  if (cuts.length) {
    const keep = Math.min(...cuts);
    let n = 0, len = 0;
    while (n < ids.length && len + texts[n].length <= keep) len += texts[n++].length;
    ids = ids.slice(0, n);
    completion = completion.slice(0, keep);
    finish = 'stop';
  }
  const echoed = q.echo ? p.prompt : '';
  const out: Outcome = { text: echoed + completion, echoed, completion, finish, promptTokens: p.promptLen, completionTokens: ids.length, tokens: null, echoTokens: 0 };
  if (q.logprobs === null) return out;
  const seq = [...p.ids, ...ids];
  const [s] = await scoreSequences(m, [seq], { top: q.logprobs });
  // the text each token stands for in the returned text: prompt pieces as written, added specials none
  const pieceText = [''].concat(p.pieces.map((x) => x.text)).concat(p.ids.length > p.pieces.length + 1 ? [''] : []).concat(ids.map((id) => m.tok.decode([id])));
  const from = q.echo ? 0 : p.ids.length;
  const tokens: TokenInfo[] = [];
  let offset = 0;
  for (let t = from; t < seq.length; t++) {
    const name = pieceText[t] || tokenName(m, seq[t]);
    let top: Record<string, number> | null = null;
    if (t > 0) {
      top = Object.fromEntries(s.top[t].map((x) => [tokenName(m, x.id), x.logprob]));
      top[name] = s.logprob[t];
    }
    tokens.push({ token: name, text: pieceText[t], logprob: t > 0 ? s.logprob[t] : null, top, offset });
    offset += [...pieceText[t]].length;
  }
  out.tokens = tokens;
  out.echoTokens = q.echo ? p.ids.length : 0;
  return out;
}
