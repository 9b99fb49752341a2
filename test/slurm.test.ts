import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { ROOT, tmpDir, write, cli, cliAsync } from './support/fixtures.js';
import { startSlurm, type SlurmCluster } from './support/slurm.js';
import { generateItems } from '../src/tasks/families.js';
import { trainCheckpoint } from '../src/tinylm/api.js';

const TRAINER = path.join(ROOT, 'test/support/trainer.mjs');
const EVAL = path.join(ROOT, 'test/support/evalCommand.mjs');
let slurm: SlurmCluster;

before(async () => {
  slurm = await startSlurm();
});
after(async () => {
  await slurm?.stop();
});

const env = () => slurm.env;
const squeue = () => execFileSync('squeue', ['-h', '-o', '%i %T %j'], { env: env() }).toString().trim().split('\n').filter(Boolean);

/** items in 3 bins (by sort length) with a tiny built-in base model */
async function builtinFixture(): Promise<string> {
  const dir = tmpDir('gradus-slurm-');
  const items = generateItems('sort', 90, 1, 3);
  write(dir, 'items.jsonl', items.map((x) => JSON.stringify(x)).join('\n') + '\n');
  write(dir, 'bins.csv', ['item,difficulty,bin,split', ...items.map((x, k) => `${x.id},${x.level},${x.level - 1},${Math.floor(k / 3) % 3 === 0 ? "test" : "train"}`)].join('\n') + '\n');
  await trainCheckpoint(items, { out: path.join(dir, 'base'), steps: 30, lr: 3e-3, arch: { d: 16, heads: 2, maxLen: 16 } });
  return dir;
}

function commandFixture(o: { sleep?: number; failBin?: number; executor: string; k?: number }): string {
  const dir = tmpDir('gradus-slurm-');
  const k = o.k ?? 3;
  const items: string[] = [];
  const bins = ['item,difficulty,bin,split'];
  for (let b = 0; b < k; b++) for (let n = 0; n < 6; n++) {
    items.push(JSON.stringify({ id: `q${b}-${n}`, prompt: `[item q${b}-${n}] ${b}+${n}`, answer: String(b + n) }));
    bins.push(`q${b}-${n},${b},${b},${n < 4 ? 'train' : 'test'}`);
  }
  write(dir, 'items.jsonl', items.join('\n') + '\n');
  write(dir, 'bins.csv', bins.join('\n') + '\n');
  write(dir, 'study.yaml', `data: { items: items.jsonl, bins: bins.csv }
strategies: [each-bin]
base_model: base
learner:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(TRAINER)}, --data, "{train_file}", --out, "{output_dir}", --log, trainer.log, --cell, "{cell}", --sleep, "${o.sleep ?? 0}"${o.failBin !== undefined ? `, --fail-bin, "${o.failBin}"` : ''}]
evaluator:
  kind: command
  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(EVAL)}, "{items_file}", "{model_path}", "{output_dir}"]
bootstrap: 20
executor: ${o.executor}
`);
  return dir;
}

