/**
 * bench/ingest: write a simulated leaderboard-scale long table (default 4,500 models × 21,000 items, 20% missing)
 * as CSV and as Parquet (and with --wide the same matrix as a wide CSV and a wide Parquet), then time reading each
 * into a ResponseMatrix in a fresh process with the matrix cache off, and a second read of the Parquet file through
 * the cache; prints the whole command's wall seconds (process start to exit) beside the read's, CPU seconds, peak
 * memory (CPU seconds stay meaningful on a shared machine), whether each read gave the same matrix as the long
 * Parquet file, and under each the reader's phases in seconds (GRADUS_PROFILE).
 * --wide-only: no long table; a simulated wide CSV (and its Parquet copy unless --no-parquet) is written and read;
 * --clean deletes what was written afterwards (for the 10,000 × 50,000 check, ~1 GB).
 * --parquet-only reads only the Parquet files (long, and wide with --wide), no CSV and no cache runs.
 * --long-csv-only: only the long CSV is read (the quickest check of the long CSV reader; prints the matrix digest).
 * Usage: node dist/bench/ingest.js [--models N] [--items M] [--missing F] [--dir DIR] [--wide | --wide-only [--no-parquet] [--clean]] [--parquet-only | --long-csv-only]
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { openDuck, sqlString } from '../src/util/duck.js';
import { readResponses } from '../src/responses/read.js';
import { phase, readProfile } from '../src/util/phase.js';
import { simulateWideCsv, writeWideCsv, writeWideParquet } from './wideTables.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : dflt;
};

async function child(file: string) {
  // the profile's clock starts with the process: mark start-up so the reader's first phase is its own
  phase('start-up, module load');
  const t0 = performance.now();
  const { matrix, report } = await readResponses(file, { layout: file.includes('.wide.') ? 'wide' : 'auto' });
  const seconds = (performance.now() - t0) / 1000;
  const u = process.cpuUsage();
  const cpu = (u.user + u.system) / 1e6;
  const peakMB = process.resourceUsage().maxRSS / 1024;
  const digest = createHash('sha256').update(JSON.stringify([matrix.models, matrix.items])).update(matrix.data).digest('hex');
  process.stdout.write(JSON.stringify({ seconds, cpu, peakMB, models: matrix.models.length, items: matrix.items.length, rows: report.rows, digest }) + '\n');
}

async function main() {
  if (args[0] === '--child') return child(args[1]);
  const nModels = Number(opt('models', '4500'));
  const nItems = Number(opt('items', '21000'));
  const missing = Number(opt('missing', '0.2'));
  const dir = opt('dir', path.join(process.cwd(), 'bench/out'));
  fs.mkdirSync(dir, { recursive: true });
  if (args.includes('--wide-only')) return wideOnly(dir, nModels, nItems, missing);
  const csv = path.join(dir, `ingest-${nModels}x${nItems}.csv`);
  const pq = csv.replace(/\.csv$/, '.parquet');
  if (!fs.existsSync(pq)) await writeLong(csv, pq, nModels, nItems, missing);
  const wide = csv.replace(/\.csv$/, '.wide.csv');
  const widePq = wide.replace(/\.csv$/, '.parquet');
  if (args.includes('--wide') && !fs.existsSync(widePq)) {
    const t0 = performance.now();
    // the long table's own matrix, written wide: reading the wide files must give it back
    const { matrix } = await readResponses(pq, { cache: false });
    writeWideCsv(wide, matrix);
    await writeWideParquet(wide, widePq, matrix.items);
    console.log(`wrote ${path.basename(wide)} (${(fs.statSync(wide).size / 1e6).toFixed(0)} MB) and ${path.basename(widePq)} (${(fs.statSync(widePq).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  console.log(`reading ${nModels} models × ${nItems} items, ${Math.round(missing * 100)}% missing`);
  if (args.includes('--long-csv-only')) {
    // no Parquet read to compare with: the digest printed is to be compared with another run's
    const digest = run('long csv', csv, 'off');
    console.log(`${''.padEnd(18)}matrix digest ${digest.slice(0, 16)}`);
    return;
  }
  const cache = fs.mkdtempSync(path.join(dir, 'cache-'));
  const reference = run('long parquet', pq, 'off');
  const all = !args.includes('--parquet-only');
  if (all) run('long csv', csv, 'off', reference);
  if (args.includes('--wide')) {
    if (all) run('wide csv', wide, 'off', reference);
    run('wide parquet', widePq, 'off', reference);
  }
  if (all) {
    run('(filling cache)', pq, cache, reference);
    run('parquet, cached', pq, cache, reference);
  } else console.log(`matrix digest ${reference.slice(0, 16)}`);
  fs.rmSync(cache, { recursive: true, force: true });
}

async function writeLong(csv: string, pq: string, nModels: number, nItems: number, missing: number): Promise<void> {
  const t0 = performance.now();
  const duck = await openDuck('4GB');
  // A Rasch-like table built inside DuckDB: hash-based uniforms keep it deterministic and fast.
  const sel = `SELECT 'org/model-' || m AS model, 'task/' || i AS item,
      CAST(hash(m, i, 7) % 1000000 < 1000000 / (1 + exp(-((m % 97) / 24.0 - 2 - ((i % 89) / 22.0 - 2)))) AS INTEGER) AS correct
    FROM range(${nModels}) t(m), range(${nItems}) s(i)
    WHERE hash(m, i, 3) % 1000000 >= ${Math.round(missing * 1e6)}`;
  await duck.conn.run(`COPY (${sel}) TO ${sqlString(csv)} (HEADER, DELIMITER ',')`);
  await duck.conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)})) TO ${sqlString(pq)} (FORMAT parquet)`);
  duck.close();
  console.log(`wrote ${csv} (${(fs.statSync(csv).size / 1e9).toFixed(2)} GB) and ${path.basename(pq)} (${(fs.statSync(pq).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** A wide table with no long twin (10,000 × 50,000 would be a 500-million-row long table). */
