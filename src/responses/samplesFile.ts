/**
 * The one reader of lm-evaluation-harness samples files (`samples_<task>_<timestamp>.jsonl`, `.json` as older runs
 * named them, optionally gzipped): one JSON object per line, each with its `doc_id`. Where a task logs several
 * filters (`strict-match`, `flexible-extract`) only one filter's lines come out: the one asked for, else the first
 * one seen. `gradus fit` on harness folders and `gradus collect` both read through it.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import readline from 'node:readline';
import { GradusError } from '../errors.js';

export interface SampleLine {
  /** 1-based line number in the file */
  line: number;
  sample: Record<string, unknown>;
}

export interface SampleReadOptions {
  filter?: string;
  /** what to do about a line that is not JSON, as the caller can say it */
  badLineHint?: string;
}

export async function* readSampleLines(file: string, o: SampleReadOptions = {}): AsyncGenerator<SampleLine> {
  const raw = fs.createReadStream(file);
  const input = file.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  const rl = readline.createInterface({ input, crlfDelay: Infinity });
  let filter = o.filter;
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let sample: Record<string, unknown>;
    try {
      sample = JSON.parse(text);
    } catch (e) {
      throw new GradusError(`this line is not valid JSON (${(e as Error).message})`, o.badLineHint ?? 'A samples file has one JSON object per line; re-run lm-eval or remove the line.', { file, line });
    }
    if (sample === null || typeof sample !== 'object' || Array.isArray(sample)) throw new GradusError('this line is not a JSON object', 'A samples file has one JSON object per sample, as lm-eval --log_samples writes it.', { file, line });
    if (sample.doc_id === undefined) throw new GradusError('this sample has no doc_id', 'Samples written by lm-eval --log_samples carry doc_id; check that this is a samples file.', { file, line });
    if (typeof sample.filter === 'string') {
      filter ??= sample.filter;
      if (sample.filter !== filter) continue;
    }
    yield { line, sample };
  }
}
