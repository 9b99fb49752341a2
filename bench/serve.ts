/**
 * `gradus serve` under load on loopback: N completions requests at concurrency C from the official openai client,
 * against a small checkpoint trained here; prints requests per second, errors and latency quantiles.
 * Run: node dist/bench/serve.js [--requests 600] [--concurrency 64]
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import OpenAI from 'openai';
import { generateItems } from '../src/tasks/families.js';
import { trainCheckpoint } from '../src/tinylm/api.js';
import { serveCheckpoint } from '../src/tinylm/serve.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number) => {
  const k = args.indexOf(name);
  return k >= 0 ? Number(args[k + 1]) : dflt;
};
const N = opt('--requests', 600);
const C = opt('--concurrency', 64);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-bench-serve-'));
const items = generateItems('sort', 400, 2, 3);
await trainCheckpoint(items, { out: path.join(dir, 'ck'), steps: 60, lr: 3e-3, arch: { d: 32, maxLen: 24 } });
const s = await serveCheckpoint(path.join(dir, 'ck'), { port: 0, host: '127.0.0.1', name: 'tiny' });
const client = new OpenAI({ baseURL: s.url, apiKey: 'not-needed', maxRetries: 0 });
const lat: number[] = [];
let errors = 0;
let next = 0;
const cpu0 = process.cpuUsage();
const t0 = Date.now();
await Promise.all(Array.from({ length: C }, async () => {
  while (next < N) {
    const k = next++;
    const t = Date.now();
    try {
      await client.completions.create({ model: 'tiny', prompt: items[k % items.length].prompt, max_tokens: 8 });
      lat.push(Date.now() - t);
    } catch {
      errors++;
    }
  }
}));
const secs = (Date.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
await s.close();
lat.sort((a, b) => a - b);
const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
console.log(`${N} requests at concurrency ${C} (server and client in one process, loopback): ${(N / secs).toFixed(0)} requests/s, ${errors} errors, latency p50 ${q(0.5)} ms p95 ${q(0.95)} ms; wall ${secs.toFixed(1)} s, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
fs.rmSync(dir, { recursive: true, force: true });
