/**
 * Runs a user's program (trainer, evaluator, server) with argv only (no shell), output appended to a log,
 * a time limit, and the whole process group killed on timeout or abort, so no trainer outlives its cell.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  log: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface RunOutcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  seconds: number;
  /** spawn failed (program not found, not executable) */
  spawnError?: string;
}

const KILL_GRACE_MS = 3000;

export function killGroup(child: ChildProcess, sig: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {
      /* already gone */
    }
  }
}

/** Starts the program in its own process group (so it can be stopped with its children) and returns the child. */
export function startLogged(argv: string[], o: Omit<RunOptions, 'timeoutMs' | 'signal'>): ChildProcess {
  fs.mkdirSync(path.dirname(o.log), { recursive: true });
  const fd = fs.openSync(o.log, 'a');
  fs.writeSync(fd, `# ${new Date().toISOString()} ${JSON.stringify(argv)}\n`);
  try {
    return spawn(argv[0], argv.slice(1), { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', fd, fd], detached: true });
  } finally {
    fs.closeSync(fd);
  }
}

/** Stops a started program: TERM to its group, KILL after a grace period. Resolves once it has exited. */
export function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => killGroup(child, 'SIGKILL'), KILL_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(hard);
      // children the program left behind in its group go too
      killGroup(child, 'SIGKILL');
      resolve();
    });
    killGroup(child, 'SIGTERM');
  });
}

export function runLogged(argv: string[], o: RunOptions): Promise<RunOutcome> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let child: ChildProcess;
    try {
      child = startLogged(argv, o);
    } catch (e) {
      resolve({ code: null, signal: null, timedOut, aborted, seconds: 0, spawnError: (e as Error).message });
      return;
    }
    const timer = o.timeoutMs ? setTimeout(() => { timedOut = true; void stopGroup(child); }, o.timeoutMs) : undefined;
    const onAbort = () => { aborted = true; void stopGroup(child); };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    if (o.signal?.aborted) onAbort();
    let spawnError: string | undefined;
    child.once('error', (e) => { spawnError = e.message; });
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (spawnError) fs.appendFileSync(o.log, `# could not start: ${spawnError}\n`);
      else killGroup(child, 'SIGKILL');
      resolve({ code, signal, timedOut, aborted, seconds: (Date.now() - t0) / 1000, spawnError });
    });
  });
}

export function describeOutcome(r: RunOutcome, timeoutMs?: number): string {
  if (r.spawnError) return `could not start (${r.spawnError})`;
  if (r.timedOut) return `stopped after its time limit of ${Math.round((timeoutMs ?? 0) / 1000)} s`;
  if (r.aborted) return 'stopped because the study was interrupted';
  if (r.signal) return `killed by ${r.signal}`;
  return `exited with code ${r.code}`;
}
