#!/usr/bin/env node
// A server command for the study tests (evaluator.server): serves the answer table on --port until stopped.
// Usage: serveAnswers.mjs ITEMS.jsonl PORT CHECKPOINT LOG
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [items, port, checkpoint, log] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const { startAnswerServer } = await import(path.join(here, '../../dist/test/support/answerServer.js'));
const table = new Map();
for (const line of fs.readFileSync(items, 'utf8').split('\n').filter(Boolean)) {
  const x = JSON.parse(line);
  table.set(x.id, { bin: Number(x.id.slice(1, x.id.indexOf('-'))), answer: x.answer });
}
fs.appendFileSync(log, `serve ${checkpoint}\n`);
const server = await startAnswerServer({ table, port: Number(port) });
process.on('SIGTERM', async () => {
  fs.appendFileSync(log, `stop ${checkpoint}\n`);
  await server.close();
  process.exit(0);
});
