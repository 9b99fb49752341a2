/**
 * From per-item outcomes to the study's answers: the grid of accuracies and gains, and how gain falls off with
 * the distance between training and test bin. Intervals come from one bootstrap over test items (items drawn
 * with replacement within each test bin, the same draw for every cell, seed and the baseline), so all derived
 * numbers (distance means, asymmetry) get intervals from the same replicates. Pure; no I/O.
 */
import { rng } from '../util/rng.js';
import { quantile } from '../difficulty/rank.js';

export interface CellOutcome {
  strategy: string;
  trainBins: number[];
  trainLabel: string;
  seed: number;
  /** item id → correct */
  correct: Map<string, boolean>;
}

export interface AnalysisInput {
  /** per test bin, the ids scored there */
  testItems: string[][];
  baseline: Map<string, boolean> | null;
  cells: CellOutcome[];
  reps: number;
  seed?: number;
}

export interface GridRow {
  strategy: string;
  train_bins: string;
  seed: number;
  test_bin: number;
  n_test: number;
  correct: number;
  accuracy: number;
  baseline_accuracy: number | null;
  gain: number | null;
  ci_low: number | null;
  ci_high: number | null;
}

export interface Interval {
  mean: number | null;
  ci_low: number | null;
  ci_high: number | null;
}

export interface StrategySummary {
  strategy: string;
  train_bins: string;
  seeds: number[];
  /** per test bin, pooled over seeds */
  accuracy: number[];
  gain: Array<number | null>;
  ci_low: Array<number | null>;
  ci_high: Array<number | null>;
  mean_gain: Interval;
}

export interface Analysis {
  k: number;
  n_test: number[];
  bootstrap: number;
  baseline_accuracy: number[] | null;
  strategies: StrategySummary[];
  /** each-bin cells: rows = training bin, columns = test bin; null where a cell is missing or failed */
  gain_matrix: { gain: Array<Array<number | null>>; ci_low: Array<Array<number | null>>; ci_high: Array<Array<number | null>>; accuracy: Array<Array<number | null>> } | null;
  by_distance: Array<Interval & { distance: number; cells: number }>;
  by_signed_distance: Array<Interval & { distance: number; cells: number }>;
  /** test bins easier (lower) and harder (higher) than the training bin */
  asymmetry: { easier: Interval; harder: Interval; harder_minus_easier: Interval } | null;
  /** gain on the training bin minus gain at the farthest distance */
  decay: Interval | null;
  headline: { on_training_bin: number | null; distance_1: number | null; farthest: number | null; farthest_distance: number | null };
}

interface Group {
  strategy: string;
  trainBins: number[];
  label: string;
  seeds: number[];
  /** [seed][bin] → 0/1 per scored item of that bin (255 = not scored) */
  x: Uint8Array[][];
}

const MISSING = 255;

function vectors(ids: string[][], m: Map<string, boolean>): Uint8Array[] {
  return ids.map((list) => Uint8Array.from(list, (id) => (m.has(id) ? (m.get(id) ? 1 : 0) : MISSING)));
}

/** mean over observed entries at positions idx (or all when idx is null) */
function meanAt(x: Uint8Array, idx: Int32Array | null): number {
  let s = 0;
  let n = 0;
  const len = idx ? idx.length : x.length;
  for (let t = 0; t < len; t++) {
    const v = x[idx ? idx[t] : t];
    if (v !== MISSING) {
      s += v;
      n++;
    }
  }
  return n ? s / n : NaN;
}

function interval(samples: Float64Array, point: number): Interval {
  const finite = Array.from(samples).filter(Number.isFinite).sort((a, b) => a - b);
  if (!Number.isFinite(point)) return { mean: null, ci_low: null, ci_high: null };
  if (!finite.length) return { mean: point, ci_low: null, ci_high: null };
  return { mean: point, ci_low: quantile(finite, 0.025), ci_high: quantile(finite, 0.975) };
}