test('a built-in grid run as Slurm jobs gives results identical to the local executor', async () => {
  const dir = await builtinFixture();
  const body = `data: { items: items.jsonl, bins: bins.csv }
strategies: [each-bin]
seeds: [1]
base_model: base
learner: { kind: builtin, steps: 10, lr: 0.001 }
evaluator: { kind: builtin }
parallel: 2
bootstrap: 100
`;
  write(dir, 'local.yaml', body);
  write(dir, 'slurm.yaml', body + 'executor: { kind: slurm, cpus_per_task: 1, time: "10:00", poll_s: 0.3, max_queued: 4 }\n');
  const local = await cliAsync(['study', 'local.yaml', '--out', 'local'], { cwd: dir, env: env() });
  assert.equal(local.code, 0, local.stderr);
  const onSlurm = await cliAsync(['study', 'slurm.yaml', '--out', 'slurm'], { cwd: dir, env: env() });
  assert.equal(onSlurm.code, 0, onSlurm.stderr);
  assert.match(onSlurm.stdout, /4 cells: 0 resumed, 4 run, 0 failed/);
  assert.equal(fs.readFileSync(path.join(dir, 'slurm/grid.csv'), 'utf8'), fs.readFileSync(path.join(dir, 'local/grid.csv'), 'utf8'));
  for (const cell of ['baseline', 'each-bin_b0_s1', 'each-bin_b1_s1', 'each-bin_b2_s1']) {
    const job = JSON.parse(fs.readFileSync(path.join(dir, 'slurm/cells', cell, 'job.json'), 'utf8'));
    assert.match(job.job_id, /^\d+$/);
    assert.ok(fs.existsSync(job.log), `${cell}: the job's log ${job.log}`);
    assert.match(fs.readFileSync(job.script, 'utf8'), /^#!\/bin\/bash\n#SBATCH --job-name=gradus-/);
  }
});

test('a job that exits non-zero, one past its time limit, and one cancelled from outside: each cell fails with its reason and log', async () => {
  const dir = commandFixture({ executor: '{ kind: slurm, poll_s: 0.3, retries: 1 }', failBin: 1 });
  let r = await cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: dir, env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stdout, /4 cells: 0 resumed, 3 run, 1 failed/);
  // retried once, then given up
  assert.match(r.stderr, /each-bin_b1_s1: the job failed with exit code 1 \(log: .*\); retry 1 of 1/);
  assert.deepEqual(fs.readdirSync(path.join(dir, 'run/cells/each-bin_b1_s1')).filter((f) => f.endsWith('.sh')).sort(), ['job-0.sh', 'job-1.sh']);
  assert.equal(fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8').split('\n').filter((l) => l === 'start each-bin_b1_s1').length, 2);
  assert.match(r.stderr, /failed: each-bin_b1_s1: the job failed with exit code 1 \(job \d+\) \(log: .*slurm-\d+\.out\)/);
  const failed = JSON.parse(fs.readFileSync(path.join(dir, 'run/cells/each-bin_b1_s1/failed.json'), 'utf8'));
  assert.match(fs.readFileSync(failed.log, 'utf8'), /training command exited with code 3/);

  // past the time limit (Slurm checks limits about every 30 s)
  const slow = commandFixture({ executor: '{ kind: slurm, time: "0:03", poll_s: 0.5 }', sleep: 120_000, k: 1 });
  fs.writeFileSync(path.join(slow, 'study.yaml'), fs.readFileSync(path.join(slow, 'study.yaml'), 'utf8').replace('strategies: [each-bin]', 'strategies: [each-bin]\nbaseline: false'));
  r = await cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: slow, env: env() });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /failed: each-bin_b0_s1: the job hit its time limit/);

  // cancelled by someone else
  const cancel = commandFixture({ executor: '{ kind: slurm, poll_s: 0.3 }', sleep: 120_000, k: 1 });
  fs.writeFileSync(path.join(cancel, 'study.yaml'), fs.readFileSync(path.join(cancel, 'study.yaml'), 'utf8').replace('strategies: [each-bin]', 'strategies: [each-bin]\nbaseline: false'));
  const running = cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: cancel, env: env() });
  const jobFile = path.join(cancel, 'run/cells/each-bin_b0_s1/job.json');
  while (!fs.existsSync(jobFile)) await new Promise((res) => setTimeout(res, 100));
  const id = JSON.parse(fs.readFileSync(jobFile, 'utf8')).job_id;
  while (!squeue().some((l) => l.startsWith(`${id} RUNNING`))) await new Promise((res) => setTimeout(res, 100));
  execFileSync('scancel', [id], { env: env() });
  r = await running;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /failed: each-bin_b0_s1: the job was cancelled/);
});

