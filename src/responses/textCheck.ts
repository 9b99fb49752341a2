/**
 * What a text input's bytes say before any table is read: is a `.gz` file really gzip and whole, is the text
 * UTF-8. DuckDB reads a truncated gzip file up to where it breaks without a word (rows silently lost) and calls a
 * UTF-16 file a sniffing failure, so these are checked here and told in words.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GradusError } from '../errors.js';

const GZIP_MAGIC = [0x1f, 0x8b];

function firstBytes(file: string, n: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, fs.readSync(fd, buf, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

export function gzipError(file: string, e: Error): GradusError {
  const broken = /unexpected end of file/i.test(e.message);
  return new GradusError(
    broken
      ? 'the gzip data ends early (unexpected end of file): the file is truncated or was cut off while being copied'
      : `the gzip data is damaged (${e.message})`,
    'Copy or download the file again, or compress the table again with gzip; nothing was read from it.',
    { file },
  );
}

/** The text of a file, unpacked when gzipped; errors of the unpacking reach whoever reads the stream (see asGzipError). */
export function openText(file: string, gzip: boolean): Readable {
  const raw = fs.createReadStream(file);
  if (!gzip) return raw;
  // A reader that stops early (the header is all it wants) aborts the gunzip stream, which then emits an AbortError
  // no one listens for; its real errors still reach the reader through the composed stream.
  const gunzip = zlib.createGunzip();
  gunzip.on('error', () => undefined);
  return raw.compose(gunzip);
}

/** zlib's errors (code Z_…) as the gradus message; anything else unchanged. */
export function asGzipError(file: string, e: unknown): unknown {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('Z_') ? gzipError(file, e as Error) : e;
}

/** Reads the whole gzip stream and drops it: the only way to know the file is whole (DuckDB stops quietly where it breaks). */
export async function verifyGzip(file: string): Promise<void> {
  try {
    await pipeline(fs.createReadStream(file), zlib.createGunzip(), new Writable({ write: (_c, _e, done) => done() }));
  } catch (e) {
    throw gzipError(file, e as Error);
  }
}

async function textStart(file: string, gzip: boolean, n: number): Promise<Buffer> {
  if (!gzip) return firstBytes(file, n);
  const chunks: Buffer[] = [];
  let have = 0;
  const stream = openText(file, gzip);
  try {
    for await (const c of stream) {
      chunks.push(c as Buffer);
      have += (c as Buffer).length;
      if (have >= n) break;
    }
  } catch (e) {
    // a stream broken further on is reported by verifyGzip; here only the start matters
    if (!chunks.length) throw asGzipError(file, e);
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, n);
}

/** A `.gz` name on a file that is not gzip-compressed (every format, Parquet included). */
export function checkGzipMagic(file: string): void {
  const head = firstBytes(file, 2);
  if (head[0] !== GZIP_MAGIC[0] || head[1] !== GZIP_MAGIC[1]) {
    throw new GradusError(
      'the file is named .gz but is not gzip-compressed',
      'Rename it without the .gz ending if it is a plain table, or compress it with gzip.',
      { file },
    );
  }
}

/** Text that is not UTF-8: UTF-16/32 by its byte-order mark or by NUL bytes, which UTF-8 text never holds. */
export async function checkEncoding(file: string, gzip: boolean): Promise<void> {
  const start = await textStart(file, gzip, 4096);
  const bom = start.subarray(0, 4);
  const utf16 = (bom[0] === 0xff && bom[1] === 0xfe) || (bom[0] === 0xfe && bom[1] === 0xff);
  const utf32 = (bom[0] === 0 && bom[1] === 0 && bom[2] === 0xfe && bom[3] === 0xff) || (bom[0] === 0xff && bom[1] === 0xfe && bom[2] === 0 && bom[3] === 0);
  if (utf16 || utf32 || start.indexOf(0) >= 0) {
    const which = utf32 ? 'UTF-32' : utf16 ? 'UTF-16' : 'UTF-16 or binary (it holds NUL bytes)';
    throw new GradusError(
      `the text is ${which}, not UTF-8`,
      `Save the table as UTF-8 (for example \`iconv -f ${utf32 ? 'UTF-32' : 'UTF-16'} -t UTF-8 FILE > FILE.utf8.csv\`, or "CSV UTF-8" in a spreadsheet) and read that.`,
      { file },
    );
  }
}