const orNull = (x: number) => (Number.isFinite(x) ? x : null);

export function analyze(inp: AnalysisInput): { rows: GridRow[]; analysis: Analysis } {
  const k = inp.testItems.length;
  const R = inp.reps;
  const groups = new Map<string, Group>();
  for (const c of inp.cells) {
    const key = `${c.strategy}|${c.trainLabel}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { strategy: c.strategy, trainBins: c.trainBins, label: c.trainLabel, seeds: [], x: [] }));
    g.seeds.push(c.seed);
    g.x.push(vectors(inp.testItems, c.correct));
  }
  const G = [...groups.values()];
  const base = inp.baseline ? vectors(inp.testItems, inp.baseline) : null;
  const pooled = (g: Group, b: number, idx: Int32Array | null) => {
    let s = 0;
    for (const xs of g.x) s += meanAt(xs[b], idx);
    return s / g.x.length;
  };
  // point estimates: gain when there is a baseline, else accuracy
  const point = G.map((g) => Array.from({ length: k }, (_, b) => pooled(g, b, null) - (base ? meanAt(base[b], null) : 0)));
  // replicates [g][b][r]
  const reps = G.map(() => Array.from({ length: k }, () => new Float64Array(R)));
  const r = rng(inp.seed ?? 1);
  for (let rep = 0; rep < R; rep++) {
    for (let b = 0; b < k; b++) {
      const n = inp.testItems[b].length;
      const idx = new Int32Array(n);
      for (let t = 0; t < n; t++) idx[t] = r.int(n);
      const b0 = base ? meanAt(base[b], idx) : 0;
      G.forEach((g, gi) => { reps[gi][b][rep] = pooled(g, b, idx) - b0; });
    }
  }
  const cis = G.map((g, gi) => point[gi].map((p, b) => interval(reps[gi][b], p)));

  const rows: GridRow[] = [];
  const baseAcc = base ? base.map((x) => meanAt(x, null)) : null;
  G.forEach((g, gi) => g.seeds.forEach((seed, si) => {
    for (let b = 0; b < k; b++) {
      const x = g.x[si][b];
      let n = 0, c = 0;
      for (const v of x) if (v !== MISSING) { n++; c += v; }
      const acc = n ? c / n : NaN;
      rows.push({
        strategy: g.strategy, train_bins: g.label, seed, test_bin: b, n_test: n, correct: c, accuracy: acc,
        baseline_accuracy: baseAcc ? baseAcc[b] : null,
        gain: baseAcc ? acc - baseAcc[b] : null,
        ci_low: cis[gi][b].ci_low, ci_high: cis[gi][b].ci_high,
      });
    }
  }));

  const strategies: StrategySummary[] = G.map((g, gi) => {
    const meanRep = new Float64Array(R);
    for (let rep = 0; rep < R; rep++) {
      let s = 0;
      for (let b = 0; b < k; b++) s += reps[gi][b][rep];
      meanRep[rep] = s / k;
    }
    return {
      strategy: g.strategy, train_bins: g.label, seeds: g.seeds,
      accuracy: Array.from({ length: k }, (_, b) => pooled(g, b, null)),
      gain: base ? point[gi].map(orNull) : point[gi].map(() => null),
      ci_low: base ? cis[gi].map((c) => c.ci_low) : cis[gi].map(() => null),
      ci_high: base ? cis[gi].map((c) => c.ci_high) : cis[gi].map(() => null),
      mean_gain: base ? interval(meanRep, point[gi].reduce((a, b) => a + b, 0) / k) : { mean: null, ci_low: null, ci_high: null },
    };
  });

  // the each-bin matrix and everything read off it
  const each = G.map((g, gi) => ({ g, gi })).filter(({ g }) => g.strategy === 'each-bin' && g.trainBins.length === 1);
  const nullMatrix = () => Array.from({ length: k }, () => Array<number | null>(k).fill(null));
  let gainMatrix: Analysis['gain_matrix'] = null;
  const byDistance: Analysis['by_distance'] = [];
  const bySigned: Analysis['by_signed_distance'] = [];
  let asymmetry: Analysis['asymmetry'] = null;
  let decay: Analysis['decay'] = null;
  if (each.length && base) {
    gainMatrix = { gain: nullMatrix(), ci_low: nullMatrix(), ci_high: nullMatrix(), accuracy: nullMatrix() };
    for (const { g, gi } of each) {
      const t = g.trainBins[0];
      for (let b = 0; b < k; b++) {
        gainMatrix.gain[t][b] = orNull(point[gi][b]);
        gainMatrix.ci_low[t][b] = cis[gi][b].ci_low;
        gainMatrix.ci_high[t][b] = cis[gi][b].ci_high;
        gainMatrix.accuracy[t][b] = orNull(pooled(g, b, null));
      }
    }
    const summarize = (select: (t: number, b: number) => boolean): Interval & { cells: number; samples: Float64Array } => {
      const samples = new Float64Array(R);
      let p = 0, cells = 0;
      for (const { g, gi } of each) {
        const t = g.trainBins[0];
        for (let b = 0; b < k; b++) {
          if (!select(t, b) || !Number.isFinite(point[gi][b])) continue;
          cells++;
          p += point[gi][b];
          for (let rep = 0; rep < R; rep++) samples[rep] += reps[gi][b][rep];
        }
      }
      if (!cells) return { mean: null, ci_low: null, ci_high: null, cells, samples };
      for (let rep = 0; rep < R; rep++) samples[rep] /= cells;
      return { ...interval(samples, p / cells), cells, samples };
    };
    const drop = ({ samples: _s, ...rest }: Interval & { cells: number; samples: Float64Array }) => rest;
    const dist: Array<Interval & { cells: number; samples: Float64Array }> = [];
    for (let d = 0; d < k; d++) {
      const s = summarize((t, b) => Math.abs(b - t) === d);
      dist.push(s);
      if (s.cells) byDistance.push({ distance: d, ...drop(s) });
    }
    for (let d = -(k - 1); d < k; d++) {
      const s = summarize((t, b) => b - t === d);
      if (s.cells) bySigned.push({ distance: d, ...drop(s) });
    }
    const easier = summarize((t, b) => b < t);
    const harder = summarize((t, b) => b > t);
    const diff = (a: typeof easier, c: typeof easier): Interval => {
      if (!a.cells || !c.cells) return { mean: null, ci_low: null, ci_high: null };
      const s = a.samples.map((x, rep) => x - c.samples[rep]);
      return interval(s, a.mean! - c.mean!);
    };
    if (easier.cells || harder.cells) asymmetry = { easier: drop(easier), harder: drop(harder), harder_minus_easier: diff(harder, easier) };
    const far = [...dist].reverse().find((s) => s.cells > 0);
    if (dist[0].cells && far && far !== dist[0]) decay = diff(dist[0], far);
  }
  const farthest = byDistance.length ? byDistance[byDistance.length - 1] : undefined;
  return {
    rows,
    analysis: {
      k,
      n_test: inp.testItems.map((x) => x.length),
      bootstrap: R,
      baseline_accuracy: baseAcc,
      strategies,
      gain_matrix: gainMatrix,
      by_distance: byDistance,
      by_signed_distance: bySigned,
      asymmetry,
      decay,
      headline: {
        on_training_bin: byDistance.find((d) => d.distance === 0)?.mean ?? null,
        distance_1: byDistance.find((d) => d.distance === 1)?.mean ?? null,
        farthest: farthest && farthest.distance > 0 ? farthest.mean : null,
        farthest_distance: farthest && farthest.distance > 0 ? farthest.distance : null,
      },
    },
  };
}

export const GRID_COLUMNS = ['strategy', 'train_bins', 'seed', 'test_bin', 'n_test', 'correct', 'accuracy', 'baseline_accuracy', 'gain', 'ci_low', 'ci_high'] as const;
