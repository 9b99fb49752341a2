/**
 * bench/collect: `gradus collect` of 200 models × 6 tasks from the stand-in Hub (test/support/hubServer.ts) run in
 * a process of its own, so gradus' CPU time is measured apart from the server's. Samples lines are padded to a
 * realistic size (default 4 kB, as few-shot prompts make them); files hold fewer lines than the real ones so the
 * run stays short. Prints MB/s, gradus' CPU seconds (its own process: HTTP, hashing, parsing, DuckDB), the CPU
 * per MB, and the same with the server paced to a fixed rate per connection: when gradus reaches the paced rate
 * and its CPU stays far below one core, the server, not gradus, sets the pace.
 * Usage: node dist/bench/collect.js [--models 200] [--items 40] [--line-bytes 4000] [--concurrency 8] [--paced-mbps 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { collectLeaderboard } from '../src/hub/collect.js';
import { startHubServer, type HubRepo } from '../test/support/hubServer.js';
import { detailsRepos, type ModelSpec } from '../test/support/leaderboardData.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : dflt;
};
const TASKS = ['musr', 'math_hard', 'mmlu_pro', 'bbh', 'gpqa', 'ifeval'];

function modelList(n: number): ModelSpec[] {
  return Array.from({ length: n }, (_, k) => ({ model: `org${k % 17}/model-${String(k).padStart(4, '0')}`, theta: -2.5 + (5 * k) / Math.max(1, n - 1) }));
}

async function serve() {
  const repos = new Map<string, HubRepo>();
  const spec = { models: modelList(Number(opt('models', '200'))), tasks: TASKS, itemsPerSubtask: Number(opt('items', '40')), lineBytes: Number(opt('line-bytes', '4000')) };
  let bytes = 0;
  for (const [name, files] of detailsRepos(spec)) {
    repos.set(name, { files });
    for (const b of files.values()) bytes += b.length;
  }
  const rate = Number(opt('rate', '0'));
  const server = await startHubServer(repos, { storeRate: rate > 0 ? rate : undefined, pageSize: 1000 });
  process.stdout.write(JSON.stringify({ url: server.url, bytes, files: [...repos.values()].reduce((s, r) => s + r.files.size, 0) }) + '\n');
  setInterval(() => {
    // the parent reads our CPU time from here before it stops us
    process.stdout.write(JSON.stringify({ cpu: process.cpuUsage() }) + '\n');
  }, 200);
}

async function once(paced: number) {
  const me = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [me, '--serve', '--models', opt('models', '200'), '--items', opt('items', '40'), '--line-bytes', opt('line-bytes', '4000'), '--rate', String(paced * 1e6)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout! });
  let serverCpu = { user: 0, system: 0 };
  const info = await new Promise<{ url: string; bytes: number; files: number }>((resolve) => {
    lines.on('line', (l) => {
      const j = JSON.parse(l);
      if (j.url) resolve(j);
      if (j.cpu) serverCpu = j.cpu;
    });
  });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-bench-collect-'));
  const list = path.join(out, 'models.txt');
  fs.writeFileSync(list, modelList(Number(opt('models', '200'))).map((m) => m.model).join('\n') + '\n');
  const cpu0 = process.cpuUsage();
  const serverCpu0 = { ...serverCpu };
  const t0 = performance.now();
  const r = await collectLeaderboard({ tasks: TASKS, out: path.join(out, 'lb'), models: list, hubUrl: info.url, concurrency: Number(opt('concurrency', '8')), env: {} });
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await new Promise((res) => setTimeout(res, 250));
  child.kill();
  fs.rmSync(out, { recursive: true, force: true });
  const mine = (cpu.user + cpu.system) / 1e6;
  const theirs = (serverCpu.user + serverCpu.system - serverCpu0.user - serverCpu0.system) / 1e6;
  const mb = r.bytes / 1e6;
  return { paced, models: r.done, files: info.files, mb, wall, mbps: mb / wall, gradusCpu: mine, gradusCpuShare: mine / wall, cpuMsPerMb: (mine * 1000) / mb, serverCpu: theirs, responses: r.responses };
}

async function main() {
  if (args.includes('--serve')) return serve();
  const concurrency = Number(opt('concurrency', '8'));
  const paced = Number(opt('paced-mbps', '2'));
  process.stdout.write(`collect bench: ${opt('models', '200')} models × ${TASKS.length} tasks, ${opt('items', '40')} items per subtask, ~${opt('line-bytes', '4000')} B per samples line, concurrency ${concurrency}; ${os.cpus().length} cores (shared: figures are noisy)\n`);
  for (const p of [0, paced]) {
    const x = await once(p);
    const cap = p ? p * concurrency : null;
    process.stdout.write(
      `${p ? `server paced at ${p} MB/s per connection (cap ${cap} MB/s)` : 'server unpaced'}: ${x.models} models, ${x.files} files, ${x.mb.toFixed(0)} MB in ${x.wall.toFixed(1)} s = ${x.mbps.toFixed(1)} MB/s${cap ? ` (${((100 * x.mbps) / cap).toFixed(0)}% of the cap)` : ''}; ` +
        `gradus CPU ${x.gradusCpu.toFixed(1)} s (${(100 * x.gradusCpuShare).toFixed(0)}% of one core, ${x.cpuMsPerMb.toFixed(1)} ms/MB, so ~${(1000 / x.cpuMsPerMb).toFixed(0)} MB/s per core at most); server CPU ${x.serverCpu.toFixed(1)} s; ${x.responses} responses\n`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
