/**
 * The report's figures as Vega-Lite specs, built from ReportData by pure functions (one per figure). The same spec
 * renders in the page (compiled to Vega) and to SVG/PNG in Node.
 */
import { labelOrder } from '../difficulty/agree.js';
import { kendallTauB, spearman } from '../difficulty/rank.js';
import type { FitItem, ReportData } from './collect.js';
import { evaluateFigures } from './evaluateFigures.js';

export interface Figure {
  id: string;
  section: string;
  title: string;
  caption: string;
  spec: Record<string, unknown>;
}

const W = 520, H = 280;
const base = (data: unknown[], rest: Record<string, unknown>) => ({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: W, height: H, data: { values: data }, ...rest });
const pct = (x: number) => `${(100 * x).toFixed(1)}`;

/** difficulty per item: IRT b from the fit, else the bins' difficulty */
export function difficulties(d: ReportData): Array<{ item: string; difficulty: number }> {
  if (d.fit) return d.fit.items.map((r) => ({ item: r.item, difficulty: r.b })).filter((r) => Number.isFinite(r.difficulty));
  return (d.bins ?? []).map((r) => ({ item: r.item, difficulty: r.difficulty }));
}

function label(d: ReportData, item: string): string | undefined {
  return d.label ? d.itemInfo?.get(item)?.[d.label] : undefined;
}

function histogram(d: ReportData): Figure {
  const values = difficulties(d).map((r) => ({ ...r, label: label(d, r.item) ?? 'all items' }));
  const by = d.label && d.itemInfo ? d.label : null;
  return {
    id: 'difficulty-histogram', section: 'Difficulty', title: 'Item difficulty',
    caption: `${values.length} items${by ? `, colored by ${by}` : ''}. ${d.fit ? 'IRT difficulty b (higher is harder).' : 'Difficulty as binned.'}`,
    spec: base(values, {
      mark: { type: 'bar', tooltip: true },
      encoding: {
        x: { field: 'difficulty', type: 'quantitative', bin: { maxbins: 40 }, title: 'difficulty' },
        y: { aggregate: 'count', type: 'quantitative', title: 'items' },
        color: by ? { field: 'label', type: 'nominal', title: by, sort: labelSort(values.map((v) => v.label)) } : { value: '#4c78a8' },
      },
    }),
  };
}

function labelSort(values: string[]): string[] {
  try {
    return labelOrder(values);
  } catch {
    return [...new Set(values)].sort();
  }
}

function wright(d: ReportData): Figure | null {
  if (!d.fit) return null;
  const values = [
    ...d.fit.models.map((r) => ({ kind: 'models: ability θ', value: r.theta })),
    ...d.fit.items.map((r) => ({ kind: 'items: difficulty b', value: r.b })),
  ].filter((r) => Number.isFinite(r.value));
  return {
    id: 'wright-map', section: 'Difficulty', title: 'Wright map',
    caption: 'Models and items on one θ scale: a model at θ answers an item at b = θ correctly half the time (Rasch/2PL).',
    spec: { ...base(values, {}), height: 120, mark: { type: 'bar', tooltip: true }, encoding: {
      x: { field: 'value', type: 'quantitative', bin: { maxbins: 50 }, title: 'θ' },
      y: { aggregate: 'count', type: 'quantitative', title: 'count' },
      row: { field: 'kind', type: 'nominal', title: null },
      color: { field: 'kind', type: 'nominal', legend: null },
    }, resolve: { scale: { y: 'independent' } } },
  };
}

const P = (theta: number, a: number, b: number, c: number) => c + (1 - c) / (1 + Math.exp(-a * (theta - b)));
const grid = Array.from({ length: 81 }, (_, k) => -4 + k * 0.1);
const params = (r: FitItem) => ({ a: Number.isFinite(r.a) ? r.a : 1, b: r.b, c: Number.isFinite(r.c) ? r.c : 0 });

