/**
 * Study cells as Slurm batch jobs. Each job runs one whole cell (`gradus study CONFIG --out DIR --cell ID`: the
 * learner, then the evaluator, the same code as a local run), so results match the local executor. The job id is
 * kept in cells/<id>/job.json as soon as sbatch answers; a restarted study re-attaches to jobs still queued or
 * running, collects those that ended meanwhile, and submits only cells that never ran or must be retried.
 * Jobs are followed with squeue and, once gone from the queue, scontrol show job (no accounting database needed).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { GradusError } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic.js';
import type { Cell } from '../plan.js';
import { StudyStore, type JobRecord } from '../store.js';
import type { CellExecutor } from './contract.js';
import type { SlurmConfig } from './schema.js';

const run = promisify(execFile);


const ACTIVE = new Set(['PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'REQUEUED', 'RESIZING', 'SIGNALING', 'STAGE_OUT', 'REQUEUE_HOLD', 'REQUEUE_FED']);

const shq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function jobScript(cfg: SlurmConfig, o: { name: string; log: string; chdir: string; argv: string[] }): string {
  const lines = ['#!/bin/bash', `#SBATCH --job-name=${o.name}`, `#SBATCH --output=${o.log}`, `#SBATCH --chdir=${o.chdir}`];
  if (cfg.partition) lines.push(`#SBATCH --partition=${cfg.partition}`);
  if (cfg.account) lines.push(`#SBATCH --account=${cfg.account}`);
  if (cfg.qos) lines.push(`#SBATCH --qos=${cfg.qos}`);
  if (cfg.gpus !== undefined && cfg.gpus !== 0) lines.push(`#SBATCH --gpus=${cfg.gpus}`);
  if (cfg.cpus_per_task) lines.push(`#SBATCH --cpus-per-task=${cfg.cpus_per_task}`);
  if (cfg.mem) lines.push(`#SBATCH --mem=${cfg.mem}`);
  if (cfg.time) lines.push(`#SBATCH --time=${cfg.time}`);
  for (const x of cfg.extra) lines.push(x.startsWith('#SBATCH') ? x : `#SBATCH ${x}`);
  lines.push('set -euo pipefail');
  for (const [k, v] of Object.entries(cfg.env)) lines.push(`export ${k}=${shq(v)}`);
  // setup lines are the user's own shell (module load, conda activate): theirs to write, never from item data
  lines.push(...cfg.setup);
  lines.push(`exec ${o.argv.map(shq).join(' ')}`);
  return lines.join('\n') + '\n';
}

async function sbatch(script: string): Promise<string> {
  try {
    const { stdout } = await run('sbatch', ['--parsable', script]);
    const id = stdout.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new Error(`sbatch answered ${JSON.stringify(stdout.trim())}`);
    return id;
  } catch (e) {
    const err = e as Error & { stderr?: string; code?: string };
    if (err.code === 'ENOENT') throw new GradusError('sbatch is not on the PATH', 'Run the study on a Slurm login node, or use executor.kind: local.');
    throw new GradusError(`sbatch refused the job: ${(err.stderr || err.message).trim()}`, 'Check the executor fields (partition, account, gpus, time) against your cluster.', { file: script });
  }
}

/** job id → state, for the jobs squeue still lists */
async function queueStates(): Promise<Map<string, string>> {
  const { stdout } = await run('squeue', ['-h', '-o', '%i %T']);
  const m = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const [id, state] = line.trim().split(/\s+/);
    if (id && state) m.set(id, state);
  }
  return m;
}

export interface FinalState {
  state: string;
  exit: number | null;
  signal: number | null;
  reason?: string;
}

/** a finished job's state from scontrol (visible for MinJobAge after it ends), or null when Slurm forgot it */
export async function finalState(id: string): Promise<FinalState | null> {
  try {
    const { stdout } = await run('scontrol', ['show', 'job', '-o', id]);
    const state = /JobState=(\S+)/.exec(stdout)?.[1];
    if (!state) return null;
    const ec = /ExitCode=(\d+):(\d+)/.exec(stdout);
    const reason = /Reason=(\S+)/.exec(stdout)?.[1];
    return { state, exit: ec ? Number(ec[1]) : null, signal: ec ? Number(ec[2]) : null, reason: reason && reason !== 'None' ? reason : undefined };
  } catch {
    return null;
  }
}

