/**
 * How much the bins mean: resample the models with replacement, refit, re-bin, and see how often each item lands
 * in its original bin, and how well each resample's difficulties rank-correlate with the original ones.
 */
import { subsetMatrix, type ResponseMatrix } from '../responses/matrix.js';
import { fitIrt, type FitOptions } from '../irt/fit.js';
import { rng } from '../util/rng.js';
import { makeBins } from './bins.js';
import { quantile, spearman } from './rank.js';
import type { DifficultyOn } from './fromFit.js';

export interface StabilityOptions {
  bootstrap?: number;
  k?: number;
  seed?: number;
  on?: DifficultyOn;
  fit?: FitOptions;
  onProgress?: (done: number, total: number) => void;
}

export interface StabilityResult {
  item: readonly string[];
  difficulty: Float64Array;
  bin: Int32Array;
  /** per item: share of resamples in which it landed in its original bin */
  sameBin: Float64Array;
  spearman: { median: number; p05: number; p95: number; values: number[] };
  meanSameBin: number;
  bootstrap: number;
  k: number;
}

async function difficultyOf(m: ResponseMatrix, on: DifficultyOn, fit: FitOptions): Promise<{ difficulty: Float64Array; tier: Int8Array }> {
  const f = await fitIrt(m, { model: 'rasch', method: 'jml', ...fit });
  const p = f.items.p_correct;
  const tier = Int8Array.from(p, (x) => (x === 1 ? -1 : x === 0 ? 1 : 0));
  const difficulty = on === 'p_correct' ? Float64Array.from(p, (x) => 1 - x) : f.items.b;
  return { difficulty, tier };
}

export async function stability(m: ResponseMatrix, o: StabilityOptions = {}): Promise<StabilityResult> {
  const B = o.bootstrap ?? 200;
  const k = o.k ?? 10;
  const on = o.on ?? 'b';
  const fitOpts = o.fit ?? {};
  const base = await difficultyOf(m, on, fitOpts);
  const nI = m.items.length;
  const bins = makeBins({ item: m.items, difficulty: base.difficulty, tier: base.tier }, { k, testFraction: 0.5 });
  const bin = Int32Array.from(bins, (r) => r.bin);
  const same = new Float64Array(nI);
  const rhos: number[] = [];
  const r = rng(o.seed ?? 1);
  const all = Int32Array.from({ length: nI }, (_, i) => i);
  for (let t = 0; t < B; t++) {
    const pick = Int32Array.from({ length: m.models.length }, () => r.int(m.models.length));
    const sample = subsetMatrix(m, pick, all);
    // resampled rows keep distinct ids so nothing downstream mistakes them for repeats
    const ids = sample.models.map((id, j) => `${id}#${j}`);
    const res = await difficultyOf({ ...sample, models: ids }, on, fitOpts);
    const ok = Array.from(res.difficulty, Number.isFinite).every(Boolean);
    const rb = makeBins({ item: m.items, difficulty: Float64Array.from(res.difficulty, (x) => (Number.isFinite(x) ? x : 0)), tier: res.tier }, { k, testFraction: 0.5 });
    for (let i = 0; i < nI; i++) if (rb[i].bin === bin[i] && (ok || Number.isFinite(res.difficulty[i]))) same[i]++;
    const keep = Array.from({ length: nI }, (_, i) => i).filter((i) => Number.isFinite(res.difficulty[i]) && Number.isFinite(base.difficulty[i]));
    rhos.push(spearman(keep.map((i) => base.difficulty[i]), keep.map((i) => res.difficulty[i])));
    o.onProgress?.(t + 1, B);
  }
  for (let i = 0; i < nI; i++) same[i] /= B;
  const sorted = rhos.filter(Number.isFinite).sort((a, b) => a - b);
  return {
    item: m.items,
    difficulty: base.difficulty,
    bin,
    sameBin: same,
    spearman: { median: quantile(sorted, 0.5), p05: quantile(sorted, 0.05), p95: quantile(sorted, 0.95), values: rhos },
    meanSameBin: same.reduce((a, x) => a + x, 0) / nI,
    bootstrap: B,
    k,
  };
}
