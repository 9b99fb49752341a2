/**
 * bench/fit: the whole `gradus fit` command, as a user runs it, for each model × method on simulated data of two sizes:
 *   mid    2,000 × 1,000, 30% missing, long CSV (the largest size at which R's mirt still works; mirt took 147 s
 *          for 2PL, 81 s for Rasch)
 *   large  4,500 × 21,000, 20% missing, long Parquet (Open LLM Leaderboard v2 scale)
 * Each size's file is written once into --dir (default bench/out/) and reused. Each fit spawns the real CLI in a
 * fresh process with the matrix cache off (GRADUS_CACHE_DIR=off) and GRADUS_PROFILE=1, and prints its wall time,
 * its CPU seconds (all threads), the fit-only time fit.json records, and where the rest went: start-up and module
 * loading, reading, the sparse views, the estimation, standard errors and item fit, writing the outputs. The
 * machine may be shared: read a wall time against its CPU seconds. Where R and eRm are installed, eRm's Rasch (CML)
 * runs on the mid data too and the ratio is printed.
 * Usage: node dist/bench/fit.js [--size mid|large|all] [--only rasch:jml,2pl:map,...] [--dir DIR] [--large-file F]
 * (--large-file: an existing long file of the large size, e.g. bench/ingest's Parquet; recovery is then not scored)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { simulate } from '../src/irt/simulate.js';
import { readFitFolder } from '../src/irt/fitFolder.js';
import type { ItemModel, Method } from '../src/irt/model.js';
import { writeResponses } from '../src/responses/write.js';
import { readProfile } from '../src/util/phase.js';

const SIZES = {
  mid: { models: 2000, items: 1000, missing: 0.3, ext: 'csv' },
  large: { models: 4500, items: 21000, missing: 0.2, ext: 'parquet' },
};
type Size = keyof typeof SIZES;
const SEED = 11;
const MIRT_SECONDS: Record<string, number> = { '2pl:mml': 147, 'rasch:mml': 81 };
/** whole-command seconds on a 2-core machine */
const GOALS: Record<Size, Record<string, number>> = {
  mid: { '2pl:mml': 4.9, 'rasch:mml': 2.7 },
  large: { 'rasch:jml': 10, '2pl:map': 25, '2pl:mml': 30 },
};
/** GRADUS_PROFILE's phases, grouped into the columns printed */
const GROUPS: Array<[string, RegExp]> = [
  ['start-up', /^start-up/],
  ['read', /^read(:|$)/],
  ['views', /^(fit set-up|sparse views|item variation)$/],
  ['fit', /^(mml: EM step|joint: (?!standard errors)|estimation$)/],
  ['SEs/info', /^(mml: final E-step|mml: standard errors|joint: standard errors|item fit)/],
  ['write', /^write outputs$/],
];
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(ROOT, 'bin/gradus.js');

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

interface Truth {
  b: Map<string, number>;
  a: Map<string, number>;
}

const data = new Map<string, { file: string; truth: Truth | null }>();

/** The size's simulated data, written once (2pl truth; the 3pl fits read a 3pl file); its true item parameters. */
async function dataFor(size: Size, model: ItemModel, dir: string): Promise<{ file: string; truth: Truth | null }> {
  const key = `${size}:${model === '3pl' ? '3pl' : '2pl'}`;
  if (!data.has(key)) data.set(key, await makeData(size, model, dir));
  return data.get(key)!;
}

async function makeData(size: Size, model: ItemModel, dir: string): Promise<{ file: string; truth: Truth | null }> {
  const s = SIZES[size];
  const truthModel = model === '3pl' ? '3pl' : '2pl';
  const given = size === 'large' ? opt('large-file', '') : '';
  if (given && truthModel === '2pl') return { file: given, truth: null };
  const file = path.join(dir, `fit-${size}-${truthModel}-seed${SEED}.${s.ext}`);
  const sim = simulate({ ...s, model: truthModel, seed: SEED });
  if (!fs.existsSync(file)) {
    process.stdout.write(`(writing ${file} once)\n`);
    await writeResponses(sim.matrix, file);
  }
  const items = sim.matrix.items;
  return { file, truth: { b: new Map(items.map((id, i) => [id, sim.params.b[i]])), a: new Map(items.map((id, i) => [id, sim.params.a[i]])) } };
}

interface Run {
  wall: number;
  cpu: number;
  peakMB: number;
  phases: Map<string, number>;
  fitSeconds: number;
  iterations: number;
  converged: boolean;
  rb: number;
  ra: number;
}

