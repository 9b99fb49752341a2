import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option } from '../errors.js';

export type FileFormat = 'csv' | 'tsv' | 'jsonl' | 'parquet';
export const FORMATS: readonly FileFormat[] = ['csv', 'tsv', 'jsonl', 'parquet'];

export interface FormatGuess {
  format: FileFormat;
  gzip: boolean;
}

/** The format of a file from its extension (`.csv`, `.tsv`, `.jsonl`/`.ndjson`/`.json`, `.parquet`, each optionally `.gz`). */
export function detectFormat(file: string, forced?: FileFormat): FormatGuess {
  const lower = file.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const stem = gzip ? lower.slice(0, -3) : lower;
  if (forced) {
    if (!FORMATS.includes(forced)) {
      throw new GradusError(`unknown format "${forced}"`, `Use one of: ${FORMATS.join(', ')}.`);
    }
    return { format: forced, gzip };
  }
  const ext = path.extname(stem);
  const byExt: Record<string, FileFormat> = {
    '.csv': 'csv',
    '.tsv': 'tsv',
    '.tab': 'tsv',
    '.jsonl': 'jsonl',
    '.ndjson': 'jsonl',
    '.json': 'jsonl',
    '.parquet': 'parquet',
    '.pq': 'parquet',
  };
  const format = byExt[ext];
  if (!format) {
    throw new GradusError(
      `unknown format: the extension "${ext || '(none)'}" is not one gradus reads`,
      `Name the file .csv, .tsv, .jsonl or .parquet (optionally .gz), or pass ${option('format')} csv|tsv|jsonl|parquet.`,
      { file },
    );
  }
  return { format, gzip };
}

export function assertReadableFile(file: string): fs.Stats {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    throw new GradusError('no such file or folder', 'Check the path.', { file });
  }
  if (st.isFile() && st.size === 0) {
    throw new GradusError('the file is empty', 'Give a file with a header line and at least one response.', { file });
  }
  return st;
}
