/**
 * The report's evaluation section (Vega-Lite specs, pure functions of EvaluateData): each model's whole-bank accuracy
 * with its 95% interval, accuracy per difficulty bin with intervals (the difficulty-aware view), and, for adaptive
 * tests, θ with its 95% band and the SE against the number of items asked.
 */
import type { EvaluateData, EvalRow } from './evaluateData.js';

export interface EvalFigure {
  id: string;
  section: string;
  title: string;
  caption: string;
  spec: Record<string, unknown>;
}

const SECTION = 'Evaluation';
const num = (s: string | undefined) => (s === undefined || s === '' ? NaN : Number(s));
const spec = (values: unknown[], rest: Record<string, unknown>, height = 280) => ({ $schema: 'https://vega.github.io/schema/vega-lite/v6.json', width: 520, height, data: { values }, ...rest });

/** At most `n` models, spread over the range of accuracy, so a thousand models still make a readable figure. */
function spread(rows: EvalRow[], n: number): EvalRow[] {
  const ok = rows.filter((r) => Number.isFinite(num(r.accuracy))).sort((x, y) => num(x.accuracy) - num(y.accuracy));
  return ok.length <= n ? ok : Array.from({ length: n }, (_, j) => ok[Math.round((j * (ok.length - 1)) / (n - 1))]);
}

function overall(d: EvaluateData): EvalFigure | null {
  const keep = spread(d.estimates, 40);
  if (!keep.length) return null;
  const values = keep.map((r) => ({ model: r.model, accuracy: 100 * num(r.accuracy), lo: 100 * num(r.ci_low), hi: 100 * num(r.ci_high), n: num(r.n_answered) }));
  const y = { field: 'model', type: 'nominal', sort: { field: 'accuracy' }, title: null };
  return {
    id: 'eval-accuracy', section: SECTION, title: 'Accuracy on the whole bank, with 95% intervals',
    caption: `${keep.length} of ${d.estimates.length} models${keep.length < d.estimates.length ? ' (spread over the range of accuracy)' : ''}; estimated from ${Math.round(values.reduce((s, v) => s + v.n, 0) / values.length)} answered items on average.`,
    spec: spec(values, { layer: [
      { mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 }, encoding: { y, x: { field: 'lo', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } }, x2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, tooltip: true }, encoding: { y, x: { field: 'accuracy', type: 'quantitative' }, tooltip: [{ field: 'model' }, { field: 'accuracy', format: '.1f' }, { field: 'lo', format: '.1f' }, { field: 'hi', format: '.1f' }, { field: 'n' }] } },
    ] }, Math.max(120, 14 * keep.length)),
  };
}

function byBin(d: EvaluateData): EvalFigure | null {
  if (!d.bins?.length) return null;
  const models = new Set(spread(d.estimates, 8).map((r) => r.model));
  const values = d.bins.filter((r) => models.has(r.model) && Number.isFinite(num(r.accuracy))).map((r) => ({ model: r.model, bin: num(r.bin), accuracy: 100 * num(r.accuracy), lo: 100 * num(r.ci_low), hi: 100 * num(r.ci_high), n: num(r.n_answered) }));
  if (!values.length) return null;
  const x = { field: 'bin', type: 'ordinal', title: 'difficulty bin (0 = easiest)' };
  const color = { field: 'model', type: 'nominal', title: 'model' };
  return {
    id: 'eval-bins', section: SECTION, title: 'Accuracy per difficulty bin, with 95% intervals',
    caption: `${models.size} of ${d.estimates.length} models. Observed answers where the model has them, the IRT prediction elsewhere: a bin the model answered nothing of is still estimated, with a wider interval.`,
    spec: spec(values, { encoding: { x, color, xOffset: { field: 'model' } }, layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } }, y2: { field: 'hi' } } },
      { mark: { type: 'point', filled: true, tooltip: true }, encoding: { y: { field: 'accuracy', type: 'quantitative' }, tooltip: [{ field: 'model' }, { field: 'bin' }, { field: 'accuracy', format: '.1f' }, { field: 'lo', format: '.1f' }, { field: 'hi', format: '.1f' }, { field: 'n', title: 'answered' }] } },
    ] }),
  };
}

function trajectory(d: EvaluateData): EvalFigure[] {
  if (!d.trajectory?.length) return [];
  const models = new Set(spread(d.estimates, 8).map((r) => r.model));
  const values = d.trajectory.filter((r) => models.has(r.model)).map((r) => {
    const t = num(r.theta), se = num(r.se_theta);
    return { model: r.model, step: num(r.step), theta: t, lo: t - 1.96 * se, hi: t + 1.96 * se, se };
  });
  const x = { field: 'step', type: 'quantitative', title: 'items asked' };
  const color = { field: 'model', type: 'nominal', title: 'model' };
  return [
    {
      id: 'eval-trajectory', section: SECTION, title: 'Ability θ as items are asked, with its 95% band',
      caption: `${models.size} models of the adaptive test; each line is one model's estimate after each answer.`,
      spec: spec(values, { encoding: { x, color }, layer: [
        { mark: { type: 'area', opacity: 0.15 }, encoding: { y: { field: 'lo', type: 'quantitative', title: 'θ' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: { size: 10 }, tooltip: true }, encoding: { y: { field: 'theta', type: 'quantitative' } } },
      ] }),
    },
    {
      id: 'eval-se', section: SECTION, title: 'Standard error of θ against items asked',
      caption: 'Where each line ends, the test stopped: at the SE target, at the maximum length, or with the bank spent.',
      spec: spec(values, { mark: { type: 'line', point: { size: 10 }, tooltip: true }, encoding: { x, color, y: { field: 'se', type: 'quantitative', title: 'SE of θ' } } }),
    },
  ];
}

export function evaluateFigures(d: EvaluateData | undefined): EvalFigure[] {
  if (!d) return [];
  return [overall(d), byBin(d), ...trajectory(d)].filter((f): f is EvalFigure => f !== null);
}