function runCli(file: string, model: ItemModel, method: Method, truth: Truth | null): Run | { failed: string } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-bench-fit-'));
  try {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--max-old-space-size=4096', CLI, 'fit', file, '--model', model, '--method', method, '--out', out], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
      env: { ...process.env, GRADUS_CACHE_DIR: 'off', GRADUS_PROFILE: '1' },
    });
    const wall = (performance.now() - t0) / 1000;
    // exit 1 is a fit that did not converge: it still wrote its folder
    if (r.status !== 0 && r.status !== 1) return { failed: r.stderr.split('\n').filter((l) => !l.startsWith('[gradus]')).slice(0, 3).join(' ') };
    const phases = new Map<string, number>();
    const profile = readProfile(r.stderr);
    const cpu = profile.cpu ?? NaN;
    const peakMB = profile.peakMB ?? NaN;
    for (const p of profile.phases) {
      if (p.part) continue;
      const group = GROUPS.find(([, re]) => re.test(p.label))?.[0] ?? 'other';
      phases.set(group, (phases.get(group) ?? 0) + p.seconds);
    }
    const fit = readFitFolder(out);
    const info = fit.info ?? {};
    const pick = (col: Float64Array, t: Map<string, number> | undefined) => [col, Float64Array.from(fit.items.item, (id) => t?.get(id) ?? NaN)] as const;
    return {
      wall,
      cpu,
      peakMB,
      phases,
      fitSeconds: Number(info.seconds),
      iterations: Number(info.iterations),
      converged: info.converged === true,
      rb: truth ? corr(...pick(fit.items.b, truth.b)) : NaN,
      ra: truth ? corr(...pick(fit.items.a, truth.a)) : NaN,
    };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
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

const f1 = (x: number, w: number) => (Number.isFinite(x) ? x.toFixed(1) : '—').padStart(w);

function row(model: ItemModel, method: Method, j: Run, note: string): string {
  const ph = [...GROUPS.map(([g]) => g), 'other'].map((g) => f1(j.phases.get(g) ?? 0, g === 'other' ? 5 : Math.max(5, g.length))).join(' ');
  const rest = j.wall - [...j.phases.values()].reduce((s, x) => s + x, 0);
  const ra = model === '2pl' || model === '3pl' ? j.ra : NaN;
  return `${model.padEnd(6)} ${method.padEnd(6)} ${f1(j.wall, 6)} ${f1(j.cpu, 6)} ${f1(j.fitSeconds, 6)} ${String(j.iterations).padStart(5)} ${String(j.converged).padEnd(5)} ${(Number.isFinite(j.peakMB) ? j.peakMB.toFixed(0) : '—').padStart(6)}  ${ph} ${f1(rest, 5)}  ${(Number.isFinite(j.rb) ? j.rb.toFixed(4) : '—').padStart(6)} ${(Number.isFinite(ra) ? ra.toFixed(4) : '—').padStart(6)}  ${note}`;
}

async function main() {
  const which = opt('size', 'all');
  const only = opt('only', '').split(',').filter(Boolean);
  const dir = opt('dir', path.join(process.cwd(), 'bench/out'));
  fs.mkdirSync(dir, { recursive: true });
  console.log(`bench/fit: the whole \`gradus fit\` command, on ${os.cpus().length} cores, node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
  for (const size of Object.keys(SIZES) as Size[]) {
    if (which !== 'all' && which !== size) continue;
    const s = SIZES[size];
    console.log(`\n${size}: ${s.models} models × ${s.items} items, ${s.missing * 100}% missing, long ${s.ext} (2pl truth; 3pl fits on 3pl truth)`);
    console.log(`whole command s | its CPU s (all threads) | fit-only s (fit.json) | then the whole command's seconds by phase`);
    console.log(`model  method  whole    cpu    fit iters conv  peakMB  ${GROUPS.map(([g]) => g.padStart(Math.max(5, g.length))).join(' ')} other  exit  r(b)   r(a)    note`);
    let raschMml: number | null = null;
    let midFile = '';
    for (const model of ['rasch', '1pl', '2pl', '3pl'] as ItemModel[]) {
      for (const method of ['mml', 'jml', 'map'] as Method[]) {
        const key = `${model}:${method}`;
        if (only.length && !only.includes(key)) continue;
        const { file, truth } = await dataFor(size, model, dir);
        if (model !== '3pl') midFile = file;
        const j = runCli(file, model, method, truth);
        if ('failed' in j) {
          console.log(`${model.padEnd(6)} ${method.padEnd(6)} failed: ${j.failed}`);
          continue;
        }
        if (size === 'mid' && key === 'rasch:mml') raschMml = j.wall;
        const notes: string[] = [];
        if (size === 'mid' && MIRT_SECONDS[key]) notes.push(`mirt ${MIRT_SECONDS[key]} s → ${(MIRT_SECONDS[key] / j.wall).toFixed(0)}× faster`);
        if (GOALS[size][key]) notes.push(`goal ≤ ${GOALS[size][key]} s: ${j.wall <= GOALS[size][key] ? 'met' : 'MISSED'}`);
        console.log(row(model, method, j, notes.join('; ')));
      }
    }
    if (size === 'mid' && midFile && spawnSync('Rscript', ['-e', 'library(eRm)'], { encoding: 'utf8' }).status === 0) {
      const erm = runErm(midFile);
      const ours = raschMml ?? NaN;
      if ('seconds' in erm) console.log(`eRm RM (Rasch, CML) on the same data: ${erm.seconds.toFixed(1)} s; gradus rasch mml ${ours.toFixed(1)} s (whole command) → ${(erm.seconds / ours).toFixed(1)}× faster`);
      else console.log(`eRm RM (Rasch, CML) on the same data: ${erm.failed} (gradus rasch mml ${ours.toFixed(1)} s)`);
    } else if (size === 'mid') console.log('(R with eRm not installed: apt-get install r-base-core r-cran-erm to run it side by side)');
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