function icc(d: ReportData, chosen?: string[]): Figure | null {
  if (!d.fit) return null;
  const rows = d.fit.items.filter((r) => Number.isFinite(r.b));
  if (!rows.length) return null;
  let pick: FitItem[];
  if (chosen?.length) pick = rows.filter((r) => chosen.includes(r.item));
  else {
    const sorted = [...rows].sort((x, y) => x.b - y.b);
    pick = [0.05, 0.25, 0.5, 0.75, 0.95].map((q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
    pick = [...new Set(pick)];
  }
  const values = pick.flatMap((r) => { const p = params(r); return grid.map((t) => ({ item: r.item, theta: +t.toFixed(2), p: P(t, p.a, p.b, p.c) })); });
  return {
    id: 'icc', section: 'Difficulty', title: 'Item characteristic curves',
    caption: chosen?.length ? 'The chosen items.' : 'Items at the 5th, 25th, 50th, 75th and 95th percentile of difficulty (choose with --icc).',
    spec: base(values, { mark: { type: 'line', tooltip: true }, encoding: {
      x: { field: 'theta', type: 'quantitative', title: 'ability θ' },
      y: { field: 'p', type: 'quantitative', title: 'P(correct)', scale: { domain: [0, 1] } },
      color: { field: 'item', type: 'nominal' },
    } }),
  };
}

function information(d: ReportData): Figure | null {
  if (!d.fit) return null;
  const ps = d.fit.items.map(params).filter((p) => Number.isFinite(p.b));
  const values = grid.map((t) => {
    let info = 0;
    for (const p of ps) {
      const pr = P(t, p.a, p.b, p.c);
      info += (p.a * p.a * (pr - p.c) ** 2 * (1 - pr)) / ((1 - p.c) ** 2 * pr);
    }
    return { theta: +t.toFixed(2), information: info };
  });
  return {
    id: 'information', section: 'Difficulty', title: 'Test information',
    caption: 'Where on the ability scale the items measure precisely (the standard error of θ is 1/√information).',
    spec: base(values, { mark: { type: 'area', line: true, opacity: 0.3, tooltip: true }, encoding: {
      x: { field: 'theta', type: 'quantitative', title: 'ability θ' },
      y: { field: 'information', type: 'quantitative', title: 'information' },
    } }),
  };
}

function binsFigure(d: ReportData): Figure | null {
  if (!d.bins) return null;
  const ranges = new Map<number, [number, number]>();
  for (const r of d.bins) {
    const b = r.bin, x = r.difficulty;
    const g = ranges.get(b) ?? [Infinity, -Infinity];
    ranges.set(b, [Math.min(g[0], x), Math.max(g[1], x)]);
  }
  const values = d.bins.map((r) => ({ bin: r.bin, split: r.split, range: `${ranges.get(r.bin)![0].toFixed(2)} .. ${ranges.get(r.bin)![1].toFixed(2)}` }));
  return {
    id: 'bins', section: 'Bins', title: 'Difficulty bins',
    caption: `${ranges.size} bins, 0 the easiest; each with its held-out test items. Hover for the difficulty range.`,
    spec: base(values, { mark: { type: 'bar', tooltip: true }, encoding: {
      x: { field: 'bin', type: 'ordinal', title: 'bin (0 = easiest)' },
      y: { aggregate: 'count', type: 'quantitative', title: 'items' },
      color: { field: 'split', type: 'nominal', scale: { domain: ['train', 'test'] } },
      tooltip: [{ field: 'bin', type: 'ordinal' }, { field: 'split', type: 'nominal' }, { aggregate: 'count', type: 'quantitative', title: 'items' }, { field: 'range', type: 'nominal', title: 'difficulty range' }],
    } }),
  };
}

function agreement(d: ReportData): Figure | null {
  if (!d.label || !d.itemInfo) return null;
  const values = difficulties(d).map((r) => ({ ...r, label: label(d, r.item) })).filter((r): r is { item: string; difficulty: number; label: string } => r.label !== undefined && r.label !== '');
  if (values.length < 3) return null;
  const order = labelSort(values.map((v) => v.label));
  const rank = values.map((v) => order.indexOf(v.label));
  const rho = spearman(rank, values.map((v) => v.difficulty));
  const tau = kendallTauB(rank, values.map((v) => v.difficulty));
  // a demo's analysis.json carries the knob's agreement with its bootstrap interval
  const knob = d.study?.analysis.knob as { feature: string; spearman: { ci_low: number; ci_high: number } } | undefined;
  const interval = knob?.feature === d.label ? ` [${knob.spearman.ci_low.toFixed(3)}, ${knob.spearman.ci_high.toFixed(3)}]` : '';
  return {
    id: 'agreement', section: 'Agreement', title: `${d.label} vs difficulty: Spearman ${rho.toFixed(3)}${interval}, Kendall τb ${tau.toFixed(3)}`,
    caption: `Each item's difficulty by its ${d.label} (box: quartiles; ticks: items). ${interval ? 'In brackets: 95% bootstrap interval over items (analysis.json, knob).' : 'gradus agree gives intervals.'}`,
    spec: base(values, { layer: [
      { mark: { type: 'boxplot', extent: 1.5, opacity: 0.5 }, encoding: { x: { field: 'label', type: 'ordinal', sort: order, title: d.label }, y: { field: 'difficulty', type: 'quantitative' } } },
      { mark: { type: 'tick', opacity: 0.3, tooltip: true }, encoding: { x: { field: 'label', type: 'ordinal', sort: order }, y: { field: 'difficulty', type: 'quantitative' }, tooltip: [{ field: 'item' }, { field: 'difficulty', type: 'quantitative', format: '.3f' }] } },
    ] }),
  };
}

function stabilityFigure(d: ReportData): Figure | null {
  if (!d.stability) return null;
  const values = d.stability.map((r) => ({ item: r.item, difficulty: r.difficulty, bin: r.bin, same_bin: r.same_bin }));
  return {
    id: 'stability', section: 'Stability', title: 'How sure is each item of its bin?',
    caption: 'Share of bootstrap resamples of the models in which the item stayed in its bin; items near bin edges move most.',
    spec: base(values, { mark: { type: 'point', filled: true, opacity: 0.6, tooltip: true }, encoding: {
      x: { field: 'difficulty', type: 'quantitative' },
      y: { field: 'same_bin', type: 'quantitative', title: 'share in the same bin', scale: { domain: [0, 1] } },
      color: { field: 'bin', type: 'ordinal' },
    } }),
  };
}

function heat(id: string, title: string, caption: string, values: Array<Record<string, unknown>>, field: string, diverging: boolean, k: number): Figure {
  const color = diverging
    ? { field, type: 'quantitative', title: 'gain (points)', scale: { scheme: 'redblue', domainMid: 0 } }
    : { field, type: 'quantitative', title: 'accuracy (%)', scale: { scheme: 'viridis', domain: [0, 100] } };
  return {
    id, section: 'Study', title, caption,
    spec: { ...base(values, {}), width: Math.min(W, 48 * k + 40), height: Math.min(W, 40 * k + 40), encoding: {
      x: { field: 'test_bin', type: 'ordinal', title: 'test bin (0 = easiest)' },
      y: { field: 'train', type: 'ordinal', title: 'trained on', sort: null },
    }, layer: [
      { mark: { type: 'rect', tooltip: true }, encoding: { color, tooltip: [{ field: 'train', title: 'trained on' }, { field: 'test_bin', title: 'test bin' }, { field, type: 'quantitative', format: '.1f' }, ...(diverging ? [{ field: 'ci', title: '95% interval' }] : [])] } },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field, type: 'quantitative', format: diverging ? '+.0f' : '.0f' }, color: { value: '#111' } } },
    ] },
  };
}

