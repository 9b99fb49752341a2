/**
 * An OpenAI-compatible HTTP server for a built-in checkpoint: GET /v1/models, POST /v1/completions (prompt a string
 * or a list) and /v1/chat/completions (the last user message is the prompt). Decoding is greedy whatever the
 * temperature. Requests that arrive together are decoded in one batch.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCheckpoint } from './checkpoint.js';
import { liveModel, type LiveModel } from './runtime.js';
import { generate } from './generate.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  /** the model id clients must send (default: the checkpoint path); the checkpoint's folder name is accepted too */
  name?: string;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

interface Pending {
  prompt: string;
  maxTokens: number;
  stop: string[];
  resolve(text: string): void;
  reject(e: unknown): void;
}

function cut(text: string, maxTokens: number, stop: string[]): { text: string; finish: 'stop' | 'length' } {
  let t = text;
  let finish: 'stop' | 'length' = 'stop';
  for (const s of stop) {
    const k = s ? t.indexOf(s) : -1;
    if (k >= 0) t = t.slice(0, k);
  }
  if ([...t].length > maxTokens) {
    t = [...t].slice(0, maxTokens).join('');
    finish = 'length';
  }
  return { text: t, finish };
}

export async function serveCheckpoint(ckpt: string, o: ServeOptions = {}): Promise<Served> {
  const model: LiveModel = await liveModel(loadCheckpoint(ckpt));
  const name = o.name ?? ckpt;
  const accepted = new Set([name, ckpt, ckpt.replace(/\/+$/, '').split('/').pop()!]);
  let queue: Pending[] = [];
  let busy = false;
  const pump = async () => {
    if (busy || !queue.length) return;
    busy = true;
    const batch = queue;
    queue = [];
    try {
      const outs = await generate(model, batch.map((p) => p.prompt), { maxNew: Math.max(...batch.map((p) => p.maxTokens)) + 1 });
      batch.forEach((p, k) => p.resolve(outs[k]));
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    } finally {
      busy = false;
      void pump();
    }
  };
  const complete = (prompt: string, maxTokens: number, stop: string[]) =>
    new Promise<string>((resolve, reject) => {
      queue.push({ prompt, maxTokens, stop, resolve, reject });
      setImmediate(() => void pump());
    });
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  const fail = (res: http.ServerResponse, status: number, message: string) => send(res, status, { error: { message, type: status === 404 ? 'not_found_error' : 'invalid_request_error', code: status } });
  let counter = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
      if (req.method === 'GET' && url === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: name, object: 'model', owned_by: 'gradus' }] });
      if (req.method === 'GET' && url === '/health') return send(res, 200, { ok: true });
      const chat = url === '/v1/chat/completions';
      if (req.method !== 'POST' || (!chat && url !== '/v1/completions')) return fail(res, 404, `no route ${req.method} ${url}`);
      let q: Record<string, unknown>;
      try {
        q = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'the body is not valid JSON');
      }
      if (q.model !== undefined && !accepted.has(String(q.model))) return fail(res, 404, `the model ${JSON.stringify(q.model)} does not exist; this server has ${JSON.stringify(name)}`);
      const maxTokens = typeof q.max_tokens === 'number' && q.max_tokens > 0 ? q.max_tokens : 16;
      const stop = typeof q.stop === 'string' ? [q.stop] : Array.isArray(q.stop) ? q.stop.map(String) : [];
      let prompts: string[];
      if (chat) {
        const msgs = Array.isArray(q.messages) ? (q.messages as Array<{ role?: string; content?: unknown }>) : [];
        const user = msgs.filter((m) => m.role === 'user').pop();
        const content = typeof user?.content === 'string' ? user.content : Array.isArray(user?.content) ? (user!.content as Array<{ text?: string }>).map((p) => p.text ?? '').join('') : undefined;
        if (content === undefined) return fail(res, 400, 'messages must hold a user message with text content');
        prompts = [content];
      } else if (typeof q.prompt === 'string') prompts = [q.prompt];
      else if (Array.isArray(q.prompt) && q.prompt.every((p) => typeof p === 'string')) prompts = q.prompt as string[];
      else return fail(res, 400, 'prompt must be a string or a list of strings');
      try {
        const texts = await Promise.all(prompts.map((p) => complete(p, maxTokens, stop)));
        const id = `gradus-${++counter}`;
        const created = Math.floor(Date.now() / 1000);
        const choices = texts.map((t, index) => {
          const c = cut(t, maxTokens, stop);
          return chat ? { index, message: { role: 'assistant', content: c.text }, finish_reason: c.finish } : { index, text: c.text, logprobs: null, finish_reason: c.finish };
        });
        const completion = texts.reduce((s, t) => s + [...cut(t, maxTokens, stop).text].length, 0);
        const promptTokens = prompts.reduce((s, p) => s + [...p].length + 2, 0);
        send(res, 200, { id, object: chat ? 'chat.completion' : 'text_completion', created, model: name, choices, usage: { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion } });
      } catch (e) {
        fail(res, 500, `generation failed: ${(e as Error).message}`);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 8000, o.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}/v1`,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => {
        model.dispose();
        r();
      });
    }),
  };
}
