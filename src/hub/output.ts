/**
 * What collect writes from the raw files: per model a rows file (`.gradus/rows/<org>__<model>.csv`, kept between
 * runs so a rerun reads only new models), then `responses.parquet` (`model,item,correct,score,task`, sorted)
 * and `<task>.items.jsonl` (one line per item, `id` as in the response table).
 */
import fs from 'node:fs';
import path from 'node:path';
import { csvField } from '../util/csv.js';
import { writeFileAtomic } from '../util/atomic.js';
import { openDuck, sqlString } from '../util/duck.js';
import { readSamples, type SampleItem } from './samples.js';
import { taskGroup } from './tasks.js';
import type { PickedSamples } from './runs.js';

export interface ModelRows {
  rows: number;
  missing: number;
  /** group → metric used */
  metrics: Record<string, string>;
}

export function rowsFile(out: string, folder: string): string {
  return path.join(out, '.gradus', 'rows', `${folder}.csv`);
}

/** Reads a model's picked samples files and writes its rows file. */
export async function writeModelRows(model: string, rawDir: string, samples: PickedSamples[], file: string): Promise<ModelRows> {
  const lines = ['model,item,correct,score,task'];
  const metrics: Record<string, string> = {};
  let missing = 0;
  const m = csvField(model);
  for (const s of samples) {
    const r = await readSamples(path.join(rawDir, s.file.path), taskGroup(s.group), s.task);
    if (r.metric) metrics[s.group] = r.metric;
    missing += r.missing;
    for (const a of r.answers) lines.push(`${m},${csvField(a.item)},${a.score >= 0.5 ? 1 : 0},${a.score},${s.group}`);
  }
  writeFileAtomic(file, lines.join('\n') + '\n');
  return { rows: lines.length - 1, missing, metrics };
}

/** responses.parquet from the rows files, through a temporary file so a killed run leaves the old one whole. */
export async function writeResponsesParquet(rowFiles: string[], file: string): Promise<number> {
  const tmp = `${file}.tmp-${process.pid}`;
  const duck = await openDuck();
  try {
    const types = `{'model':'VARCHAR','item':'VARCHAR','correct':'TINYINT','score':'DOUBLE','task':'VARCHAR'}`;
    const from = rowFiles.length
      ? `read_csv([${rowFiles.map(sqlString).join(', ')}], header=true, columns=${types})`
      : `(SELECT NULL::VARCHAR AS model, NULL::VARCHAR AS item, NULL::TINYINT AS correct, NULL::DOUBLE AS score, NULL::VARCHAR AS task WHERE false)`;
    await duck.conn.run(`COPY (SELECT model, item, correct, score, task FROM ${from} ORDER BY model, task, item) TO ${sqlString(tmp)} (FORMAT parquet)`);
    const n = (await duck.conn.runAndReadAll(`SELECT count(*) FROM read_parquet(${sqlString(tmp)})`)).getRows()[0][0];
    fs.renameSync(tmp, file);
    return Number(n);
  } finally {
    duck.close();
  }
}

/** `<group>.items.jsonl` from one model's samples of that group (the items are the same for every model). */
export async function writeItems(rawDir: string, group: string, samples: PickedSamples[], file: string): Promise<number> {
  const seen = new Set<string>();
  const lines: string[] = [];
  const g = taskGroup(group);
  for (const s of samples) {
    await readSamples(path.join(rawDir, s.file.path), g, s.task, (item: SampleItem) => {
      if (seen.has(item.id)) return;
      seen.add(item.id);
      lines.push(JSON.stringify(item));
    });
  }
  writeFileAtomic(file, lines.length ? lines.join('\n') + '\n' : '');
  return lines.length;
}
