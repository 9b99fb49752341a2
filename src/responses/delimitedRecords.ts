/**
 * CSV/TSV records as byte ranges of a Buffer, streamed: RFC 4180 quotes (a doubled quote inside a quoted field),
 * LF or CRLF line ends, a UTF-8 byte-order mark, gzip. A record hands over where each field starts and ends, not
 * strings, so that a reader of a 21,000-column table looks at one or two bytes per cell and builds a string only
 * for the rare cell that needs one (DuckDB's CSV reader spent minutes planning a query over that many columns).
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { pipeline, type Readable } from 'node:stream';
import { GradusError } from '../errors.js';
import { asGzipError } from './textCheck.js';

const LF = 10;
const CR = 13;
const QUOTE = 34;
/** bytes per read: a row of a 50,000-item table is ~100 kB, so most reads end several rows later */
const CHUNK = 1 << 22;

/** One record; reused from record to record, so a visitor copies what it keeps. */
export interface RecordView {
  buf: Buffer;
  /** byte range [start, end) of field k, quotes excluded */
  starts: Int32Array;
  ends: Int32Array;
  /** 0 unquoted, 1 quoted, 2 quoted with a doubled quote inside (to be undoubled) */
  quoted: Uint8Array;
  /** number of fields */
  n: number;
  /** 1-based line the record starts on */
  line: number;
}

/** The text of field k. */
export function fieldText(r: RecordView, k: number): string {
  const s = r.buf.toString('utf8', r.starts[k], r.ends[k]);
  return r.quoted[k] === 2 ? s.replace(/""/g, '"') : s;
}

function openBytes(file: string, gzip: boolean): Readable {
  const raw = fs.createReadStream(file, { highWaterMark: CHUNK });
  if (!gzip) return raw;
  // pipeline, not compose: a gzip stream cut short fails only at its end, and compose let that error go unseen
  // (the read then never finished); pipeline destroys both streams with it, and the reader's loop throws it
  return pipeline(raw, zlib.createGunzip({ chunkSize: CHUNK }), () => undefined);
}

/**
 * Calls `visit` for every record of the file (header included, blank lines skipped), in order, until it returns
 * true. `firstOnly`: only field 0 is wanted, and a record whose rest holds no quote is skipped to its line end
 * (n is then -1: not counted). A line that does not parse (an unclosed quote, text after a closing quote, a quote inside an unquoted field)
 * is a GradusError with its line.
 */
export async function eachRecord(file: string, gzip: boolean, delimiter: string, visit: (r: RecordView) => boolean | void, firstOnly = false): Promise<void> {
  const parser = new RecordParser(file, delimiter.charCodeAt(0), kindOf(delimiter), visit, firstOnly);
  const stream = openBytes(file, gzip);
  // one work buffer for the whole file: the unfinished record moves to its start and the next read lands after it
  // (a fresh Buffer.concat per read cost more than the parse, most of it in page faults)
  let work = Buffer.allocUnsafe(2 * CHUNK);
  let have = 0;
  let first = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (have + chunk.length > work.length) {
        const bigger = Buffer.allocUnsafe(2 * (have + chunk.length));
        work.copy(bigger, 0, 0, have);
        work = bigger;
      }
      chunk.copy(work, have);
      have += chunk.length;
      if (first) {
        if (have < 3) continue;
        first = false;
        have = dropBom(work, have);
      }
      const used = parser.parse(work.subarray(0, have), false);
      if (parser.stopped) return;
      work.copyWithin(0, used, have);
      have -= used;
    }
    if (first) have = dropBom(work, have);
    if (have > 0) parser.parse(work.subarray(0, have), true);
  } catch (e) {
    throw asGzipError(file, e);
  } finally {
    stream.destroy();
  }
}

/** What reading a byte range left: its line breaks, and where a record still open at its end starts (-1: none). */
export interface RangeEnd {
  lines: number;
  unfinished: number;
}

