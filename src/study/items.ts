/**
 * The study's items, bin by bin, from a `gradus split` folder (made first from items + bins or items + fit when the
 * config asks). Each item keeps every field of its line; prompt and answer are read through the config's field names.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { GradusError } from '../errors.js';
import { splitItems } from '../difficulty/split.js';
import { binsFromFit } from '../difficulty/binsFromFit.js';
import type { StudyConfig } from './config.js';
import { parseJsonLines } from '../util/jsonLines.js';
import type { StudyItem } from '../plugins/contract.js';

export interface BinItems {
  bin: number;
  train: StudyItem[];
  test: StudyItem[];
}

export interface StudyData {
  folder: string;
  bins: BinItems[];
  /** sha256 over the split files: a changed item set is a changed study */
  fingerprint: string;
}

/** Makes the split folder when the config gives items with bins or a fit, then reads it. */
export async function prepareStudyData(config: StudyConfig, configDir: string, outDir: string): Promise<StudyData> {
  const d = config.data;
  const at = (p: string) => path.resolve(configDir, p);
  let folder: string;
  if (d.split !== undefined) folder = at(d.split);
  else {
    folder = path.join(outDir, 'data');
    const binsFile = d.bins !== undefined ? at(d.bins) : path.join(folder, 'bins.csv');
    if (d.fit !== undefined && !fs.existsSync(path.join(folder, 'manifest.json'))) {
      fs.mkdirSync(folder, { recursive: true });
      binsFromFit(at(d.fit), binsFile, { k: d.k, on: d.on, testFraction: d.test_fraction, seed: d.seed });
    }
    if (!fs.existsSync(path.join(folder, 'manifest.json'))) await splitItems(at(d.items!), binsFile, folder);
  }
  return readSplitFolder(folder, d.fields);
}

export function readSplitFolder(folder: string, fields: StudyConfig['data']['fields']): StudyData {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) {
    throw new GradusError('no such split folder', 'Make one with `gradus split ITEMS.jsonl --bins bins.csv --out DIR`, or give data.items with data.fit in the config.', { file: folder });
  }
  const binDirs = fs.readdirSync(folder).filter((n) => /^bin-\d+$/.test(n)).sort();
  if (!binDirs.length) throw new GradusError('this folder has no bin-NN subfolders', 'Give a folder written by `gradus split`.', { file: folder });
  const hash = createHash('sha256');
  const bins: BinItems[] = [];
  for (const name of binDirs) {
    const bin = Number(name.slice(4));
    const entry: BinItems = { bin, train: [], test: [] };
    for (const split of ['train', 'test'] as const) {
      const file = path.join(folder, name, `${split}.jsonl`);
      if (!fs.existsSync(file)) continue;
      const text = fs.readFileSync(file, 'utf8');
      hash.update(`${name}/${split}\n`).update(text);
      entry[split] = parseItems(text, file, bin, split, fields);
    }
    bins.push(entry);
  }
  bins.sort((a, b) => a.bin - b.bin);
  bins.forEach((b, k) => {
    if (b.bin !== k) throw new GradusError(`bin folders must be numbered from 0 without gaps; bin-${String(k).padStart(2, '0')} is missing`, 'Give a folder written by `gradus split`.', { file: folder });
  });
  return { folder, bins, fingerprint: hash.digest('hex').slice(0, 16) };
}

export function parseItems(text: string, file: string, bin: number, split: 'train' | 'test', f: StudyConfig['data']['fields']): StudyItem[] {
  const out: StudyItem[] = [];
  for (const { line, value: obj } of parseJsonLines(text, file)) {
    const place = { file, line };
    const id = obj[f.id] ?? obj.item;
    if (id === undefined || id === null) throw new GradusError(`this item has no "${f.id}" field`, 'Give every item an id, or name the id field with data.fields.id.', place);
    const prompt = obj[f.prompt];
    if (typeof prompt !== 'string') throw new GradusError(`this item has no text field "${f.prompt}"`, 'A study trains and scores on item text: name the field that holds it with data.fields.prompt.', { ...place, column: f.prompt });
    const answer = obj[f.answer];
    if (answer === undefined || answer === null || typeof answer === 'object') throw new GradusError(`this item has no answer field "${f.answer}" (a string or number)`, 'Name the field that holds the reference answer with data.fields.answer.', { ...place, column: f.answer });
    const choices = obj[f.choices];
    out.push({ id: String(id), bin, split, prompt, answer: String(answer), choices: Array.isArray(choices) ? choices.map(String) : undefined, fields: obj });
  }
  return out;
}

/** The items a cell is scored on in each bin, by `test_on`. */
export function scoredItems(b: BinItems, testOn: StudyConfig['test_on']): StudyItem[] {
  return testOn === 'test' ? b.test : testOn === 'train' ? b.train : [...b.train, ...b.test];
}
