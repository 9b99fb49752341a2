/**
 * The pages of flat Parquet columns decoded straight into typed arrays, for the long and wide Parquet readers.
 * hyparquet reads the footer and page headers and unpacks the codecs; the values are ours to decode because a
 * general reader hands back one JS value per cell (75 million for a long leaderboard dump), and the GC work on
 * them dominates a read. Each column chunk becomes one Int32 code per row: a caller's `map` turns a page's
 * values into codes, and for a dictionary-encoded chunk it runs once over the dictionary, so that an id is
 * looked up once per distinct value and each row costs an array index.
 * Only what common writers (DuckDB, Arrow, Polars) put in flat columns is decoded here; `columnSupported` says
 * when a column needs a general reader instead.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { asyncBufferFromFile, parquetMetadataAsync, type AsyncBuffer, type ColumnChunk, type ColumnMetaData, type Compressors, type FileMetaData, type SchemaElement } from 'hyparquet';
import { decompressPage } from 'hyparquet/src/datapage.js';
import { parquetHeader } from 'hyparquet/src/column.js';
import { GradusError, option } from '../errors.js';
import { checkUniqueNames } from './headerCheck.js';
import { memoCoder, CODE_RIGHT, CODE_WRONG } from './cellCodes.js';

/**
 * hyparquet unpacks Snappy itself; gzip and Brotli come from node's zlib, zstd (polars' and many pyarrow writers'
 * default) from fzstd, as node 20's zlib has none; a file in any other codec goes to DuckDB
 */
export const COMPRESSORS: Compressors = {
  GZIP: (input) => zlib.gunzipSync(input),
  BROTLI: (input) => zlib.brotliDecompressSync(input),
  ZSTD: (input, outputLength) => zstdDecompress(input, new Uint8Array(outputLength)),
};
export const CODECS = new Set(['UNCOMPRESSED', 'SNAPPY', ...Object.keys(COMPRESSORS)]);

export interface ParquetTable {
  /** the file's path: pages are read with synchronous reads, footer and hyparquet's reads through `file` */
  path: string;
  file: AsyncBuffer;
  metadata: FileMetaData;
  /** the column names, when every column is a plain (not nested) one; null otherwise */
  names: string[] | null;
}

/** The file's footer, read once; a file hyparquet cannot read is left to DuckDB's reader and its messages. */
export async function openParquet(path: string): Promise<ParquetTable | null> {
  let table: ParquetTable;
  try {
    const file = await asyncBufferFromFile(path);
    const metadata = await parquetMetadataAsync(file);
    const leaves = metadata.schema.slice(1);
    const flat = metadata.schema[0].num_children === leaves.length && leaves.every((s) => !s.num_children);
    if (!metadata.row_groups.every((g) => g.columns.every((c) => CODECS.has(String(c.meta_data?.codec))))) return null;
    table = { path, file, metadata, names: flat ? leaves.map((s) => s.name) : null };
  } catch {
    return null;
  }
  if (table.names) checkUniqueNames(table.names, { file: path });
  return table;
}

/** A page this reader could not decode, said as DuckDB's reader says a table it could not read. */
export function unreadable(file: string, e: unknown): GradusError {
  const first = (e instanceof Error ? e.message : String(e)).split('\n')[0];
  return new GradusError(`could not be read (${first})`, `Check that the file is a well-formed table in the format its extension names, or pass ${option('format')}.`, { file });
}

/** A page's (or a dictionary's) values: the physical type decides the array. */
export type Values =
  | { kind: 'bool'; data: Uint8Array }
  | { kind: 'number'; data: Int32Array | Float32Array | Float64Array }
  | { kind: 'bigint'; data: BigInt64Array }
  | { kind: 'string'; data: string[] };

/** Turns values into one code each (an id's index, an answer's code). */
export type Mapper = (values: Values) => Int32Array;

