/**
 * bench/ingest: write a simulated leaderboard-scale long table (default 4,500 models × 21,000 items, 20% missing)
 * as CSV and as Parquet (and with --wide the same matrix as a wide CSV), then time reading each into a ResponseMatrix
 * in a fresh process with the matrix cache off, and a second read of the Parquet file through the cache; prints the
 * whole command's wall seconds (process start to exit) beside the read's, CPU seconds and peak memory (CPU seconds stay
 * meaningful on a shared machine), and under each the reader's phases in seconds (GRADUS_PROFILE).
 * Usage: node dist/bench/ingest.js [--models N] [--items M] [--missing F] [--dir DIR] [--wide]
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { openDuck, sqlString } from '../src/util/duck.js';
import { readResponses } from '../src/responses/read.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : dflt;
};

async function child(file: string) {
  const t0 = performance.now();
  const { matrix, report } = await readResponses(file, { layout: file.includes('.wide.') ? 'wide' : 'auto' });
  const seconds = (performance.now() - t0) / 1000;
  const u = process.cpuUsage();
  const cpu = (u.user + u.system) / 1e6;
  const peakMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, cpu, peakMB, models: matrix.models.length, items: matrix.items.length, rows: report.rows }) + '\n');
}

async function main() {
  if (args[0] === '--child') return child(args[1]);
  const nModels = Number(opt('models', '4500'));
  const nItems = Number(opt('items', '21000'));
  const missing = Number(opt('missing', '0.2'));
  const dir = opt('dir', path.join(process.cwd(), 'bench/out'));
  fs.mkdirSync(dir, { recursive: true });
  const csv = path.join(dir, `ingest-${nModels}x${nItems}.csv`);
  const pq = csv.replace(/\.csv$/, '.parquet');
  if (!fs.existsSync(pq)) {
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
  const wide = csv.replace(/\.csv$/, '.wide.csv');
  if (args.includes('--wide') && !fs.existsSync(wide)) {
    const duck = await openDuck('4GB');
    // the same cells as the long table, one row per model; an empty cell is missing
    const cols = Array.from({ length: nItems }, (_, i) => `MAX(correct) FILTER (WHERE item = 'task/${i}') AS "task/${i}"`).join(', ');
    await duck.conn.run(`COPY (SELECT model, ${cols} FROM read_parquet(${sqlString(pq)}) GROUP BY model ORDER BY model) TO ${sqlString(wide)} (HEADER, DELIMITER ',')`);
    duck.close();
  }
  console.log(`reading ${nModels} models × ${nItems} items, ${Math.round(missing * 100)}% missing`);
  const self = fileURLToPath(import.meta.url);
  const cache = fs.mkdtempSync(path.join(dir, 'cache-'));
  const run = (label: string, file: string, cacheDir: string) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [self, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, GRADUS_CACHE_DIR: cacheDir, GRADUS_PROFILE: '1' } });
    const whole = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`${label.padEnd(16)} ${whole.toFixed(1).padStart(6)} s  (read ${j.seconds.toFixed(1)} s)  cpu ${j.cpu.toFixed(1).padStart(5)} s   peak ${j.peakMB.toFixed(0).padStart(5)} MB   ${j.rows} rows → ${j.models} × ${j.items}`);
    // the reader's phases (GRADUS_PROFILE), so a slow read says where its time went
    const phases: string[] = [];
    let part = '';
    for (const [, name, s] of r.stderr.matchAll(/^\[gradus\] read: (.+?)\s+([\d.]+) s$/gm)) {
      const sec = Number(s).toFixed(1);
      // a part ("fill, JS loop") is printed before the phase it belongs to
      if (name.includes(', ')) part = ` (${name.split(', ')[1]} ${sec})`;
      else {
        phases.push(`${name} ${sec}${part}`);
        part = '';
      }
    }
    if (phases.length) console.log(`${''.padEnd(18)}${phases.join(' · ')}`);
  };
  run('long parquet', pq, 'off');
  run('long csv', csv, 'off');
  if (fs.existsSync(wide)) run('wide csv', wide, 'off');
  run('(filling cache)', pq, cache);
  run('parquet, cached', pq, cache);
  fs.rmSync(cache, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
