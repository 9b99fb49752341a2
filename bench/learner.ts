/**
 * The built-in learner's speed on this machine: training steps per second for two model sizes, with the
 * explicit-transpose matmul gradient and with tf.matMul's stock one; greedy generation in items and tokens per
 * second; and, with --demo quick,default, the wall time of `gradus demo --quick` and of the default demo.
 * Run: node dist/bench/learner.js [--steps 40] [--demo quick,default]
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateItems } from '../src/tasks/families.js';
import { newCheckpoint } from '../src/tinylm/api.js';
import { liveModel } from '../src/tinylm/runtime.js';
import { train } from '../src/tinylm/train.js';
import { generate } from '../src/tinylm/generate.js';
import { countParams } from '../src/tinylm/transformer.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = args.indexOf(name);
  return k >= 0 ? args[k + 1] : dflt;
};
const steps = Number(opt('--steps', '40'));
const demos = opt('--demo', '').split(',').filter(Boolean);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const items = generateItems('sort', 2000, 1);
const sizes = [{ d: 64, layers: 2, heads: 4 }, { d: 128, layers: 2, heads: 4 }];
console.log(`sort items (strings of 2-8 letters), batch 64, ${steps} timed steps after 5 warm-up steps, one core (wasm)`);
console.log('size            params   ms/step (explicit transpose)   ms/step (stock matMul)   speed-up   gen items/s   gen tokens/s');
for (const s of sizes) {
  const ck = newCheckpoint({ ...s, maxLen: 24 }, 1);
  const times: number[] = [];
  for (const stock of [false, true]) {
    const m = await liveModel(ck, { stockMatmul: stock });
    await train(m, items, { steps: 5, batch: 64, lr: 1e-3, seed: 1 });
    const t0 = Date.now();
    await train(m, items, { steps, batch: 64, lr: 1e-3, seed: 2 });
    times.push((Date.now() - t0) / steps);
    m.dispose();
  }
  const m = await liveModel(ck);
  await train(m, items, { steps: 100, batch: 64, lr: 2e-3, seed: 3 });
  const prompts = items.slice(0, 1000).map((x) => x.prompt);
  const t0 = Date.now();
  const outs = await generate(m, prompts, { batch: 256 });
  const secs = (Date.now() - t0) / 1000;
  const tokens = outs.reduce((a, o) => a + o.length + 1, 0);
  m.dispose();
  console.log(`d=${s.d} L=${s.layers}`.padEnd(14), String(countParams(ck.config)).padStart(8), times[0].toFixed(1).padStart(20), times[1].toFixed(1).padStart(26), `${(times[1] / times[0]).toFixed(2)}×`.padStart(12), (prompts.length / secs).toFixed(0).padStart(13), (tokens / secs).toFixed(0).padStart(14));
}
for (const which of demos) {
  const out = path.join(ROOT, 'bench/out', `demo-${which}`);
  fs.rmSync(out, { recursive: true, force: true });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/gradus.js'), 'demo', '--out', out, ...(which === 'quick' ? ['--quick'] : [])], { encoding: 'utf8' });
  const secs = (Date.now() - t0) / 1000;
  const headline = r.stdout.split('\n').find((l) => l.startsWith('mean gain')) ?? r.stderr.slice(-500);
  console.log(`gradus demo${which === 'quick' ? ' --quick' : ''}: ${secs.toFixed(0)} s (exit ${r.status}); ${headline}`);
}
