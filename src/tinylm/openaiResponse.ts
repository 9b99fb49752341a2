/**
 * Outcomes in OpenAI's response shapes: a whole completion or chat completion, or the same as Server-Sent Events
 * (`data: {chunk}` lines, then `data: [DONE]`), chunked one token at a time as vLLM streams them. The streamed
 * pieces concatenate to the non-streamed text, log-probabilities included.
 */
import type http from 'node:http';
import type { Outcome, TokenInfo } from './completion.js';

export interface Meta {
  id: string;
  created: number;
  model: string;
  chat: boolean;
}

/** completions: {tokens, token_logprobs, top_logprobs, text_offset} */
function completionLogprobs(ts: TokenInfo[]) {
  return { tokens: ts.map((t) => t.token), token_logprobs: ts.map((t) => t.logprob), top_logprobs: ts.map((t) => t.top), text_offset: ts.map((t) => t.offset) };
}

/** chat: {content: [{token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}]} */
function chatLogprobs(ts: TokenInfo[]) {
  const bytes = (s: string) => [...Buffer.from(s, 'utf8')];
  return {
    content: ts.map((t) => ({
      token: t.token, logprob: t.logprob ?? 0, bytes: bytes(t.token),
      top_logprobs: Object.entries(t.top ?? {}).sort((a, b) => b[1] - a[1]).map(([token, logprob]) => ({ token, logprob, bytes: bytes(token) })),
    })),
  };
}

function usage(outs: Outcome[]) {
  const p = outs.reduce((s, o) => s + o.promptTokens, 0);
  const c = outs.reduce((s, o) => s + o.completionTokens, 0);
  return { prompt_tokens: p, completion_tokens: c, total_tokens: p + c };
}

export function responseBody(meta: Meta, outs: Outcome[]) {
  const choices = outs.map((o, index) =>
    meta.chat
      ? { index, message: { role: 'assistant', content: o.completion }, logprobs: o.tokens ? chatLogprobs(o.tokens) : null, finish_reason: o.finish }
      : { index, text: o.text, logprobs: o.tokens ? completionLogprobs(o.tokens) : null, finish_reason: o.finish },
  );
  return { id: meta.id, object: meta.chat ? 'chat.completion' : 'text_completion', created: meta.created, model: meta.model, choices, usage: usage(outs) };
}

/** The chunks of a streamed answer, in order (the echoed prompt first, then one per token, then the finish). */
export function streamChunks(meta: Meta, outs: Outcome[], includeUsage: boolean): unknown[] {
  const head = { id: meta.id, object: meta.chat ? 'chat.completion.chunk' : 'text_completion', created: meta.created, model: meta.model };
  const chunks: unknown[] = [];
  outs.forEach((o, index) => {
    const toks = o.tokens;
    const piece = (text: string, ts: TokenInfo[] | null, finish: string | null) =>
      chunks.push({ ...head, choices: [meta.chat
        ? { index, delta: text === '' && finish ? {} : { content: text }, logprobs: ts ? chatLogprobs(ts) : null, finish_reason: finish }
        : { index, text, logprobs: ts ? completionLogprobs(ts) : null, finish_reason: finish }] });
    if (meta.chat) chunks.push({ ...head, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
    if (o.echoed !== '' || (toks && o.echoTokens > 0)) piece(o.echoed, toks ? toks.slice(0, o.echoTokens) : null, null);
    const completionTokens = toks ? toks.slice(o.echoTokens) : null;
    if (completionTokens) for (const t of completionTokens) piece(t.text, [t], null);
    else for (const c of o.completion) piece(c, null, null);
    piece('', null, o.finish);
  });
  if (includeUsage) chunks.push({ ...head, choices: [], usage: usage(outs) });
  return chunks;
}

export function sendSse(res: http.ServerResponse, chunks: unknown[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const c of chunks) res.write(`data: ${JSON.stringify(c)}\n\n`);
  res.end('data: [DONE]\n\n');
}
