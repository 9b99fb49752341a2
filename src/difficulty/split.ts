/**
 * Per-bin datasets: DIR/bin-00/train.jsonl and test.jsonl, every original field of each item kept, with
 * difficulty, bin and split added; DIR/manifest.json with counts, difficulty ranges and how the bins were made.
 * Items the bins do not know, and bins naming items the file lacks, are reported, never dropped in silence.
 */
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { GradusError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { safeJson } from '../util/csv.js';
import { readBins, readBinsMade } from './binsFile.js';

export interface SplitReport {
  bins: Array<{ bin: number; train: number; test: number; difficulty_min: number; difficulty_max: number }>;
  unknownItems: string[];
  missingItems: string[];
  manifest: string;
}

export async function splitItems(itemsFile: string, binsFile: string, outDir: string): Promise<SplitReport> {
  const bins = readBins(binsFile);
  const byItem = new Map(bins.map((r) => [r.item, r]));
  if (!fs.existsSync(itemsFile)) throw new GradusError('no such items file', 'Give the JSONL file of items (one JSON object per line with an id).', { file: itemsFile });
  const out = new Map<string, string[]>();
  const seen = new Set<string>();
  const unknownItems: string[] = [];
  const rl = readline.createInterface({ input: fs.createReadStream(itemsFile), crlfDelay: Infinity });
  let line = 0;
  for await (const text of rl) {
    line++;
    if (!text.trim()) continue;
    let obj: Record<string, unknown>;
    try {
      obj = JSON.parse(text);
    } catch (e) {
      throw new GradusError(`this line is not valid JSON (${(e as Error).message})`, 'Each line must be one JSON object.', { file: itemsFile, line });
    }
    const id = obj.id ?? obj.item;
    if (id === undefined || id === null) throw new GradusError('this item has no "id" (or "item") field', 'Give every item an id matching the item column of the responses.', { file: itemsFile, line });
    const key = String(id);
    const b = byItem.get(key);
    if (!b) {
      unknownItems.push(key);
      continue;
    }
    seen.add(key);
    const file = path.join(`bin-${String(b.bin).padStart(2, '0')}`, `${b.split}.jsonl`);
    if (!out.has(file)) out.set(file, []);
    out.get(file)!.push(JSON.stringify({ ...obj, difficulty: b.difficulty, bin: b.bin, split: b.split }));
  }
  const missingItems = bins.filter((r) => !seen.has(r.item)).map((r) => r.item);
  const k = Math.max(-1, ...bins.map((r) => r.bin)) + 1;
  const summary: SplitReport['bins'] = [];
  for (let b = 0; b < k; b++) {
    const dir = `bin-${String(b).padStart(2, '0')}`;
    for (const split of ['train', 'test']) {
      const lines = out.get(path.join(dir, `${split}.jsonl`)) ?? [];
      writeFileAtomic(path.join(outDir, dir, `${split}.jsonl`), lines.length ? lines.join('\n') + '\n' : '');
    }
    const rows = bins.filter((r) => r.bin === b && seen.has(r.item));
    summary.push({
      bin: b,
      train: rows.filter((r) => r.split === 'train').length,
      test: rows.filter((r) => r.split === 'test').length,
      difficulty_min: Math.min(...rows.map((r) => r.difficulty)),
      difficulty_max: Math.max(...rows.map((r) => r.difficulty)),
    });
  }
  const made = readBinsMade(binsFile);
  const manifest = path.join(outDir, 'manifest.json');
  writeFileAtomic(manifest, safeJson({ items: path.resolve(itemsFile), bins_file: path.resolve(binsFile), made_by: made, bins: summary, unknown_items: unknownItems, missing_items: missingItems }));
  return { bins: summary, unknownItems, missingItems, manifest };
}