/**
 * Calls `visit` for every record of bytes [start, end) of a plain file (not gzipped), read synchronously: one
 * worker's share of a file cut at line ends. `start` is 0 (a byte-order mark is skipped) or just past a line end;
 * lines count from 1 there. A record still open at `end`, before the file's end, is not visited: a quoted field
 * holds a line break where the file was cut, and the caller must read that part again from a record start.
 */
export function eachRecordInRange(file: string, delimiter: string, start: number, end: number, visit: (r: RecordView) => boolean | void): RangeEnd {
  const parser = new RecordParser(file, delimiter.charCodeAt(0), kindOf(delimiter), visit, false);
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    let work = Buffer.allocUnsafe(2 * CHUNK);
    let pos = start;
    if (pos === 0 && fs.readSync(fd, work, 0, 3, 0) === 3 && dropBom(work, 3) === 0) pos = 3;
    let have = 0;
    while (pos < end) {
      if (have + CHUNK > work.length) {
        const bigger = Buffer.allocUnsafe(2 * (have + CHUNK));
        work.copy(bigger, 0, 0, have);
        work = bigger;
      }
      const got = fs.readSync(fd, work, have, Math.min(CHUNK, end - pos), pos);
      if (got === 0) break;
      pos += got;
      have += got;
      const used = parser.parse(work.subarray(0, have), pos >= size);
      if (parser.stopped) break;
      work.copyWithin(0, used, have);
      have -= used;
    }
    return { lines: parser.lines(), unfinished: have > 0 && !parser.stopped ? pos - have : -1 };
  } finally {
    fs.closeSync(fd);
  }
}

function kindOf(delimiter: string): string {
  return delimiter === '\t' ? 'TSV' : 'CSV';
}

/** A record whose field count is not the header's. */
export function widthError(file: string, delimiter: string, n: number, width: number, line: number): GradusError {
  return new GradusError(
    `this line does not parse as ${kindOf(delimiter)} (it has ${n} fields, the header ${width})`,
    'Every line must have as many fields as the header, with quotes closed. Fix or remove the line.',
    { file, line },
  );
}

/** A UTF-8 byte-order mark at the start of the first `have` bytes, removed; returns the bytes left. */
function dropBom(work: Buffer, have: number): number {
  if (have < 3 || work[0] !== 0xef || work[1] !== 0xbb || work[2] !== 0xbf) return have;
  work.copyWithin(0, 3, have);
  return have - 3;
}

class RecordParser {
  private readonly rec: RecordView = { buf: Buffer.alloc(0), starts: new Int32Array(1024), ends: new Int32Array(1024), quoted: new Uint8Array(1024), n: 0, line: 1 };
  private line = 1;
  stopped = false;

  /** line breaks inside the records parsed so far */
  lines(): number {
    return this.line - 1;
  }

  constructor(
    private readonly file: string,
    private readonly delim: number,
    private readonly kind: string,
    private readonly visit: (r: RecordView) => boolean | void,
    private readonly firstOnly: boolean,
  ) {}

  /** where the next quote of the current buffer is (-1: none); found once per buffer, not once per record */
  private quoteAt = -1;

  /** After field 0: the position past this record's line end, -1 when a quote comes first, -2 when the buffer ends first. */
  private restOfLine(buf: Buffer, pos: number, final: boolean): number {
    const lf = buf.indexOf(LF, pos);
    if (this.quoteAt >= 0 && this.quoteAt < pos) this.quoteAt = buf.indexOf(QUOTE, pos);
    if (this.quoteAt >= 0 && (lf < 0 || this.quoteAt < lf)) return -1;
    if (lf < 0) return final ? buf.length : -2;
    return lf + 1;
  }

  private bad(line: number, reason: string): GradusError {
    return new GradusError(
      `this line does not parse as ${this.kind} (${reason})`,
      'Every line must have as many fields as the header, with quotes closed. Fix or remove the line.',
      { file: this.file, line },
    );
  }

