/**
 * A repository file on disk, whole or not at all: bytes go to `<file>.part` (resumed with a range request when a
 * cut or a kill left one), and the file takes its real name only once its size and hash match the listing
 * (sha256 for LFS files, the git blob sha1 otherwise). A file already there with the right size and hash is not
 * fetched again. A body cut mid-way is retried (the client does not) with backoff, from where it stopped.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';
import { backoffMs, sleep } from './http.js';
import { fileStream, type HubContext, type RepoFile } from './repo.js';

export interface FileRecord {
  path: string;
  size: number;
  sha256: string;
}

export interface Fetched {
  record: FileRecord;
  /** bytes that came over the network for this file (0 when it was already here) */
  bytes: number;
}

const ATTEMPTS = 6;

interface Hashes {
  sha256: Hash;
  /** only for files outside LFS, whose listing gives the git blob id alone */
  sha1?: Hash;
}

function startHashes(file: RepoFile): Hashes {
  // a git blob's id is sha1("blob <size>\0" + content)
  return { sha256: createHash('sha256'), sha1: file.lfsSha256 || !file.oid ? undefined : createHash('sha1').update(`blob ${file.size}\0`) };
}

async function hashInto(h: Hashes, file: string): Promise<number> {
  let n = 0;
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) {
    h.sha256.update(chunk as Buffer);
    h.sha1?.update(chunk as Buffer);
    n += (chunk as Buffer).length;
  }
  return n;
}

/** Does the content match the listing? Returns its sha256 when it does. */
function verdict(file: RepoFile, h: Hashes): { ok: boolean; sha256: string } {
  const sha256 = h.sha256.digest('hex');
  return { ok: file.lfsSha256 ? sha256 === file.lfsSha256 : !h.sha1 || h.sha1.digest('hex') === file.oid, sha256 };
}

/** The file as it already is on disk, if whole and right. */
export async function haveFile(file: RepoFile, dest: string, expectSha256?: string): Promise<FileRecord | null> {
  const st = fs.statSync(dest, { throwIfNoEntry: false });
  if (!st || st.size !== file.size) return null;
  const h = startHashes(file);
  await hashInto(h, dest);
  const v = verdict(file, h);
  if (expectSha256 && v.sha256 !== expectSha256) return null;
  return v.ok ? { path: file.path, size: file.size, sha256: v.sha256 } : null;
}

export async function fetchFile(ctx: HubContext, repo: string, file: RepoFile, dest: string, onBytes: (n: number) => void): Promise<Fetched> {
  const had = await haveFile(file, dest);
  if (had) return { record: had, bytes: 0 };
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const part = `${dest}.part`;
  let bytes = 0;
  for (let attempt = 0; ; attempt++) {
    const h = startHashes(file);
    let have = fs.existsSync(part) ? await hashInto(h, part) : 0;
    if (have > file.size) {
      fs.rmSync(part);
      continue;
    }
    try {
      if (have < file.size) {
        const out = fs.createWriteStream(part, { flags: 'a' });
        try {
          for await (const chunk of await fileStream(ctx, repo, file, have)) {
            h.sha256.update(chunk);
            h.sha1?.update(chunk);
            have += chunk.length;
            bytes += chunk.length;
            onBytes(chunk.length);
            if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          }
        } finally {
          await new Promise<void>((r) => out.end(() => r()));
        }
      }
      const v = verdict(file, h);
      if (have === file.size && v.ok) {
        fs.renameSync(part, dest);
        return { record: { path: file.path, size: file.size, sha256: v.sha256 }, bytes };
      }
      // a whole-size file with the wrong hash was corrupt from the start: begin again from nothing
      fs.rmSync(part, { force: true });
      throw new Error(have === file.size ? `${file.path}: the content does not match the listing's hash` : `${file.path}: the body ended after ${have} of ${file.size} bytes`);
    } catch (e) {
      if (attempt + 1 >= ATTEMPTS) throw e;
      await sleep(backoffMs(attempt));
    }
  }
}
