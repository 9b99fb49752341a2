/**
 * The request bodies `gradus serve` accepts, checked field by field: a field it does not know, or a value it cannot
 * honour (sampling, n > 1, penalties), is refused with a 400 that names the field, never silently ignored.
 * Field names and meanings follow OpenAI's API reference; limits and error wording follow vLLM's server.
 */
import { z } from 'zod';

export class RequestError extends Error {
  constructor(message: string, readonly param: string | null, readonly status = 400) {
    super(message);
  }
}

const nullish = <T extends z.ZodTypeAny>(t: T) => t.nullable().optional();
// only the value that means "off": greedy decoding, one choice, no penalty
const only = (value: number, why: string) => nullish(z.number().refine((v) => v === value, { message: why }));

const common = {
  model: nullish(z.string()),
  max_tokens: nullish(z.number().int().min(0)),
  temperature: only(0, 'this server decodes greedily; send 0 or leave it out'),
  top_p: only(1, 'this server decodes greedily; send 1 or leave it out'),
  n: only(1, 'only n = 1 is supported (decoding is greedy, so every choice would be the same)'),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.object({ include_usage: nullish(z.boolean()) }).strict()),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(4)])),
  // greedy decoding gives the same text for every seed; user is the caller's own label
  seed: nullish(z.number().int()),
  user: nullish(z.string()),
  presence_penalty: only(0, 'penalties are not supported; send 0 or leave it out'),
  frequency_penalty: only(0, 'penalties are not supported; send 0 or leave it out'),
  logit_bias: nullish(z.record(z.string(), z.number()).refine((v) => Object.keys(v).length === 0, { message: 'logit_bias is not supported' })),
};

const completionBody = z
  .object({
    ...common,
    prompt: z.union([z.string(), z.array(z.string()).min(1)], { message: 'expected a string or a list of strings (token-id prompts are not supported)' }),
    echo: nullish(z.boolean()),
    logprobs: nullish(z.number().int().min(0).max(20)),
    best_of: only(1, 'only best_of = 1 is supported'),
    suffix: nullish(z.null({ message: 'suffix (insertion) is not supported' })),
  })
  .strict();

const textPart = z.object({ type: z.literal('text'), text: z.string() }).strict();
const chatBody = z
  .object({
    ...common,
    messages: z.array(z.object({ role: z.string(), content: z.union([z.string(), z.array(textPart)]), name: nullish(z.string()) }).strict()).min(1),
    max_completion_tokens: nullish(z.number().int().min(1)),
    logprobs: nullish(z.boolean()),
    top_logprobs: nullish(z.number().int().min(0).max(20)),
    response_format: nullish(z.object({ type: z.literal('text') }).strict()),
  })
  .strict();

export interface ParsedRequest {
  chat: boolean;
  model?: string;
  prompts: string[];
  /** undefined: as many as fit, at most the endpoint's default */
  maxTokens?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
  echo: boolean;
  /** log-probabilities asked for, and how many alternatives per token (null: none) */
  logprobs: number | null;
}

function refuse(e: z.ZodError): never {
  const issue = e.issues[0];
  const field = [...issue.path, ...(issue.code === 'unrecognized_keys' ? [issue.keys[0]] : [])].join('.') || '(body)';
  const what = issue.code === 'unrecognized_keys' ? 'is not supported by this server' : issue.message.replace(/^Invalid input: /, '');
  throw new RequestError(`${field}: ${what}`, field);
}

export function parseRequest(body: unknown, chat: boolean): ParsedRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RequestError('the body must be a JSON object', null);
  const r = (chat ? chatBody : completionBody).safeParse(body);
  if (!r.success) refuse(r.error);
  const q = r.data;
  if (q.stream_options && !q.stream) throw new RequestError('stream_options: only allowed when stream is true', 'stream_options');
  const stop = typeof q.stop === 'string' ? [q.stop] : (q.stop ?? []);
  const base = { model: q.model ?? undefined, stop, stream: q.stream ?? false, includeUsage: q.stream_options?.include_usage ?? false };
  if ('messages' in q) {
    const users = q.messages.filter((m) => m.role === 'user');
    if (q.messages.length !== 1 || users.length !== 1) throw new RequestError('messages: this model has no chat template; send exactly one message, with role "user"', 'messages');
    const c = users[0].content;
    if (q.top_logprobs !== undefined && q.top_logprobs !== null && !q.logprobs) throw new RequestError('top_logprobs: only allowed when logprobs is true', 'top_logprobs');
    if (q.max_tokens === 0) throw new RequestError('max_tokens: must be at least 1 for chat', 'max_tokens');
    return { ...base, chat: true, prompts: [typeof c === 'string' ? c : c.map((p) => p.text).join('')], maxTokens: q.max_completion_tokens ?? q.max_tokens ?? undefined, echo: false, logprobs: q.logprobs ? (q.top_logprobs ?? 0) : null };
  }
  const prompts = typeof q.prompt === 'string' ? [q.prompt] : q.prompt;
  return { ...base, chat: false, prompts, maxTokens: q.max_tokens ?? undefined, echo: q.echo ?? false, logprobs: q.logprobs ?? null };
}