const TYPES = new Set(['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY']);
/** annotations that leave a value as its physical type reads it (signed integers, text) */
const PLAIN_ANNOTATIONS = new Set([undefined, 'UTF8', 'ENUM', 'INT_8', 'INT_16', 'INT_32', 'INT_64']);
const PLAIN_LOGICAL = new Set([undefined, 'STRING', 'ENUM']);
const ENCODINGS = new Set(['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'RLE', 'BIT_PACKED']);

/** Can column `c` (0-based, of a flat schema) be decoded here in every row group? */
export function columnSupported(md: FileMetaData, c: number): boolean {
  const el = md.schema[1 + c];
  if (!el || el.num_children || !TYPES.has(String(el.type)) || el.repetition_type === 'REPEATED') return false;
  if (!PLAIN_ANNOTATIONS.has(el.converted_type)) return false;
  const logical = el.logical_type;
  if (logical && !PLAIN_LOGICAL.has(logical.type) && !(logical.type === 'INTEGER' && logical.isSigned)) return false;
  if (el.type === 'BYTE_ARRAY' && el.converted_type === undefined && logical === undefined) return false; // a BLOB
  return md.row_groups.every((g) => chunkSupported(g.columns[c]));
}

function chunkSupported(chunk: ColumnChunk | undefined): boolean {
  const m = chunk?.meta_data;
  if (!m || chunk.crypto_metadata || chunk.encrypted_column_metadata || chunk.file_path) return false;
  return CODECS.has(m.codec) && m.encodings.every((e) => ENCODINGS.has(e));
}

/** Where a chunk's pages lie in the file: [start, end). */
export function chunkRange(m: ColumnMetaData): [number, number] {
  const start = Number(m.dictionary_page_offset || m.data_page_offset);
  return [start, start + Number(m.total_compressed_size)];
}

/** scratch for a page's definition levels and dictionary indices, grown as pages need (decodeChunk is synchronous) */
let defs = new Int32Array(0);
let indices = new Int32Array(0);

/**
 * Decode one column chunk (`bytes` are exactly its pages) into `out[at + row]`, one code per row: `map`'s code
 * for a value, `nullCode` for a null, `badCode` for a dictionary index past the dictionary's end.
 */
export function decodeChunk(bytes: Uint8Array, m: ColumnMetaData, el: SchemaElement, map: Mapper, nullCode: number, out: Int32Array, at: number, badCode = nullCode): void {
  const rows = Number(m.num_values);
  const optional = el.repetition_type === 'OPTIONAL';
  let dict: Int32Array | null = null;
  const reader = { view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset: 0 };
  let done = 0;
  while (done < rows) {
    const h = parquetHeader(reader);
    const start = reader.offset;
    const size = h.compressed_page_size;
    reader.offset += size;
    const raw = bytes.subarray(start, start + size);
    if (h.type === 'DICTIONARY_PAGE') {
      const page = decompressPage(raw, h.uncompressed_page_size, m.codec, COMPRESSORS);
      dict = map(plainValues(page, 0, page.length, el, h.dictionary_page_header!.num_values));
      continue;
    }
    if (h.type !== 'DATA_PAGE' && h.type !== 'DATA_PAGE_V2') continue; // index pages carry no values
    const v2 = h.data_page_header_v2;
    const n = v2 ? v2.num_values : h.data_page_header!.num_values;
    const encoding = v2 ? v2.encoding : h.data_page_header!.encoding;
    let page: Uint8Array;
    let pos = 0;
    if (defs.length < n) defs = new Int32Array(n);
    let nulls = 0;
    if (v2) {
      const levels = v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
      if (optional) nulls = levelsNulls(raw, v2.repetition_levels_byte_length, levels, n, defs);
      const body = raw.subarray(levels);
      page = v2.is_compressed ? decompressPage(body, h.uncompressed_page_size - levels, m.codec, COMPRESSORS) : body;
    } else {
      page = decompressPage(raw, h.uncompressed_page_size, m.codec, COMPRESSORS);
      if (optional) {
        const len = readU32(page, 0);
        nulls = levelsNulls(page, 4, 4 + len, n, defs);
        pos = 4 + len;
      }
    }
    const present = n - nulls;
    if (encoding === 'PLAIN_DICTIONARY' || encoding === 'RLE_DICTIONARY') {
      if (!dict) throw new Error('a dictionary-encoded page without a dictionary');
      dict = padded(dict, page[pos], badCode);
      if (!nulls) unpackHybrid(page, pos + 1, page.length, page[pos], out, at + done, n, dict);
      else {
        if (indices.length < present) indices = new Int32Array(present);
        unpackHybrid(page, pos + 1, page.length, page[pos], indices, 0, present, null);
        spread(dict, indices, defs, n, nullCode, out, at + done);
      }
    } else if (encoding === 'PLAIN' || (encoding === 'RLE' && el.type === 'BOOLEAN')) {
      const values = encoding === 'RLE' ? rleBooleans(page, pos, present) : plainValues(page, pos, page.length, el, present);
      spreadPlain(map(values), nulls ? defs : null, n, nullCode, out, at + done);
    } else {
      throw new Error(`parquet encoding ${encoding} is not decoded here`);
    }
    done += n;
  }
}

/**
 * The dictionary's codes, with `badCode` for every index its bit width can write past its end, so that a damaged
 * page reads as bad cells (or null ids), not as the first entry, without a bounds check per row.
 */
function padded(dict: Int32Array, width: number, badCode: number): Int32Array {
  if (width > 20 || dict.length >= 2 ** width) return dict;
  const out = new Int32Array(2 ** width).fill(badCode);
  out.set(dict);
  return out;
}

/** Definition levels of a flat optional column (bit width 1) into defs; returns how many are null. */
function levelsNulls(b: Uint8Array, from: number, to: number, n: number, defs: Int32Array): number {
  // the common case, no nulls, is often one run of 1s: nothing to unpack
  let header = 0;
  let pos = from;
  for (let scale = 1; ; scale *= 128) {
    const byte = b[pos++];
    header += (byte & 0x7f) * scale;
    if (!(byte & 0x80)) break;
  }
  if (header % 2 === 0 && header / 2 >= n && b[pos] === 1) return 0;
  unpackHybrid(b, from, to, 1, defs, 0, n, null);
  let present = 0;
  for (let k = 0; k < n; k++) present += defs[k];
  return n - present;
}

function spread(dict: Int32Array, indices: Int32Array, defs: Int32Array, n: number, nullCode: number, out: Int32Array, at: number): void {
  let j = 0;
  for (let k = 0; k < n; k++) out[at + k] = defs[k] ? dict[indices[j++]] : nullCode;
}

function spreadPlain(codes: Int32Array, defs: Int32Array | null, n: number, nullCode: number, out: Int32Array, at: number): void {
  let j = 0;
  for (let k = 0; k < n; k++) out[at + k] = !defs || defs[k] ? codes[j++] : nullCode;
}

function readU32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16)) + b[at + 3] * 0x1000000;
}