function describe(s: FinalState | null): string {
  if (!s) return 'the job ended and Slurm no longer knows it (past MinJobAge), and it left no result';
  switch (s.state) {
    case 'COMPLETED': return 'the job completed but left no result';
    case 'FAILED': return `the job failed with exit code ${s.exit}${s.signal ? ` (signal ${s.signal})` : ''}`;
    case 'TIMEOUT': return 'the job hit its time limit (executor.time)';
    case 'CANCELLED': return 'the job was cancelled';
    case 'OUT_OF_MEMORY': return 'the job ran out of memory (executor.mem)';
    case 'NODE_FAIL': return 'the job\'s node failed';
    case 'PREEMPTED': return 'the job was preempted';
    case 'BOOT_FAIL': return 'the job\'s node failed to boot';
    case 'DEADLINE': return 'the job missed its deadline';
    default: return `the job ended in state ${s.state}`;
  }
}

/** `gradus study --cancel DIR`: scancel this study's jobs that are still queued or running, and only those. */
export async function cancelStudyJobs(outDir: string): Promise<string[]> {
  const jobs = new StudyStore(outDir).jobs();
  const states = await queueStates();
  const live = jobs.filter((j) => ACTIVE.has(states.get(j.job.job_id) ?? ''));
  if (live.length) await run('scancel', live.map((j) => j.job.job_id));
  return live.map((j) => `${j.cell} (job ${j.job.job_id})`);
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((r) => {
  const done = () => { clearTimeout(t); signal.removeEventListener('abort', done); r(); };
  const t = setTimeout(done, ms);
  signal.addEventListener('abort', done, { once: true });
});

export function slurmExecutor(cfg: SlurmConfig): CellExecutor {
  return async ({ todo, store, configDir, cellArgv, progress, signal }, report) => {
    const active = new Map<string, { cell: Cell; attempt: number; started: number; job: JobRecord }>();
    const pending: Array<{ cell: Cell; attempt: number }> = [];
    const submit = async (cell: Cell, attempt: number) => {
      const dir = store.startCell(cell.id);
      const script = path.join(dir, `job-${attempt}.sh`);
      const log = path.join(dir, 'slurm-%j.out');
      writeFileAtomic(script, jobScript(cfg, { name: `gradus-${cell.id}`, log, chdir: configDir, argv: cellArgv(cell) }));
      const id = await sbatch(script);
      const job: JobRecord = { job_id: id, attempt, submitted: new Date().toISOString(), script, log: log.replace('%j', id) };
      store.writeJob(cell.id, job);
      active.set(id, { cell, attempt, started: Date.now(), job });
      progress.cellStarted(cell.id);
    };
    const settle = async (id: string) => {
      const a = active.get(id)!;
      active.delete(id);
      if (store.isDone(a.cell)) return report.done(a.cell, (Date.now() - a.started) / 1000);
      const st = await finalState(id);
      const why = describe(st);
      if (a.attempt < cfg.retries) {
        progress.say(`${a.cell.id}: ${why} (log: ${a.job.log}); retry ${a.attempt + 1} of ${cfg.retries}`);
        pending.unshift({ cell: a.cell, attempt: a.attempt + 1 });
      } else report.failed(a.cell, `${why} (job ${id})`, a.job.log);
    };
    // re-attach to jobs a previous run left queued or running; settle those that ended meanwhile
    const states0 = await queueStates();
    for (const cell of todo) {
      const job = store.readJob(cell.id);
      if (job && ACTIVE.has(states0.get(job.job_id) ?? '')) {
        active.set(job.job_id, { cell, attempt: job.attempt, started: Date.parse(job.submitted), job });
        progress.say(`${cell.id}: re-attached to job ${job.job_id} (${states0.get(job.job_id)})`);
        progress.cellStarted(cell.id);
      } else if (job && store.isDone(cell)) report.done(cell, 0);
      else pending.push({ cell, attempt: 0 });
    }
    while ((pending.length || active.size) && !signal.aborted) {
      while (pending.length && active.size < cfg.max_queued && !signal.aborted) {
        const p = pending.shift()!;
        await submit(p.cell, p.attempt);
      }
      await sleep(cfg.poll_s * 1000, signal);
      if (signal.aborted) break;
      const states = await queueStates();
      let queued = 0, running = 0;
      for (const [id] of [...active]) {
        const st = states.get(id);
        if (st === 'PENDING' || st === 'REQUEUED' || st === 'CONFIGURING') queued++;
        else if (st && ACTIVE.has(st)) running++;
        else await settle(id);
      }
      progress.jobs?.(queued, running);
    }
  };
}
