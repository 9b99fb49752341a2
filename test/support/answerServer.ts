/**
 * A real OpenAI-compatible HTTP server on loopback for the study tests. It answers from a known table: a model
 * trained on bins T (read from the model folder's meta.json, which the test trainer writes) answers an item of
 * bin b correctly when hash(item) % 100 < skill(T, b); the untrained base model has a flat skill. Modes make it
 * fail on purpose (5xx and 429 first, or never answer).
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface AnswerServerOptions {
  /** item id → { bin, answer } */
  table: Map<string, { bin: number; answer: string }>;
  /** the first `failFirst` requests get 500 and 429 in turn */
  failFirst?: number;
  /** never answer */
  hang?: boolean;
  /** after this many completions, answer every request with 500 (a server that dies mid-run) */
  failAfter?: number;
  /** required bearer token */
  apiKey?: string;
  base?: number;
  port?: number;
}

export interface AnswerServer {
  url: string;
  requests: number;
  authFailures: number;
  /** model names asked for */
  models: Set<string>;
  close(): Promise<void>;
}

export function itemHash(id: string): number {
  let h = 2166136261;
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return (h >>> 0) % 100;
}

export function skill(trained: number[] | null, bin: number, base = 30): number {
  if (!trained || !trained.length) return base;
  const d = Math.min(...trained.map((t) => Math.abs(t - bin)));
  return Math.max(base, 90 - 25 * d);
}

export async function startAnswerServer(o: AnswerServerOptions): Promise<AnswerServer> {
  const state = { requests: 0, authFailures: 0 };
  const models = new Set<string>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.requests++;
      if (o.hang) return; // never answers
      if (o.apiKey && req.headers.authorization !== `Bearer ${o.apiKey}`) {
        state.authFailures++;
        res.writeHead(401).end('{"error":"bad key"}');
        return;
      }
      if (req.method === 'GET' && req.url === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data":[]}');
        return;
      }
      if (o.failFirst && state.requests <= o.failFirst) {
        if (state.requests % 2) res.writeHead(500).end('overloaded');
        else res.writeHead(429, { 'retry-after': '0' }).end('slow down');
        return;
      }
      if (o.failAfter !== undefined && state.requests > o.failAfter) {
        res.writeHead(500).end('the server broke');
        return;
      }
      const q = JSON.parse(body);
      models.add(String(q.model));
      const prompt: string = q.messages ? q.messages[q.messages.length - 1].content : q.prompt;
      const id = /\[item ([^\]]+)\]/.exec(prompt)?.[1] ?? '';
      const row = o.table.get(id);
      let trained: number[] | null = null;
      const meta = path.join(String(q.model), 'meta.json');
      if (fs.existsSync(meta)) trained = JSON.parse(fs.readFileSync(meta, 'utf8')).bins;
      const ok = row !== undefined && itemHash(id) < skill(trained, row.bin, o.base);
      const text = ok ? `The answer is ${row!.answer}` : 'The answer is -1';
      const choice = q.messages ? { index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' } : { index: 0, text, finish_reason: 'stop' };
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'x', object: 'chat.completion', model: q.model, choices: [choice] }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(o.port ?? 0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get authFailures() {
      return state.authFailures;
    },
    models,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
