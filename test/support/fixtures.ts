import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MISSING, type ResponseMatrix } from '../../src/responses/matrix.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SHARED = path.resolve(ROOT, '../shared/data');
export const hasShared = fs.existsSync(SHARED);
/** Test data kept in the repository (test/fixtures), for tests that must run on a plain clone. */
export const FIXTURES = path.join(ROOT, 'test/fixtures');

// each test file reads with a matrix cache of its own, never the user's ~/.cache/gradus, so no test sees another's
// cached reads; the CLI children it starts inherit it
process.env.GRADUS_CACHE_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-test-cache-'));

export function tmpDir(prefix = 'gradus-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function write(dir: string, name: string, text: string | Buffer): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, name.endsWith('.gz') ? zlib.gzipSync(text) : text);
  return file;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): CliResult {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/gradus.js'), ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ...opts.env },
    encoding: 'utf8',
    timeout: opts.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function sha(file: string): string {
  return fs.readFileSync(file).toString('base64');
}

/** Like cli(), but leaves the event loop free (for servers the test itself runs) and can be killed midway. */
export function cliAsync(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; onSpawn?: (child: import('node:child_process').ChildProcess) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/gradus.js'), ...args], { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
    opts.onSpawn?.(child);
  });
}

/** A matrix as "model|item" → 0, 1 or null (missing): the cells a test compares, whatever the ids' order. */
export function cellsOf(r: { matrix: ResponseMatrix }): Record<string, number | null> {
  const { models, items, data } = r.matrix;
  const out: Record<string, number | null> = {};
  models.forEach((m, a) => items.forEach((i, b) => {
    const v = data[a * items.length + b];
    out[`${m}|${i}`] = v === MISSING ? null : v;
  }));
  return out;
}