  private grow(): void {
    const r = this.rec;
    const size = r.starts.length * 2;
    const s = new Int32Array(size);
    s.set(r.starts);
    const e = new Int32Array(size);
    e.set(r.ends);
    const q = new Uint8Array(size);
    q.set(r.quoted);
    r.starts = s;
    r.ends = e;
    r.quoted = q;
  }

  /** Parses the whole records in buf; returns where the first unfinished one starts (buf.length when none is). */
  parse(buf: Buffer, final: boolean): number {
    const len = buf.length;
    const delim = this.delim;
    const r = this.rec;
    r.buf = buf;
    let pos = 0;
    this.quoteAt = buf.indexOf(QUOTE);
    while (pos < len) {
      const recStart = pos;
      let lines = 0;
      let n = 0;
      for (;;) {
        if (this.firstOnly && n === 1) {
          // field 0 ended at a separator: the rest of the line matters only if it holds a quote
          const end = this.restOfLine(buf, pos, final);
          if (end === -2) return recStart;
          if (end >= 0) {
            lines += buf[end - 1] === LF ? 1 : 0;
            pos = end;
            n = -1;
            break;
          }
        }
        if (n === r.starts.length) this.grow();
        if (pos < len && buf[pos] === QUOTE) {
          let p = pos + 1;
          let doubled = 0;
          let q: number;
          for (;;) {
            q = buf.indexOf(QUOTE, p);
            if (q < 0 || (q + 1 >= len && !final)) {
              if (!final) return recStart;
              throw this.bad(this.line + lines, 'a quoted field is never closed');
            }
            if (q + 1 < len && buf[q + 1] === QUOTE) {
              doubled = 1;
              p = q + 2;
              continue;
            }
            break;
          }
          for (let k = buf.indexOf(LF, pos); k >= 0 && k < q; k = buf.indexOf(LF, k + 1)) lines++;
          r.starts[n] = pos + 1;
          r.ends[n] = q;
          r.quoted[n++] = 1 + doubled;
          pos = q + 1;
          const c = pos < len ? buf[pos] : -1;
          if (c === delim) {
            pos++;
            continue;
          }
          if (c === CR && pos + 1 >= len && !final) return recStart;
          // CRLF, or a CR that ends the file, ends the line as it does after an unquoted field
          const crEnd = c === CR && (pos + 1 >= len || buf[pos + 1] === LF);
          if (c === LF || c === -1 || crEnd) {
            pos += c === -1 ? 0 : c === LF ? 1 : pos + 1 >= len ? 1 : 2;
            lines += c === -1 ? 0 : 1;
            break;
          }
          const next = [...buf.toString('utf8', pos, Math.min(len, pos + 4))][0];
          throw this.bad(this.line + lines, `a closing quote is followed by ${JSON.stringify(next)}, not by a separator or the line's end`);
        }
        let p = pos;
        while (p < len) {
          const c = buf[p];
          if (c === delim || c === LF || c === QUOTE) break;
          p++;
        }
        if (p === len && !final) return recStart;
        if (p < len && buf[p] === QUOTE) throw this.bad(this.line + lines, `a quote inside the unquoted field ${JSON.stringify(buf.toString('utf8', pos, Math.min(p + 1, pos + 40)))}; quote the whole field and double the quotes inside it`);
        r.quoted[n] = 0;
        r.starts[n] = pos;
        r.ends[n++] = p > pos && buf[p - 1] === CR && (p === len || buf[p] === LF) ? p - 1 : p;
        if (p < len && buf[p] === delim) {
          pos = p + 1;
          continue;
        }
        pos = p === len ? p : p + 1;
        if (p < len) lines++;
        break;
      }
      r.n = n;
      r.line = this.line;
      this.line += lines;
      const blank = n === 1 && r.ends[0] === r.starts[0] && r.quoted[0] === 0;
      if (!blank && this.visit(r)) {
        this.stopped = true;
        return len;
      }
    }
    return len;
  }
}