test('killed while its jobs run, gradus study re-attaches on restart and submits nothing twice; --cancel cancels only its jobs', async () => {
  const dir = commandFixture({ executor: '{ kind: slurm, poll_s: 0.3 }', sleep: 4000 });
  let child: import('node:child_process').ChildProcess | undefined;
  const first = cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: dir, env: env(), onSpawn: (c) => (child = c) });
  const cellsDir = path.join(dir, 'run/cells');
  const jobs = () => (fs.existsSync(cellsDir) ? fs.readdirSync(cellsDir).filter((c) => fs.existsSync(path.join(cellsDir, c, 'job.json'))) : []);
  while (jobs().length < 4) await new Promise((res) => setTimeout(res, 100));
  const ids = new Map(jobs().map((c) => [c, JSON.parse(fs.readFileSync(path.join(cellsDir, c, 'job.json'), 'utf8')).job_id]));
  child!.kill('SIGKILL');
  await first;
  assert.ok(squeue().length > 0, 'the jobs outlive the killed study');
  const again = await cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: dir, env: env() });
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /re-attached to job \d+/);
  assert.match(again.stdout, /4 cells: \d resumed, \d run, 0 failed/);
  assert.equal(fs.readFileSync(path.join(dir, "run/grid.csv"), "utf8").trim().split("\n").length, 1 + 3 * 3);
  for (const c of jobs()) {
    assert.equal(JSON.parse(fs.readFileSync(path.join(cellsDir, c, 'job.json'), 'utf8')).job_id, ids.get(c), `${c} was submitted again`);
    assert.deepEqual(fs.readdirSync(path.join(cellsDir, c)).filter((f) => /^job-\d+\.sh$/.test(f)), ['job-0.sh']);
  }
  const starts = fs.readFileSync(path.join(dir, 'trainer.log'), 'utf8').split('\n').filter((l) => l.startsWith('start '));
  assert.equal(starts.length, 3, 'each training ran once');

  // --cancel: another study's job survives
  const other = commandFixture({ executor: '{ kind: slurm, poll_s: 0.3 }', sleep: 60_000, k: 1 });
  const mine = commandFixture({ executor: '{ kind: slurm, poll_s: 0.3 }', sleep: 60_000, k: 1 });
  const bg1 = cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: other, env: env() });
  let mineChild: import('node:child_process').ChildProcess | undefined;
  const bg2 = cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: mine, env: env(), onSpawn: (c) => (mineChild = c) });
  const jobOf = (d: string) => path.join(d, 'run/cells/each-bin_b0_s1/job.json');
  while (!fs.existsSync(jobOf(other)) || !fs.existsSync(jobOf(mine))) await new Promise((res) => setTimeout(res, 100));
  // Ctrl-C without a terminal: the jobs are left running, and the user is told how to cancel them
  mineChild!.kill('SIGINT');
  const stopped = await bg2;
  assert.equal(stopped.code, 130);
  assert.match(stopped.stderr, /leaving the study's Slurm jobs running; .*gradus study --cancel/);
  const mineId = JSON.parse(fs.readFileSync(jobOf(mine), 'utf8')).job_id;
  assert.ok(squeue().some((l) => l.startsWith(`${mineId} `)), 'Ctrl-C left the job queued or running');
  const r = cli(['study', '--cancel', path.join(mine, 'run')], { env: env() });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /cancelled [12] job\(s\): .*each-bin_b0_s1/);
  const otherId = JSON.parse(fs.readFileSync(jobOf(other), 'utf8')).job_id;
  assert.ok(squeue().some((l) => l.startsWith(`${otherId} `)), 'the other study\'s job is untouched');
  assert.ok(!squeue().some((l) => l.startsWith(`${mineId} RUNNING`) || l.startsWith(`${mineId} PENDING`)), 'this study\'s job is cancelled');
  execFileSync('scancel', ['-u', 'root'], { env: env() });
  await bg1;
});

test('max_queued: never more than that many jobs in the queue at once', async () => {
  const dir = commandFixture({ executor: '{ kind: slurm, poll_s: 0.2, max_queued: 2 }', sleep: 1500, k: 4 });
  let peak = 0;
  const cellsDir = path.join(dir, 'run/cells');
  const sampler = setInterval(() => {
    try {
      // this study's jobs only (earlier tests' jobs may still be completing)
      const ours = new Set(fs.existsSync(cellsDir) ? fs.readdirSync(cellsDir).flatMap((c) => {
        try {
          return [JSON.parse(fs.readFileSync(path.join(cellsDir, c, 'job.json'), 'utf8')).job_id as string];
        } catch {
          return [];
        }
      }) : []);
      peak = Math.max(peak, squeue().filter((l) => ours.has(l.split(' ')[0]) && !/ COMPLETED /.test(l)).length);
    } catch {
      /* squeue busy */
    }
  }, 100);
  const r = await cliAsync(['study', 'study.yaml', '--out', 'run'], { cwd: dir, env: env() });
  clearInterval(sampler);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /5 cells: 0 resumed, 5 run, 0 failed/);
  assert.equal(peak, 2);
});
