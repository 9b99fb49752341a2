/**
 * What a report can show, gathered from a folder: a fit (fit.json, items.csv, models.csv), bins (bins.csv), a
 * study (grid.csv + analysis.json), stability (stability.csv), the items' text (items.jsonl) and the responses
 * (for accuracy by bin per model). A demo folder has them all; any one of them makes a report.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GradusError } from '../errors.js';
import { readFitFolder } from '../irt/fitFolder.js';
import type { BinRow } from '../difficulty/bins.js';
import { readBins } from '../difficulty/binsFile.js';
import { readStability, type StabilityRow } from '../difficulty/stabilityFile.js';
import { readItemTable } from '../responses/itemTable.js';
import { readResponses } from '../responses/read.js';
import { MISSING } from '../responses/matrix.js';
import { readStudyResults, type StudyResults } from '../study/store.js';
import { collectEvaluate, type EvaluateData } from './evaluateData.js';

export type Row = Record<string, string>;

export interface ReportData {
  title: string;
  source: string;
  fit?: { info: Record<string, unknown>; items: FitItem[]; models: FitModel[] };
  bins?: BinRow[];
  study?: StudyResults;
  stability?: StabilityRow[];
  /** item id → text and other columns of the items file */
  itemInfo?: Map<string, Row>;
  /** per model, accuracy in each bin: [model, bin, n, correct] */
  modelBins?: Array<{ model: string; bin: number; n: number; accuracy: number }>;
  /** a column of the items file to color and group by (human label, subtask, level) */
  label?: string;
  /** estimates (and a cat trajectory) from gradus estimate or gradus cat */
  evaluate?: EvaluateData;
  notes: string[];
}

export interface FitItem { item: string; b: number; a: number; c: number; p_correct: number }
export interface FitModel { model: string; theta: number; se_theta: number; p_correct: number }

export interface CollectOptions {
  items?: string;
  responses?: string;
  label?: string;
  stability?: string;
}

export async function collectReport(input: string, o: CollectOptions = {}): Promise<ReportData> {
  if (!fs.existsSync(input)) throw new GradusError('no such folder or file', 'Give a fit folder, a bins.csv, a study folder or a demo folder.', { file: input });
  const isDir = fs.statSync(input).isDirectory();
  const dir = isDir ? input : path.dirname(input);
  const at = (...p: string[]) => path.join(dir, ...p);
  const d: ReportData = { title: `gradus report: ${path.basename(path.resolve(input))}`, source: path.resolve(input), notes: [] };
  const fitDir = isDir ? (fs.existsSync(at('fit.json')) ? dir : fs.existsSync(at('fit', 'fit.json')) ? at('fit') : undefined) : undefined;
  if (fitDir) {
    const f = readFitFolder(fitDir);
    const it = f.items, m = f.models;
    d.fit = {
      info: f.info ?? {},
      items: it.item.map((item, k) => ({ item, b: it.b[k], a: it.a[k], c: it.c[k], p_correct: it.p_correct[k] })),
      models: m ? m.model.map((model, k) => ({ model, theta: m.theta[k], se_theta: m.se_theta[k], p_correct: m.p_correct[k] })) : [],
    };
  }
  const binsFile = !isDir && input.endsWith('.csv') ? input : fs.existsSync(at('bins.csv')) ? at('bins.csv') : undefined;
  if (binsFile) d.bins = readBins(binsFile);
  const study = isDir ? readStudyResults(dir) : null;
  if (study) d.study = study;
  const stab = o.stability ?? (isDir && fs.existsSync(at('stability.csv')) ? at('stability.csv') : undefined);
  if (stab) d.stability = readStability(stab);
  const itemsFile = o.items ?? (isDir && fs.existsSync(at('items.jsonl')) ? at('items.jsonl') : undefined);
  if (itemsFile) {
    const t = readItemTable(itemsFile);
    d.itemInfo = new Map(t.rows.map((r) => [r.item ?? r.id, r]));
    d.label = o.label ?? (t.columns.includes('level') ? 'level' : undefined);
    if (o.label && !t.columns.includes(o.label)) throw new GradusError(`the items file has no column "${o.label}"`, `Its columns: ${t.columns.join(', ')}.`, { file: itemsFile });
  }
  const responses = o.responses ?? (isDir && fs.existsSync(at('zoo', 'responses.csv')) ? at('zoo', 'responses.csv') : undefined);
  if (responses && d.bins) d.modelBins = await accuracyByBin(responses, d.bins);
  d.evaluate = collectEvaluate(input);
  if (!d.fit && !d.bins && !d.study && !d.evaluate) throw new GradusError('found nothing to report here (no fit.json, bins.csv, or grid.csv with analysis.json)', 'Give a folder written by gradus fit, gradus study or gradus demo, or a bins.csv.', { file: input });
  return d;
}

/** Each model's accuracy in each difficulty bin: the "difficulty-aware" view of a model an eval report should give. */
async function accuracyByBin(responses: string, bins: BinRow[]) {
  const { matrix } = await readResponses(responses);
  const binOf = new Map(bins.map((r) => [r.item, r.bin]));
  const k = Math.max(...bins.map((r) => r.bin)) + 1;
  const cols = matrix.items.map((id) => binOf.get(id) ?? -1);
  const out: Array<{ model: string; bin: number; n: number; accuracy: number }> = [];
  const J = matrix.items.length;
  matrix.models.forEach((model, m) => {
    const n = new Int32Array(k), c = new Int32Array(k);
    for (let j = 0; j < J; j++) {
      const v = matrix.data[m * J + j];
      const b = cols[j];
      if (v === MISSING || b < 0) continue;
      n[b]++;
      c[b] += v;
    }
    for (let b = 0; b < k; b++) if (n[b]) out.push({ model, bin: b, n: n[b], accuracy: c[b] / n[b] });
  });
  return out;
}
