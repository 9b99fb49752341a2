#!/usr/bin/env node
// An evaluation command for the study tests (evaluator.kind command): scores the items gradus wrote the way the
// answer server would, and writes an lm-evaluation-harness style output folder (results_*.json + samples_*.jsonl).
// Usage: evalCommand.mjs ITEMS_FILE MODEL_PATH OUTPUT_DIR
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [itemsFile, modelPath, outDir] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const { itemHash, skill } = await import(path.join(here, '../../dist/test/support/answerServer.js'));
const meta = path.join(modelPath, 'meta.json');
const trained = fs.existsSync(meta) ? JSON.parse(fs.readFileSync(meta, 'utf8')).bins : null;
const samples = fs.readFileSync(itemsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).map((x) => ({
  doc_id: x.id, doc: { question: x.prompt }, target: x.answer, exact_match: itemHash(x.id) < skill(trained, x.bin) ? 1 : 0,
}));
const run = path.join(outDir, 'run1');
fs.mkdirSync(run, { recursive: true });
fs.writeFileSync(path.join(run, 'results_2026-01-01T00-00-00.json'), JSON.stringify({ model_name: modelPath, results: { sums: { exact_match: 0 } } }));
fs.writeFileSync(path.join(run, 'samples_sums_2026-01-01T00-00-00.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
