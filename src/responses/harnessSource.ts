/**
 * lm-evaluation-harness output folders: `results_<timestamp>.json` names the model, and each
 * `samples_<task>_<timestamp>.jsonl` holds one line per sample with its `doc_id` and per-sample metrics
 * (`acc`, `acc_norm`, `exact_match`, ...). An item is `<task>/<doc_id>`. A folder of such folders is many models.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option, type Place } from '../errors.js';
import { ANSWER_HINT, describeBad, parseAnswer } from './answer.js';
import { readSampleLines } from './samplesFile.js';
import type { MatrixBuilder } from './builder.js';
import type { ResponseSource, SourceStats } from './source.js';

export interface HarnessOptions {
  /** the per-sample metric; by default the first of DEFAULT_METRICS a task's samples carry */
  metric?: string;
  /** which filter to keep when a task logs several (e.g. strict-match, flexible-extract); by default the first seen */
  filter?: string;
}

export const DEFAULT_METRICS = ['acc', 'exact_match', 'acc_norm', 'pass@1', 'em', 'f1', 'bleu', 'score'];

interface Run {
  model: string;
  dir: string;
  samples: string[];
}

const SAMPLES = /^samples_(.+)_(\d{4}-\d{2}-\d{2}T[\d\-.:]+)\.jsonl?(\.gz)?$/;
const RESULTS = /^results_(.+)\.json$/;

/** Every folder under `root` that holds a results_*.json, with its samples files, one Run per results file. */
export function findHarnessRuns(root: string): Run[] {
  const runs: Run[] = [];
  const walk = (dir: string, depth: number) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const results = entries.filter((e) => e.isFile() && RESULTS.test(e.name));
    const samples = entries.filter((e) => e.isFile() && SAMPLES.test(e.name));
    for (const r of results) {
      const stamp = RESULTS.exec(r.name)![1];
      // Several runs in one folder are told apart by their timestamps; with one run, every samples file is its own.
      const mine = samples.filter((s) => results.length === 1 || SAMPLES.exec(s.name)![2] === stamp);
      if (!mine.length) continue;
      runs.push({ model: modelName(path.join(dir, r.name), dir), dir, samples: mine.map((s) => path.join(dir, s.name)) });
    }
    if (depth < 4) for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) walk(path.join(dir, e.name), depth + 1);
  };
  walk(root, 0);
  return runs;
}

function modelName(resultsFile: string, dir: string): string {
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  } catch (e) {
    throw new GradusError(`the results file is not valid JSON (${(e as Error).message})`, 'lm-evaluation-harness writes results_<timestamp>.json as one JSON object; re-run the evaluation or remove the file.', { file: resultsFile });
  }
  const cfg = (json.config ?? {}) as Record<string, unknown>;
  if (typeof json.model_name === 'string' && json.model_name) return json.model_name;
  const args = typeof cfg.model_args === 'string' ? cfg.model_args : '';
  const m = /(?:^|,)\s*(?:pretrained|model|path)=([^,]+)/.exec(args);
  if (m) return m[1];
  if (typeof cfg.model_name === 'string' && cfg.model_name) return cfg.model_name;
  return path.basename(dir);
}

export function taskOf(samplesFile: string): string {
  return SAMPLES.exec(path.basename(samplesFile))![1];
}

interface Answered {
  item: string;
  v: number;
  place: Place;
}

export class HarnessSource implements ResponseSource {
  readonly label: string;
  readonly notes: string[] = [];
  private answers: Array<{ model: string; rows: Answered[] }> = [];

  constructor(readonly root: string, private readonly options: HarnessOptions = {}) {
    this.label = root;
  }

  private stats: SourceStats = { rows: 0, missing: 0, fractional: 0 };

  async ids(): Promise<{ models: string[]; items: string[] }> {
    const runs = findHarnessRuns(this.root);
    if (!runs.length) {
      throw new GradusError(
        'the folder holds no lm-evaluation-harness logs (no results_*.json beside samples_<task>_<timestamp>.jsonl)',
        'Run lm-eval with --log_samples --output_path DIR and give DIR, or give response tables (.csv, .tsv, .jsonl, .parquet) instead.',
        { file: this.root },
      );
    }
    const stats = this.stats;
    const items = new Set<string>();
    const metricsUsed = new Map<string, string>();
    for (const run of runs) {
      const rows: Answered[] = [];
      for (const file of run.samples) {
        const task = taskOf(file);
        await this.readSamples(file, task, rows, stats, metricsUsed);
      }
      for (const r of rows) items.add(r.item);
      this.answers.push({ model: run.model, rows });
    }
    for (const [task, metric] of metricsUsed) this.notes.push(`${task}: metric ${metric}`);
    return { models: [...new Set(this.answers.map((a) => a.model))], items: [...items] };
  }

  private async readSamples(file: string, task: string, rows: Answered[], stats: SourceStats, metricsUsed: Map<string, string>) {
    let metric = this.options.metric;
    for await (const { line, sample: s } of readSampleLines(file, { filter: this.options.filter })) {
      if (!metric) {
        metric = DEFAULT_METRICS.find((k) => typeof s[k] === 'number' || typeof s[k] === 'boolean');
        if (!metric) {
          throw new GradusError(`no per-sample metric found (looked for ${DEFAULT_METRICS.join(', ')})`, `Name the metric with ${option('metric')}.`, { file, line });
        }
      }
      metricsUsed.set(task, metric);
      stats.rows++;
      const value = s[metric];
      if (value === undefined) {
        throw new GradusError(`this sample has no "${metric}" field`, `Pick a metric the samples carry with ${option('metric')} (this line has: ${Object.keys(s).filter((k) => typeof s[k] === 'number').join(', ') || 'none'}).`, { file, line });
      }
      const a = parseAnswer(value);
      if (a.kind === 'bad') throw new GradusError(describeBad(value, a.why), ANSWER_HINT, { file, line, column: `"${metric}"` });
      if (a.kind === 'missing') {
        stats.missing++;
        continue;
      }
      if (a.v > 0 && a.v < 1) stats.fractional++;
      rows.push({ item: `${task}/${String(s.doc_id)}`, v: a.v, place: { file, line } });
    }
  }

  async fill(b: MatrixBuilder, threshold: number): Promise<SourceStats> {
    for (const { model, rows } of this.answers) {
      const m = b.modelIndex.get(model)!;
      for (const r of rows) b.set(m * b.nItems + b.itemIndex.get(r.item)!, r.v >= threshold ? 1 : 0);
    }
    return this.stats;
  }

  async locate(model: string, item: string): Promise<Array<Place & { answer: string }>> {
    const out: Array<Place & { answer: string }> = [];
    for (const a of this.answers) if (a.model === model) for (const r of a.rows) if (r.item === item) out.push({ ...r.place, answer: String(r.v) });
    return out;
  }

  close(): void {
    this.answers = [];
  }
}
