import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { once } from 'node:events';
import { openDuck, sqlString } from '../util/duck.js';
import { csvField } from '../util/csv.js';
import { detectFormat } from './format.js';
import { MISSING, type ResponseMatrix } from './matrix.js';

/** Write a matrix as a long table model,item,correct (missing cells are left out), in the format the extension names. */
export async function writeResponses(m: ResponseMatrix, file: string): Promise<void> {
  const { format, gzip } = detectFormat(file);
  fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  if (format === 'parquet') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradus-w-'));
    const csv = path.join(dir, 'r.csv');
    await writeDelimited(m, csv, ',', false);
    const out = gzip ? path.join(dir, 'r.parquet') : file;
    const duck = await openDuck();
    try {
      await duck.conn.run(`COPY (SELECT * FROM read_csv(${sqlString(csv)}, header=true, all_varchar=false, types={'model':'VARCHAR','item':'VARCHAR','correct':'TINYINT'})) TO ${sqlString(out)} (FORMAT parquet)`);
    } finally {
      duck.close();
    }
    if (gzip) fs.writeFileSync(file, zlib.gzipSync(fs.readFileSync(out)));
    fs.rmSync(dir, { recursive: true, force: true });
    return;
  }
  if (format === 'jsonl') return writeLines(m, file, gzip, (model, item, v) => `{"model":${JSON.stringify(model)},"item":${JSON.stringify(item)},"correct":${v}}`);
  return writeDelimited(m, file, format === 'tsv' ? '\t' : ',', gzip);
}

function writeDelimited(m: ResponseMatrix, file: string, sep: string, gzip: boolean) {
  const q = sep === ',' ? csvField : (s: string) => s;
  return writeLines(m, file, gzip, (model, item, v) => `${q(model)}${sep}${q(item)}${sep}${v}`, `model${sep}item${sep}correct`);
}

async function writeLines(m: ResponseMatrix, file: string, gzip: boolean, line: (model: string, item: string, v: number) => string, header?: string) {
  const raw = fs.createWriteStream(file);
  const out: NodeJS.WritableStream = gzip ? zlib.createGzip() : raw;
  if (gzip) (out as zlib.Gzip).pipe(raw);
  const nI = m.items.length;
  let buf: string[] = header ? [header] : [];
  const flush = async () => {
    if (!buf.length) return;
    if (!out.write(buf.join('\n') + '\n')) await once(out, 'drain');
    buf = [];
  };
  for (let j = 0; j < m.models.length; j++) {
    for (let i = 0; i < nI; i++) {
      const v = m.data[j * nI + i];
      if (v !== MISSING) buf.push(line(m.models[j], m.items[i], v));
    }
    if (buf.length > 50_000) await flush();
  }
  await flush();
  out.end();
  await once(raw, 'close');
}
