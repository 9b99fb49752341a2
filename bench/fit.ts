/**
 * bench/fit: seconds, iterations and peak memory for each model × method, on simulated data of two sizes:
 *   mid    2,000 × 1,000, 30% missing (the largest size at which R's mirt still works; mirt took 147 s for 2PL, 81 s for Rasch)
 *   large  4,500 × 21,000, 20% missing (Open LLM Leaderboard v2 scale)
 * Each fit runs in a fresh process so that peak memory is its own. Where R and eRm are installed, eRm's Rasch (CML)
 * runs on the mid data too and the ratio is printed.
 * Usage: node dist/bench/fit.js [--size mid|large|all] [--only rasch:jml,2pl:map,...]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulate } from '../src/irt/simulate.js';
import { fitIrt } from '../src/irt/fit.js';
import type { ItemModel, Method } from '../src/irt/model.js';
import { writeResponses } from '../src/responses/write.js';

const SIZES = {
  mid: { models: 2000, items: 1000, missing: 0.3 },
  large: { models: 4500, items: 21000, missing: 0.2 },
};
const MIRT_SECONDS: Record<string, number> = { '2pl:mml': 147, 'rasch:mml': 81 };
const GOALS: Record<string, Record<string, number>> = { large: { 'rasch:jml': 15, '2pl:map': 30, '2pl:mml': 60 } };
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : dflt;
};

function corr(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let k = 0; k < x.length; k++) {
    if (!Number.isFinite(x[k]) || !Number.isFinite(y[k])) continue;
    n++; sx += x[k]; sy += y[k]; sxx += x[k] * x[k]; syy += y[k] * y[k]; sxy += x[k] * y[k];
  }
  return (sxy - (sx * sy) / n) / Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
}

async function child(size: keyof typeof SIZES, model: ItemModel, method: Method) {
  const s = SIZES[size];
  const sim = simulate({ ...s, model: model === '1pl' || model === 'rasch' ? '2pl' : model, seed: 11 });
  const t0 = performance.now();
  const fit = await fitIrt(sim.matrix, { model, method });
  const seconds = (performance.now() - t0) / 1000;
  process.stdout.write(JSON.stringify({
    seconds,
    iterations: fit.info.iterations,
    converged: fit.info.converged,
    loglik: fit.info.loglik,
    peakMB: process.resourceUsage().maxRSS / 1024,
    rb: corr(fit.items.b, sim.params.b),
    ra: corr(fit.items.a, sim.params.a),
  }) + '\n');
}

const ERM_LIMIT_S = Number(process.env.GRADUS_ERM_LIMIT ?? 900);

function runErm(csvFile: string): { seconds: number } | { failed: string } {
  const script = `suppressMessages(library(eRm)); d <- read.csv("${csvFile}"); w <- xtabs(correct ~ model + item, d); m <- as.matrix(unclass(w)); n <- as.matrix(unclass(xtabs(~ model + item, d))); m[n == 0] <- NA; t0 <- Sys.time(); f <- RM(m); cat(as.numeric(difftime(Sys.time(), t0, units="secs")))`;
  const r = spawnSync('Rscript', ['-e', script], { encoding: 'utf8', timeout: ERM_LIMIT_S * 1000 });
  if (r.error || r.signal) return { failed: `did not finish within ${ERM_LIMIT_S} s` };
  if (r.status !== 0) return { failed: r.stderr.trim().split('\n').slice(-2).join(' ') };
  const x = Number(r.stdout.trim().split(/\s+/).pop());
  return Number.isFinite(x) ? { seconds: x } : { failed: 'no time printed' };
}

async function main() {
  if (args[0] === '--child') return child(args[1] as keyof typeof SIZES, args[2] as ItemModel, args[3] as Method);
  const which = opt('size', 'all');
  const only = opt('only', '').split(',').filter(Boolean);
  console.log(`bench/fit on ${os.cpus().length} cores, node ${process.version}`);
  for (const size of Object.keys(SIZES) as (keyof typeof SIZES)[]) {
    if (which !== 'all' && which !== size) continue;
    const s = SIZES[size];
    console.log(`\n${size}: ${s.models} models × ${s.items} items, ${s.missing * 100}% missing (2pl truth; 3pl fits on 3pl truth)`);
    console.log('model  method  seconds  iters  converged  peak MB  r(b,true)  r(a,true)  note');
    let raschMml: number | null = null;
    for (const model of ['rasch', '1pl', '2pl', '3pl'] as ItemModel[]) {
      for (const method of ['mml', 'jml', 'map'] as Method[]) {
        const key = `${model}:${method}`;
        if (only.length && !only.includes(key)) continue;
        const self = fileURLToPath(import.meta.url);
        const r = spawnSync(process.execPath, ['--max-old-space-size=4096', self, '--child', size, model, method], { encoding: 'utf8', maxBuffer: 1 << 24 });
        if (r.status !== 0) {
          console.log(`${model.padEnd(6)} ${method.padEnd(7)} failed: ${r.stderr.split('\n').slice(0, 3).join(' ')}`);
          continue;
        }
        const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
        if (size === 'mid' && key === 'rasch:mml') raschMml = j.seconds;
        let note = '';
        if (size === 'mid' && MIRT_SECONDS[key]) note = `mirt ${MIRT_SECONDS[key]} s → ${(MIRT_SECONDS[key] / j.seconds).toFixed(1)}× faster`;
        if (GOALS[size]?.[key]) note = `goal ≤ ${GOALS[size][key]} s: ${j.seconds <= GOALS[size][key] ? 'met' : 'MISSED'}`;
        console.log(`${model.padEnd(6)} ${method.padEnd(7)} ${j.seconds.toFixed(1).padStart(7)}  ${String(j.iterations).padStart(5)}  ${String(j.converged).padEnd(9)}  ${j.peakMB.toFixed(0).padStart(7)}  ${j.rb.toFixed(4).padStart(9)}  ${(Number.isFinite(j.ra) && (model === '2pl' || model === '3pl') ? j.ra.toFixed(4) : '   —  ').padStart(9)}  ${note}`);
      }
    }
    if (size === 'mid' && spawnSync('Rscript', ['-e', 'library(eRm)'], { encoding: 'utf8' }).status === 0) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-bench-'));
      const file = path.join(dir, 'mid.csv');
      await writeResponses(simulate({ ...s, model: '2pl', seed: 11 }).matrix, file);
      const erm = runErm(file);
      const ours = raschMml ?? NaN;
      if ('seconds' in erm) console.log(`eRm RM (Rasch, CML) on the same data: ${erm.seconds.toFixed(1)} s; gradus rasch mml ${ours.toFixed(1)} s → ${(erm.seconds / ours).toFixed(1)}× faster`);
      else console.log(`eRm RM (Rasch, CML) on the same data: ${erm.failed} (gradus rasch mml ${ours.toFixed(1)} s)`);
      fs.rmSync(dir, { recursive: true, force: true });
    } else if (size === 'mid') console.log('(R with eRm not installed: apt-get install r-base-core r-cran-erm to run it side by side)');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