function studyFigures(d: ReportData): Figure[] {
  if (!d.study) return [];
  const a = d.study.analysis;
  const out: Figure[] = [];
  const k = a.k;
  if (a.gain_matrix) {
    const g = a.gain_matrix;
    const gains: Array<Record<string, unknown>> = [];
    const accs: Array<Record<string, unknown>> = [];
    for (let t = 0; t < k; t++) for (let b = 0; b < k; b++) {
      if (g.gain[t][b] !== null) gains.push({ train: `bin ${t}`, test_bin: b, gain: 100 * g.gain[t][b]!, ci: `${pct(g.ci_low[t][b] ?? NaN)} .. ${pct(g.ci_high[t][b] ?? NaN)}` });
      if (g.accuracy[t][b] !== null) accs.push({ train: `bin ${t}`, test_bin: b, accuracy: 100 * g.accuracy[t][b]! });
    }
    if (a.baseline_accuracy) a.baseline_accuracy.forEach((x, b) => accs.unshift({ train: 'untrained', test_bin: b, accuracy: 100 * x }));
    out.push(heat('gain-heatmap', 'Gain over the untrained model (points)', 'Each row a model trained on one bin, each column a test bin; blue helps, red hurts. Hover for the 95% bootstrap interval (over test items, pooled over seeds).', gains, 'gain', true, k));
    out.push(heat('accuracy-heatmap', 'Accuracy by training and test bin (%)', 'The top row is the untrained model.', accs, 'accuracy', false, k + 1));
  }
  if (a.by_signed_distance?.length) {
    const values = a.by_signed_distance.filter((r) => r.mean !== null).map((r) => ({ distance: r.distance, gain: 100 * r.mean!, lo: 100 * (r.ci_low ?? r.mean!), hi: 100 * (r.ci_high ?? r.mean!) }));
    out.push({
      id: 'gain-distance', section: 'Study', title: 'Gain by distance between training and test bin',
      caption: 'Negative distances: test bins easier than the training bin; positive: harder. Bars: 95% bootstrap intervals.',
      spec: base(values, { layer: [
        { mark: { type: 'rule', color: '#999' }, encoding: { y: { datum: 0, type: 'quantitative' } } },
        { mark: 'errorbar', encoding: { x: { field: 'distance', type: 'quantitative', title: 'test bin − training bin' }, y: { field: 'lo', type: 'quantitative', title: 'mean gain (points)' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: true, tooltip: true }, encoding: { x: { field: 'distance', type: 'quantitative' }, y: { field: 'gain', type: 'quantitative' } } },
      ] }),
    });
  }
  const lines = a.strategies.flatMap((s) => s.gain.map((g, b) => (g === null ? null : { strategy: s.strategy === 'each-bin' ? `bin ${s.train_bins}` : `${s.strategy} (${s.train_bins})`, each: s.strategy === 'each-bin', test_bin: b, gain: 100 * g }))).filter((x) => x !== null);
  if (lines.length) {
    out.push({
      id: 'strategy-lines', section: 'Study', title: 'Gain across test bins, per training set',
      caption: 'One line per training set: single bins (thin) and mixtures or curricula (thick).',
      spec: base(lines, { mark: { type: 'line', point: true, tooltip: true }, encoding: {
        x: { field: 'test_bin', type: 'ordinal', title: 'test bin' },
        y: { field: 'gain', type: 'quantitative', title: 'gain (points)' },
        color: { field: 'strategy', type: 'nominal', title: 'trained on', sort: null },
        strokeWidth: { condition: { test: 'datum.each', value: 1 }, value: 3 },
      } }),
    });
  }
  return out;
}

function modelBins(d: ReportData): Figure | null {
  if (!d.modelBins?.length) return null;
  const models = [...new Set(d.modelBins.map((r) => r.model))];
  const overall = new Map(models.map((m) => {
    const rows = d.modelBins!.filter((r) => r.model === m);
    return [m, rows.reduce((s, r) => s + r.accuracy * r.n, 0) / rows.reduce((s, r) => s + r.n, 0)];
  }));
  // at most 60 lines, spread over the range of overall accuracy
  const sorted = [...models].sort((x, y) => overall.get(x)! - overall.get(y)!);
  const keep = new Set(sorted.length <= 60 ? sorted : Array.from({ length: 60 }, (_, j) => sorted[Math.round((j * (sorted.length - 1)) / 59)]));
  const values = d.modelBins.filter((r) => keep.has(r.model)).map((r) => ({ ...r, accuracy: 100 * r.accuracy, overall: 100 * overall.get(r.model)! }));
  return {
    id: 'model-bins', section: 'Models', title: 'Accuracy by difficulty bin, per model',
    caption: `${keep.size} of ${models.length} models${keep.size < models.length ? ' (spread over the range of overall accuracy)' : ''}; color: overall accuracy.`,
    spec: base(values, { mark: { type: 'line', point: { size: 12 }, opacity: 0.7, tooltip: true }, encoding: {
      x: { field: 'bin', type: 'ordinal', title: 'difficulty bin (0 = easiest)' },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } },
      detail: { field: 'model' },
      color: { field: 'overall', type: 'quantitative', title: 'overall %', scale: { scheme: 'viridis' } },
      tooltip: [{ field: 'model' }, { field: 'bin' }, { field: 'accuracy', format: '.1f' }, { field: 'n' }],
    } }),
  };
}

export function figures(d: ReportData, o: { icc?: string[] } = {}): Figure[] {
  const list: Array<Figure | null> = [
    d.fit || d.bins ? histogram(d) : null, wright(d), icc(d, o.icc), information(d), binsFigure(d),
    agreement(d), stabilityFigure(d), ...studyFigures(d), modelBins(d), ...evaluateFigures(d.evaluate),
  ];
  return list.filter((f): f is Figure => f !== null);
}
