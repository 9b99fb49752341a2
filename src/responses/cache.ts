/**
 * The matrix cache: a second read of unchanged inputs loads the matrix from one file instead of parsing the
 * tables again. The key is every input's absolute path, size and modification time plus the reading options, so
 * any change to a file or an option reads afresh. Only plain files are cached (an lm-eval folder's logs are many
 * files). Where: $GRADUS_CACHE_DIR, else $XDG_CACHE_HOME/gradus, else ~/.cache/gradus; off with
 * GRADUS_CACHE_DIR=off or the `cache: false` option (--no-cache).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import type { ResponseMatrix } from './matrix.js';

const VERSION = 1;

export function cacheDir(enabled: boolean | undefined): string | null {
  if (enabled === false) return null;
  const env = process.env.GRADUS_CACHE_DIR;
  if (env !== undefined) return env === '' || env.toLowerCase() === 'off' ? null : path.resolve(env);
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'gradus', 'matrices');
}

/** The cache file for these inputs and options, or null when an input is not a plain file. */
export function cacheFile(dir: string, inputs: string[], options: object): string | null {
  const files = [];
  for (const f of inputs) {
    const st = fs.statSync(f);
    if (!st.isFile()) return null;
    files.push([path.resolve(f), st.size, st.mtimeMs]);
  }
  const key = crypto.createHash('sha256').update(JSON.stringify({ v: VERSION, files, options })).digest('hex');
  return path.join(dir, `${key.slice(0, 40)}.matrix`);
}

/** Layout: 4-byte little-endian length of a JSON head ({models, items, extra}), the head, then the cells. */
export function loadCached<T>(file: string): { matrix: ResponseMatrix; extra: T } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  try {
    const n = buf.readUInt32LE(0);
    const head = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as { models: string[]; items: string[]; extra: T };
    const data = new Uint8Array(buf.buffer, buf.byteOffset + 4 + n, buf.length - 4 - n);
    if (data.length !== head.models.length * head.items.length) return null;
    return { matrix: { models: head.models, items: head.items, data }, extra: head.extra };
  } catch {
    return null;
  }
}

/** Best effort: a cache that cannot be written (read-only, full disk) only costs the next read its speed. */
export function storeCached(file: string, matrix: ResponseMatrix, extra: unknown): void {
  try {
    const head = Buffer.from(JSON.stringify({ models: matrix.models, items: matrix.items, extra }), 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length, 0);
    writeFileAtomic(file, Buffer.concat([len, head, matrix.data]));
  } catch {
    /* reading still succeeded */
  }
}