/** `count` PLAIN values of the column's physical type from b[pos, end). */
function plainValues(b: Uint8Array, pos: number, end: number, el: SchemaElement, count: number): Values {
  const bytes = b.subarray(pos, end);
  switch (el.type) {
    case 'BOOLEAN': {
      const data = new Uint8Array(count);
      for (let k = 0; k < count; k++) data[k] = (bytes[k >> 3] >> (k & 7)) & 1;
      return { kind: 'bool', data };
    }
    case 'INT32':
      return { kind: 'number', data: new Int32Array(aligned(bytes, count * 4), 0, count) };
    case 'FLOAT':
      return { kind: 'number', data: new Float32Array(aligned(bytes, count * 4), 0, count) };
    case 'DOUBLE':
      return { kind: 'number', data: new Float64Array(aligned(bytes, count * 8), 0, count) };
    case 'INT64':
      return { kind: 'bigint', data: new BigInt64Array(aligned(bytes, count * 8), 0, count) };
    default:
      return { kind: 'string', data: plainStrings(bytes, count) };
  }
}

/** The first `size` bytes in a buffer of their own, so a typed array over them starts aligned. */
function aligned(bytes: Uint8Array, size: number): ArrayBuffer {
  if (bytes.length < size) throw new Error('a parquet page ends before its values');
  const copy = new Uint8Array(size); // not bytes.slice: on a Node Buffer (zlib's output) it shares the pool's memory
  copy.set(bytes.subarray(0, size));
  return copy.buffer;
}

const utf8 = new TextDecoder();

function plainStrings(b: Uint8Array, count: number): string[] {
  const out = new Array<string>(count);
  let pos = 0;
  for (let k = 0; k < count; k++) {
    const len = readU32(b, pos);
    pos += 4;
    if (pos + len > b.length) throw new Error('a parquet page ends before its strings');
    let ascii = len < 64;
    for (let i = pos; ascii && i < pos + len; i++) ascii = b[i] < 0x80;
    out[k] = ascii ? String.fromCharCode.apply(null, b.subarray(pos, pos + len) as unknown as number[]) : utf8.decode(b.subarray(pos, pos + len));
    pos += len;
  }
  return out;
}

/** RLE-encoded booleans (a data page v2 writer's choice): a 4-byte length, then the hybrid at width 1. */
function rleBooleans(b: Uint8Array, pos: number, count: number): Values {
  const bits = new Int32Array(count);
  unpackHybrid(b, pos + 4, pos + 4 + readU32(b, pos), 1, bits, 0, count, null);
  return { kind: 'bool', data: Uint8Array.from(bits) };
}

/**
 * The RLE / bit-packed hybrid (definition levels, dictionary indices): `count` values of `width` bits from
 * b[pos, end) into out[at...], each through `dict` when given (a dictionary's codes). Up to width 25 a value is
 * cut from the 16 or 32 bits around it, without a per-bit loop; wider ones go through doubles.
 */
