/**
 * `gradus serve` driven by the official `openai` npm client, as a user's code would drive vLLM. The shapes checked
 * come from OpenAI's API reference (completions logprobs: tokens, token_logprobs, top_logprobs, text_offset;
 * streamed chunks; error statuses) and from vLLM's server (echo gives the prompt tokens with a null first
 * log-probability; a prompt or max_tokens past the context is a 400 that states the limit).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import OpenAI from 'openai';
import { tmpDir } from './support/fixtures.js';
import { startServe } from './support/serveChild.js';
import { generateItems } from '../src/tasks/families.js';
import { trainCheckpoint, answerPrompts, loadCheckpoint } from '../src/tinylm/api.js';
import { liveModel } from '../src/tinylm/runtime.js';
import { continuationLogLikelihoods } from '../src/tinylm/logprobs.js';

const dir = tmpDir('gradus-serve-');
const ck = path.join(dir, 'ck');
const items = generateItems('sort', 400, 2, 3);
await trainCheckpoint(items, { out: ck, steps: 120, lr: 3e-3, seed: 1, arch: { d: 32, maxLen: 24 } });
const server = await startServe(ck, 'tiny');
after(() => server.stop());
const client = new OpenAI({ baseURL: server.url, apiKey: 'not-needed', maxRetries: 0 });
const prompts = items.slice(0, 8).map((x) => x.prompt);
const expected = (await answerPrompts(ck, prompts)).map((a) => a.slice(0, 8));

test('models, chat, a list of prompts and streaming through the openai client give gradus answer\'s text', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), ['tiny']);
  const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: prompts[0] }], max_tokens: 8 });
  assert.equal(chat.choices[0].message.content, expected[0]);
  assert.equal(chat.choices[0].finish_reason, 'stop');
  const list = await client.completions.create({ model: 'tiny', prompt: prompts, max_tokens: 8 });
  assert.deepEqual([...list.choices].sort((a, b) => a.index - b.index).map((c) => c.text), expected);
  // streamed text equals the whole text, chat and completions
  let streamed = '';
  let finish: string | null = null;
  for await (const chunk of await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: prompts[1] }], max_tokens: 8, stream: true })) {
    streamed += chunk.choices[0]?.delta?.content ?? '';
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(streamed, expected[1]);
  assert.equal(finish, 'stop');
  const parts = ['', ''];
  let usage: { total_tokens: number } | undefined;
  for await (const chunk of await client.completions.create({ model: 'tiny', prompt: prompts.slice(2, 4), max_tokens: 8, stream: true, stream_options: { include_usage: true } })) {
    for (const c of chunk.choices) parts[c.index] += c.text;
    usage = chunk.usage ?? usage;
  }
  assert.deepEqual(parts, expected.slice(2, 4));
  const whole = await client.completions.create({ model: 'tiny', prompt: prompts.slice(2, 4), max_tokens: 8 });
  assert.equal(usage?.total_tokens, whole.usage?.total_tokens);
  // max_tokens cuts with finish_reason "length"
  const cut = await client.completions.create({ model: 'tiny', prompt: prompts[0], max_tokens: 1 });
  assert.equal(cut.choices[0].text, expected[0].slice(0, 1));
  assert.equal(cut.choices[0].finish_reason, 'length');
});

test('echo with logprobs and max_tokens 0 scores a prompt as vLLM does; the log-probabilities sum to the in-process log-likelihood', async () => {
  const m = await liveModel(loadCheckpoint(ck));
  try {
    for (const x of items.slice(10, 14)) {
      const context = x.prompt + '<|sep|>';
      const r = await client.completions.create({ model: 'tiny', prompt: context + x.answer, echo: true, max_tokens: 0, logprobs: 3 });
      const c = r.choices[0];
      assert.equal(c.text, context + x.answer);
      const lp = c.logprobs!;
      assert.equal(lp.tokens![0], '<|bos|>');
      assert.equal(lp.token_logprobs![0], null);
      assert.equal(lp.top_logprobs![0], null);
      // one token per character, the separator as one token, each at its offset in the echoed text
      assert.deepEqual(lp.tokens!.slice(1), [...x.prompt, '<|sep|>', ...x.answer]);
      lp.tokens!.slice(1).forEach((t, k) => assert.equal(c.text.slice(lp.text_offset![k + 1]).startsWith(t), true));
      for (let t = 1; t < lp.tokens!.length; t++) {
        const top = lp.top_logprobs![t]!;
        assert.ok(Object.keys(top).length <= 4 && top[lp.tokens![t]] === lp.token_logprobs![t]);
        assert.ok(Math.max(...Object.values(top)) >= lp.token_logprobs![t]!);
      }
      let sum = 0;
      lp.text_offset!.forEach((at, i) => { if (at >= context.length) sum += lp.token_logprobs![i]!; });
      const [inProcess] = await continuationLogLikelihoods(m, [{ context: x.prompt, continuation: x.answer }]);
      assert.ok(Math.abs(sum - inProcess.logLikelihood) < 1e-4, `${sum} vs ${inProcess.logLikelihood}`);
    }
  } finally {
    m.dispose();
  }
  // generated tokens: greedy, so each one is the most likely at its place; streamed logprobs equal the whole
  const gen = await client.completions.create({ model: 'tiny', prompt: prompts[0], max_tokens: 8, logprobs: 2 });
  const g = gen.choices[0].logprobs!;
  assert.equal(g.tokens!.join(''), expected[0]);
  g.tokens!.forEach((_, t) => assert.equal(g.token_logprobs![t], Math.max(...Object.values(g.top_logprobs![t]!))));
  const streamedTokens: string[] = [];
  for await (const chunk of await client.completions.create({ model: 'tiny', prompt: prompts[0], max_tokens: 8, logprobs: 2, stream: true })) streamedTokens.push(...(chunk.choices[0]?.logprobs?.tokens ?? []));
  assert.deepEqual(streamedTokens, g.tokens);
  const chat = await client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: prompts[0] }], max_tokens: 8, logprobs: true, top_logprobs: 2 });
  assert.equal(chat.choices[0].logprobs!.content!.map((t) => t.token).join(''), expected[0]);
  assert.ok(chat.choices[0].logprobs!.content!.every((t) => t.top_logprobs.length >= 1 && t.top_logprobs.length <= 3));
});

test('an unknown model is a 404 and a body it cannot honour a 400 that names the field, context limits stated as vLLM states them', async () => {
  await assert.rejects(client.completions.create({ model: 'gpt-4', prompt: 'x' }), (e: unknown) => e instanceof OpenAI.NotFoundError && /gpt-4.*does not exist/.test(e.message));
  const bad = async (body: Record<string, unknown>, pattern: RegExp) =>
    assert.rejects(client.completions.create({ model: 'tiny', prompt: prompts[0], ...body } as never), (e: unknown) => e instanceof OpenAI.BadRequestError && pattern.test(e.message));
  await bad({ n: 2 }, /n: only n = 1 is supported/);
  await bad({ temperature: 0.8 }, /temperature: this server decodes greedily/);
  await bad({ best_of: 3 }, /best_of/);
  await bad({ suffix: 'x' }, /suffix/);
  await bad({ logit_bias: { '5': 1 } }, /logit_bias/);
  await bad({ prompt: 'a'.repeat(100_000) }, /maximum context length is 24 tokens\. However, your request has 100001 input tokens/);
  await bad({ max_tokens: 100_000 }, /maximum context length is 24 tokens\. However, you requested 100\d{3} tokens \(\d+ in the prompt, 100000 in the completion\)/);
  await assert.rejects(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: prompts[0] }] }), /messages: this model has no chat template/);
  await assert.rejects(client.chat.completions.create({ model: 'tiny', messages: [{ role: 'user', content: prompts[0] }], tools: [{ type: 'function', function: { name: 'f' } }] }), /tools: is not supported/);
  const raw = async (body: string) => {
    const r = await fetch(`${server.url}/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return { status: r.status, json: (await r.json()) as { error: { message: string; param: string | null } } };
  };
  let r = await raw('{"model": "tiny", "prompt": "sort:ab", "frobnicate": 1}');
  assert.equal(r.status, 400);
  assert.equal(r.json.error.param, 'frobnicate');
  r = await raw('{"model": "tiny"');
  assert.equal(r.status, 400);
  assert.match(r.json.error.message, /not valid JSON/);
  r = await raw('{"model": "tiny", "prompt": "sort:ab", "stream_options": {"include_usage": true}}');
  assert.match(r.json.error.message, /stream_options: only allowed when stream is true/);
});

test('under load: 600 requests at concurrency 64 on loopback, no errors, every answer the greedy one', async () => {
  const pool = items.slice(0, 64).map((x) => x.prompt);
  // max_tokens 8 cuts an answer that runs on
  const answers = (await answerPrompts(ck, pool)).map((a) => a.slice(0, 8));
  let next = 0;
  const errors: string[] = [];
  let wrong = 0;
  await Promise.all(Array.from({ length: 64 }, async () => {
    while (next < 600) {
      const k = next++ % pool.length;
      try {
        const r = await client.completions.create({ model: 'tiny', prompt: pool[k], max_tokens: 8 });
        if (r.choices[0].text !== answers[k]) wrong++;
      } catch (e) {
        errors.push(String(e));
      }
    }
  }));
  assert.deepEqual(errors, []);
  assert.equal(wrong, 0);
});
