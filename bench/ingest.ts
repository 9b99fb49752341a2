/**
 * bench/ingest: write a simulated leaderboard-scale long table (default 4,500 models × 21,000 items, 20% missing)
 * as CSV and as Parquet, then time reading each into a ResponseMatrix in a fresh process and print seconds and peak memory.
 * Usage: node dist/bench/ingest.js [--models N] [--items M] [--missing F] [--dir DIR]
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
  const { matrix, report } = await readResponses(file);
  const seconds = (performance.now() - t0) / 1000;
  const peakMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ seconds, peakMB, models: matrix.models.length, items: matrix.items.length, rows: report.rows }) + '\n');
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
  console.log(`reading ${nModels} models × ${nItems} items, ${Math.round(missing * 100)}% missing`);
  for (const file of [pq, csv]) {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync(process.execPath, [self, '--child', file], { encoding: 'utf8', maxBuffer: 1 << 24 });
    if (r.status !== 0) throw new Error(r.stderr);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!);
    console.log(`${path.extname(file).slice(1).padEnd(8)} ${j.seconds.toFixed(1).padStart(6)} s   peak ${j.peakMB.toFixed(0).padStart(5)} MB   ${j.rows} rows → ${j.models} × ${j.items}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