export function unpackHybrid(b: Uint8Array, pos: number, end: number, width: number, out: Int32Array, at: number, count: number, dict: Int32Array | null): void {
  let n = 0;
  const byteWidth = (width + 7) >> 3;
  const mask = width <= 25 ? (1 << width) - 1 : 0;
  while (n < count) {
    if (pos >= end) throw new Error('a parquet page ends before its levels or indices');
    let header = 0;
    let scale = 1;
    for (;;) {
      const byte = b[pos++];
      header += (byte & 0x7f) * scale;
      scale *= 128;
      if (!(byte & 0x80)) break;
    }
    if (header % 2 === 0) {
      const run = Math.min(header / 2, count - n);
      let v = 0;
      for (let i = 0; i < byteWidth; i++) v += b[pos + i] * 2 ** (8 * i);
      pos += byteWidth;
      out.fill(dict ? dict[v] : v, at + n, at + n + run);
      n += run;
      continue;
    }
    const groups = (header - 1) / 2;
    const take = Math.min(groups * 8, count - n);
    const o = at + n;
    if (width === 0) out.fill(dict ? dict[0] : 0, o, o + take);
    else if (width === 1) {
      // levels, and the answers of a 0/1 column: one byte load per value, the two codes read once
      const d0 = dict ? dict[0] : 0;
      const d1 = dict ? dict[1] : 1;
      for (let k = 0; k < take; k++) out[o + k] = (b[pos + (k >>> 3)] >>> (k & 7)) & 1 ? d1 : d0;
    } else if (width <= 8) {
      for (let k = 0, bit = 0; k < take; k++, bit += width) {
        const p = pos + (bit >>> 3);
        const v = ((b[p] | (b[p + 1] << 8)) >>> (bit & 7)) & mask;
        out[o + k] = dict ? dict[v] : v;
      }
    } else if (width <= 25) {
      for (let k = 0, bit = 0; k < take; k++, bit += width) {
        const p = pos + (bit >>> 3);
        const v = ((b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> (bit & 7)) & mask;
        out[o + k] = dict ? dict[v] : v;
      }
    } else {
      for (let k = 0, bit = 0; k < take; k++, bit += width) {
        let v = 0;
        for (let i = Math.floor(bit / 8), got = -(bit % 8); got < width; i++, got += 8) v += (b[pos + i] ?? 0) * 2 ** Math.max(got, 0) / (got < 0 ? 2 ** -got : 1);
        v = Math.floor(v) % 2 ** width;
        out[o + k] = dict ? dict[v] : v;
      }
    }
    n += take;
    pos += groups * width;
  }
}

/** bytes read from the file at once: whole row groups of a long table, a wide table's columns in slices */
const SPAN = 64 << 20;

/**
 * The pages of chunks `chunks` from the open file `fd`, in the order given, read in file order in spans of up to
 * SPAN bytes. Synchronous reads: an await per row group left the thread idle, and a long table has hundreds of them.
 */
export function readChunks(fd: number, chunks: ColumnMetaData[]): Uint8Array[] {
  const ranges = chunks.map(chunkRange);
  const order = ranges.map((_, k) => k).sort((x, y) => ranges[x][0] - ranges[y][0]);
  const out: Uint8Array[] = new Array(chunks.length);
  let k = 0;
  while (k < order.length) {
    const [start] = ranges[order[k]];
    let end = ranges[order[k]][1];
    let j = k + 1;
    while (j < order.length) {
      const [s, e] = ranges[order[j]];
      if (s < end || Math.max(e, end) - start > SPAN) break;
      end = Math.max(e, end);
      j++;
    }
    const span = new Uint8Array(end - start);
    if (fs.readSync(fd, span, 0, span.length, start) !== span.length) throw new Error('the parquet file ends before a column chunk');
    for (; k < j; k++) {
      const [s, e] = ranges[order[k]];
      out[order[k]] = span.subarray(s - start, e - start);
    }
  }
  return out;
}

/** Answer codes (cellCodes.ts) of a page's values: 0/1 and booleans directly, anything else by codeAnswer's rules. */
export function answerMapper(threshold: number): Mapper {
  const code = memoCoder(threshold);
  return (values) => {
    const n = values.data.length;
    const out = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const v = values.data[k];
      out[k] = v === 0 || v === 0n ? CODE_WRONG : v === 1 || v === 1n ? CODE_RIGHT : code(typeof v === 'bigint' ? Number(v) : v);
    }
    return out;
  };
}
