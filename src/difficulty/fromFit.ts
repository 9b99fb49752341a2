/**
 * The difficulty of every item from a fit folder: the IRT b, or the consensus difficulty (the share of models
 * that got the item wrong, among those that answered it). Items every model got right or wrong are kept and
 * ranked at the ends, whatever finite value a prior or an adjustment gave their b.
 */
import { GradusError, option } from '../errors.js';
import { readFitFolder } from '../irt/fitFolder.js';
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
  if (on !== 'b' && on !== 'p_correct') throw new GradusError(`${option('on')} ${on} is not b or p_correct`, `Use ${option('on')} b (IRT difficulty) or ${option('on')} p_correct (consensus difficulty).`);
  const f = readFitFolder(fitDir, { need: ['p_correct'] });
  const fit: Record<string, unknown> = f.info ?? {};
  const it = f.items;
  const kept = it.item.flatMap((_, i) => (Number.isFinite(it.p_correct[i]) ? [i] : []));
  const unanswered = it.item.filter((_, i) => !Number.isFinite(it.p_correct[i]));
  const b = Float64Array.from(kept, (i) => it.b[i]);
  const a = Float64Array.from(kept, (i) => it.a[i]);
  const consensus = Float64Array.from(kept, (i) => 1 - it.p_correct[i]);
  const tier = Int8Array.from(kept, (i) => (it.p_correct[i] === 1 ? -1 : it.p_correct[i] === 0 ? 1 : 0));
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
        'With a 2pl/3pl fit, b is where an item separates models, not how many get it right: an item of low discrimination (small a) can have an extreme b while most models answer it at near-chance rates, so it may land in a bin its accuracy does not suggest. Compare with the consensus difficulty (bins on p_correct), or fit a rasch model.',
      );
    }
  }
  const nTier = tier.reduce((s, t) => s + (t !== 0 ? 1 : 0), 0);
  if (nTier) notes.push(`${nTier} item(s) that every model got right (or wrong) are binned at the easy (hard) end.`);
  return { item: kept.map((i) => it.item[i]), difficulty, tier, on, b, consensus, a, notes, fit, unanswered };
}
