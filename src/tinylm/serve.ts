/**
 * An OpenAI-compatible HTTP server for a built-in checkpoint, as vLLM serves one: GET /v1/models, POST
 * /v1/completions (a prompt or a list; echo, logprobs, max_tokens 0 for scoring) and /v1/chat/completions (one
 * user message), streamed as Server-Sent Events on request. Decoding is greedy. Requests that arrive together are
 * decoded in one batch; a whole answer is decoded before its first chunk is sent (milliseconds for this model).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadCheckpoint } from './checkpoint.js';
import { liveModel, type LiveModel } from './runtime.js';
import { generateIds } from './generate.js';
import { parseRequest, RequestError } from './openaiRequest.js';
import { finishOutcome, planPrompt, type Outcome, type Planned } from './completion.js';
import { responseBody, sendSse, streamChunks } from './openaiResponse.js';

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
  ids: number[];
  maxTokens: number;
  resolve(ids: number[]): void;
  reject(e: unknown): void;
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
      // one more token than asked, to see whether the answer ended there
      const outs = await generateIds(model, batch.map((p) => p.ids), { maxNew: Math.max(...batch.map((p) => p.maxTokens)) + 1 });
      batch.forEach((p, k) => p.resolve(outs[k]));
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    } finally {
      busy = false;
      void pump();
    }
  };
  const decode = (p: Planned) =>
    p.maxTokens === 0
      ? Promise.resolve([])
      : new Promise<number[]>((resolve, reject) => {
        queue.push({ ids: p.ids, maxTokens: p.maxTokens, resolve, reject });
        setImmediate(() => void pump());
      });
  const send = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  // vLLM's error shape: the OpenAI client reads error.message and the status
  const fail = (res: http.ServerResponse, status: number, message: string, param: string | null = null) =>
    send(res, status, { error: { message, type: status === 404 ? 'NotFoundError' : status >= 500 ? 'InternalServerError' : 'BadRequestError', param, code: status } });
  let counter = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const url = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
      if (req.method === 'GET' && url === '/v1/models') return send(res, 200, { object: 'list', data: [{ id: name, object: 'model', created: 0, owned_by: 'gradus', max_model_len: model.config.maxLen }] });
      if (req.method === 'GET' && url === '/health') return send(res, 200, { ok: true });
      const chat = url === '/v1/chat/completions';
      if (req.method !== 'POST' || (!chat && url !== '/v1/completions')) return fail(res, 404, `no route ${req.method} ${url}`);
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return fail(res, 400, 'the body is not valid JSON');
      }
      try {
        const q = parseRequest(body, chat);
        if (q.model !== undefined && !accepted.has(q.model)) return fail(res, 404, `The model \`${q.model}\` does not exist; this server has ${JSON.stringify(name)}.`, 'model');
        const planned = q.prompts.map((p) => planPrompt(model, q, p));
        const generated = await Promise.all(planned.map(decode));
        const outs: Outcome[] = [];
        for (let k = 0; k < planned.length; k++) outs.push(await finishOutcome(model, q, planned[k], generated[k]));
        const meta = { id: `${chat ? 'chatcmpl' : 'cmpl'}-gradus-${++counter}`, created: Math.floor(Date.now() / 1000), model: name, chat };
        if (q.stream) sendSse(res, streamChunks(meta, outs, q.includeUsage));
        else send(res, 200, responseBody(meta, outs));
      } catch (e) {
        if (e instanceof RequestError) fail(res, e.status, e.message, e.param);
        else fail(res, 500, `generation failed: ${(e as Error).message}`);
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
