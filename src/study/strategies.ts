/**
 * Training sets from bins, one per strategy (and per bin for each-bin). Pure: the same bins, spec and seed give
 * the same items in the same order on every machine. Curricula keep their order; the rest are shuffled.
 */
import { permutation, rng, type Rng } from '../util/rng.js';
import { GradusError } from '../errors.js';
import { CURRICULA, strategyName, type StrategyName, type StrategySpec } from './config.js';
import type { StudyItem, TrainingSet as PluginTrainingSet } from '../plugins/contract.js';
import type { BinItems } from './items.js';

export interface TrainingSet extends PluginTrainingSet {
  strategy: StrategyName;
}

export function trainBinsLabel(bins: number[]): string {
  if (bins.length === 1) return String(bins[0]);
  const contiguous = bins.every((b, k) => k === 0 || b === bins[k - 1] + 1);
  return contiguous ? `${bins[0]}-${bins[bins.length - 1]}` : bins.join(';');
}

function seedFor(seed: number, name: string, bin = -1): Rng {
  let h = 2166136261;
  for (const ch of `${name}|${bin}|${seed}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619);
  return rng(h >>> 0);
}

function shuffled<T>(xs: T[], r: Rng): T[] {
  const p = permutation(xs.length, r);
  return Array.from(p, (k) => xs[k]);
}

/** Up to `cap` items, drawn without replacement, in random order. */
function sample(xs: StudyItem[], cap: number | undefined, r: Rng): StudyItem[] {
  const s = shuffled(xs, r);
  return cap !== undefined && s.length > cap ? s.slice(0, cap) : s;
}

/** Integer counts proportional to weights summing to `total`, none above its bin's size (largest remainders). */
export function apportion(weights: number[], total: number, sizes: number[]): number[] {
  const counts = weights.map(() => 0);
  let left = Math.min(total, sizes.reduce((a, b) => a + b, 0));
  while (left > 0) {
    const open = weights.map((w, k) => (counts[k] < sizes[k] ? w : 0));
    const sum = open.reduce((a, b) => a + b, 0);
    if (sum <= 0) break;
    const want = open.map((w) => (w / sum) * left);
    let given = 0;
    const rem = want.map((x, k) => {
      const g = Math.min(Math.floor(x), sizes[k] - counts[k]);
      counts[k] += g;
      given += g;
      return x - Math.floor(x);
    });
    if (given === 0) {
      // hand out single items by largest remainder
      const order = rem.map((x, k) => k).filter((k) => counts[k] < sizes[k] && open[k] > 0).sort((a, b) => rem[b] - rem[a] || a - b);
      const k = order[0];
      counts[k]++;
      given = 1;
    }
    left -= given;
  }
  return counts;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

export function trainingSets(bins: BinItems[], spec: StrategySpec, seed: number, maxTrain?: number): TrainingSet[] {
  const name = strategyName(spec);
  const opts: Exclude<StrategySpec, string> | { bins?: undefined; sd?: undefined; rounds?: undefined } = typeof spec === 'string' ? {} : spec;
  const k = bins.length;
  const all = bins.map((b) => b.bin);
  const sizes = bins.map((b) => b.train.length);
  const oneBin = Math.min(median(sizes), maxTrain ?? Infinity);
  const pick = (list: number[]) => list.map((b) => {
    if (b >= k) throw new GradusError(`strategy ${name} names bin ${b}, but the study has ${k} bins (0..${k - 1})`, 'Name bins that exist.');
    return b;
  });
  const firstN = () => {
    const n = typeof opts.bins === 'number' ? opts.bins : Array.isArray(opts.bins) ? opts.bins.length : Math.max(1, Math.round(k * 0.3));
    return Math.min(n, k);
  };
  const pooled = (list: number[], r: Rng) => sample(list.flatMap((b) => bins[b].train), maxTrain, r);
  switch (name) {
    case 'each-bin': {
      const list = Array.isArray(opts.bins) ? pick(opts.bins) : all;
      return list.map((b) => ({ strategy: name, trainBins: [b], items: sample(bins[b].train, maxTrain, seedFor(seed, name, b)), ordered: false }));
    }
    case 'all':
      return [{ strategy: name, trainBins: all, items: pooled(all, seedFor(seed, name)), ordered: false }];
    case 'easy':
    case 'hard': {
      const n = firstN();
      const list = Array.isArray(opts.bins) ? pick(opts.bins) : name === 'easy' ? all.slice(0, n) : all.slice(k - n);
      return [{ strategy: name, trainBins: list, items: pooled(list, seedFor(seed, name)), ordered: false }];
    }
    case 'random': {
      // size-matched to one bin, so the comparison with each-bin is about where the items come from, not how many
      const items = sample(bins.flatMap((b) => b.train), oneBin, seedFor(seed, name));
      return [{ strategy: name, trainBins: all, items, ordered: false }];
    }
    case 'normal': {
      const centre = (k - 1) / 2;
      const sd = opts.sd ?? k / 4;
      const w = all.map((b) => Math.exp(-((b - centre) ** 2) / (2 * sd * sd)));
      const counts = apportion(w, oneBin, sizes);
      const r = seedFor(seed, name);
      const items = shuffled(all.flatMap((b) => sample(bins[b].train, counts[b], r)), r);
      return [{ strategy: name, trainBins: all.filter((b) => counts[b] > 0), items, ordered: false }];
    }
    case 'easy-to-hard':
    case 'hard-to-easy':
    case 'spiral': {
      const list = Array.isArray(opts.bins) ? [...pick(opts.bins)].sort((a, b) => a - b) : all;
      const r = seedFor(seed, name);
      // stratified cap: every bin keeps its share
      const total = list.reduce((s, b) => s + bins[b].train.length, 0);
      const counts = apportion(list.map((b) => bins[b].train.length), Math.min(total, maxTrain ?? total), list.map((b) => bins[b].train.length));
      const perBin = list.map((b, j) => sample(bins[b].train, counts[j], r));
      let items: StudyItem[];
      if (name === 'easy-to-hard') items = perBin.flat();
      else if (name === 'hard-to-easy') items = [...perBin].reverse().flat();
      else {
        // spiral: several passes from easy to hard, each taking the next slice of every bin
        const rounds = opts.rounds ?? 3;
        items = [];
        for (let t = 0; t < rounds; t++) {
          for (const xs of perBin) items.push(...xs.slice(Math.floor((t * xs.length) / rounds), Math.floor(((t + 1) * xs.length) / rounds)));
        }
      }
      return [{ strategy: name, trainBins: list, items, ordered: true }];
    }
  }
}

export function isCurriculum(spec: StrategySpec): boolean {
  return CURRICULA.includes(strategyName(spec));
}
