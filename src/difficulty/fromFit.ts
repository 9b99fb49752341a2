/**
 * The difficulty of every item from a fit folder: the IRT b, or the consensus difficulty (the share of models
 * that got the item wrong, among those that answered it). Items every model got right or wrong are kept and
 * ranked at the ends, whatever finite value a prior or an adjustment gave their b.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { GradusError } from '../errors.js';
import type { DifficultyInput } from './bins.js';

export type DifficultyOn = 'b' | 'p_correct';

export interface FitDifficulty extends DifficultyInput {
  on: DifficultyOn;
  /** b and consensus difficulty of every item (NaN where undefined) */
  b: Float64Array;
  consensus: Float64Array;
  a: Float64Array;
  notes: string[];
  fit: Record<string, unknown>;
  /** items left out because nobody answered them */
  unanswered: string[];
}

export function readFitDifficulty(fitDir: string, on: DifficultyOn = 'b'): FitDifficulty {
  const file = fs.existsSync(fitDir) && fs.statSync(fitDir).isDirectory() ? path.join(fitDir, 'items.csv') : fitDir;
  if (!fs.existsSync(file)) throw new GradusError('no items.csv here', 'Give a fit folder written by `gradus fit --out DIR`.', { file });
  if (on !== 'b' && on !== 'p_correct') throw new GradusError(`--on ${on} is not b or p_correct`, 'Use --on b (IRT difficulty) or --on p_correct (consensus difficulty).');
  const rows: Record<string, string>[] = parse(fs.readFileSync(file, 'utf8'), { columns: true, bom: true, skip_empty_lines: true });
  if (!rows.length || !('item' in rows[0]) || !('b' in rows[0]) || !('p_correct' in rows[0])) {
    throw new GradusError('items.csv lacks the columns item, b, p_correct', 'Give the items.csv written by gradus fit.', { file, line: 1 });
  }
  const fitJson = path.join(path.dirname(file), 'fit.json');
  const fit = fs.existsSync(fitJson) ? JSON.parse(fs.readFileSync(fitJson, 'utf8')) : {};
  const num = (s: string | undefined) => (s === undefined || s === '' ? NaN : Number(s));
  const kept = rows.filter((r) => r.p_correct !== '');
  const unanswered = rows.filter((r) => r.p_correct === '').map((r) => r.item);
  const b = Float64Array.from(kept, (r) => num(r.b));
  const a = Float64Array.from(kept, (r) => num(r.a));
  const consensus = Float64Array.from(kept, (r) => 1 - num(r.p_correct));
  const tier = Int8Array.from(kept, (r) => (num(r.p_correct) === 1 ? -1 : num(r.p_correct) === 0 ? 1 : 0));
  const notes: string[] = [];
  if (unanswered.length) notes.push(`${unanswered.length} item(s) nobody answered have no difficulty and are left out.`);
  let difficulty: Float64Array;
  if (on === 'p_correct') {
    difficulty = consensus;
    notes.push('difficulty = consensus difficulty, the share of models that got the item wrong.');
  } else {
    difficulty = Float64Array.from(b, (x, i) => (Number.isFinite(x) ? x : tier[i] * 1e6));
    notes.push(`difficulty = IRT b from a ${fit.model ?? '?'} fit by ${fit.method ?? '?'}.`);
    if (fit.model === '2pl' || fit.model === '3pl') {
      notes.push(
        'With a 2pl/3pl fit, b is where an item separates models, not how many get it right: an item of low discrimination (small a) can have an extreme b while most models answer it at near-chance rates, so it may land in a bin its accuracy does not suggest. Compare with --on p_correct, or fit --model rasch.',
      );
    }
  }
  const nTier = tier.reduce((s, t) => s + (t !== 0 ? 1 : 0), 0);
  if (nTier) notes.push(`${nTier} item(s) that every model got right (or wrong) are binned at the easy (hard) end.`);
  return { item: kept.map((r) => r.item), difficulty, tier, on, b, consensus, a, notes, fit, unanswered };
}
