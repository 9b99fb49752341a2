#!/usr/bin/env node
// A real training command for the study tests: reads the training file gradus wrote, "trains" by recording which
// bins and items it saw, and leaves a model folder. Flags: --data F --out DIR --log F [--sleep MS] [--fail-bin B]
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const get = (name) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : undefined;
};
const data = get('--data');
const out = get('--out');
const log = get('--log');
const cell = get('--cell') ?? '?';
fs.appendFileSync(log, `start ${cell}\n`);
const items = fs.readFileSync(data, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const bins = [...new Set(items.map((x) => x.bin))].sort((a, b) => a - b);
process.stdout.write(`training on ${items.length} items from bins ${bins.join(',')}\n`);
if (get('--fail-bin') !== undefined && bins.length === 1 && bins[0] === Number(get('--fail-bin'))) {
  process.stderr.write('out of memory (on purpose)\n');
  process.exit(3);
}
const sleep = Number(get('--sleep') ?? 0);
if (sleep) await new Promise((r) => setTimeout(r, sleep));
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'meta.json'), JSON.stringify({ bins, n: items.length, order: items.map((x) => x.bin) }));
fs.appendFileSync(log, `end ${cell}\n`);