async function wideOnly(dir: string, nModels: number, nItems: number, missing: number): Promise<void> {
  const wide = path.join(dir, `wide-${nModels}x${nItems}.wide.csv`);
  const widePq = wide.replace(/\.csv$/, '.parquet');
  const parquet = !args.includes('--no-parquet');
  const t0 = performance.now();
  if (!fs.existsSync(wide)) simulateWideCsv(wide, nModels, nItems, missing);
  if (parquet && !fs.existsSync(widePq)) await writeWideParquet(wide, widePq, Array.from({ length: nItems }, (_, i) => `task/${i}`));
  console.log(`wrote ${path.basename(wide)} (${(fs.statSync(wide).size / 1e6).toFixed(0)} MB)${parquet ? ` and ${path.basename(widePq)} (${(fs.statSync(widePq).size / 1e6).toFixed(0)} MB)` : ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  console.log(`reading ${nModels} models × ${nItems} items, ${Math.round(missing * 100)}% missing`);
  try {
    const reference = run('wide csv', wide, 'off');
    if (parquet) run('wide parquet', widePq, 'off', reference);
  } finally {
    if (args.includes('--clean')) for (const f of [wide, widePq]) fs.rmSync(f, { force: true });
  }
}

/** One read in a fresh process; returns the matrix digest, and says whether it matches `reference`'s. */
function run(label: string, file: string, cacheDir: string, reference?: string): string {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, GRADUS_CACHE_DIR: cacheDir, GRADUS_PROFILE: '1' } });
  const whole = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
  const same = reference === undefined ? '' : j.digest === reference ? '   same matrix' : '   A DIFFERENT MATRIX';
  console.log(`${label.padEnd(16)} ${whole.toFixed(1).padStart(6)} s  (read ${j.seconds.toFixed(1)} s)  cpu ${j.cpu.toFixed(1).padStart(6)} s   peak ${j.peakMB.toFixed(0).padStart(5)} MB   ${j.rows} rows → ${j.models} × ${j.items}${same}`);
  // the reader's phases (GRADUS_PROFILE), so a slow read says where its time went
  const phases: string[] = [];
  let part = '';
  for (const p of readProfile(r.stderr).phases) {
    if (!p.label.startsWith('read: ')) continue;
    const t = p.seconds.toFixed(1);
    // a part ("read: fill, JS loop") is printed before the phase it belongs to
    if (p.part) part = ` (${p.label.split(', ').pop()} ${t})`;
    else {
      phases.push(`${p.label.slice('read: '.length)} ${t}${part}`);
      part = '';
    }
  }
  if (phases.length) console.log(`${''.padEnd(18)}${phases.join(' · ')}`);
  return j.digest;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
