/**
 * Does the task's knob explain the difficulty the zoo's answers give? Spearman (and Kendall τb) between each
 * item's level and its IRT b, with bootstrap intervals over items, and each level's median b and share right:
 * what the demo prints and adds to analysis.json, so a reader sees whether "length sets difficulty" holds.
 */
import fs from 'node:fs';
import { agree, type Correlation } from '../difficulty/agree.js';
import { readFitDifficulty } from '../difficulty/fromFit.js';
import { readItemTable } from '../responses/itemTable.js';
import { writeFileAtomic } from '../util/atomic.js';
import { safeJson } from '../util/csv.js';

export interface KnobAgreement {
  feature: string;
  n_items: number;
  spearman: Correlation;
  kendall_tau_b: Correlation;
  bootstrap: number;
  per_level: Array<{ level: string; count: number; median_b: number; share_right: number }>;
}

export function knobAgreement(fitDir: string, itemsFile: string, feature = 'level', bootstrap = 1000): KnobAgreement {
  const d = readFitDifficulty(fitDir, 'b');
  const r = agree(d, readItemTable(itemsFile), feature, { bootstrap, seed: 1 });
  return {
    feature,
    n_items: r.n_items,
    spearman: r.b.spearman,
    kendall_tau_b: r.b.kendall_tau_b,
    bootstrap,
    // consensus difficulty is the share of models wrong
    per_level: r.per_label.map((p) => ({ level: p.label, count: p.count, median_b: p.b.median, share_right: 1 - p.consensus.mean })),
  };
}

/** Adds the agreement to a study's analysis.json under `knob` (rewritten whenever the study's analysis is). */
export function recordKnob(analysisFile: string, knob: KnobAgreement): void {
  const a = JSON.parse(fs.readFileSync(analysisFile, 'utf8'));
  writeFileAtomic(analysisFile, safeJson({ ...a, knob }));
}

export function formatKnob(k: KnobAgreement): string {
  const c = k.spearman;
  return `difficulty follows the knob: Spearman(${k.feature}, b) ${c.estimate.toFixed(3)} [${c.ci_low.toFixed(3)}, ${c.ci_high.toFixed(3)}] over ${k.n_items} items; median b by ${k.feature}: ${k.per_level.map((p) => `${p.level}: ${p.median_b.toFixed(2)}`).join(', ')}`;
}
