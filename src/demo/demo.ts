/**
 * The whole study in miniature, on CPU: items from a task family → a zoo of small models answers them → IRT
 * difficulty → bins with held-out test items → the each-bin grid (plus `all` and the untrained baseline) with the
 * built-in learner → analysis and report.html (with PNG figures). Every stage leaves its files
 * in the demo folder and is skipped when they are already there, so a killed demo resumes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.js';
import { shareLevels } from '../tasks/shareLevels.js';
import { safeJson } from '../util/csv.js';
import { knobAgreement, recordKnob, type KnobAgreement } from './knob.js';
import { buildZoo, readZoo } from '../tinylm/zoo.js';
import { fitFiles } from '../irt/fitFiles.js';
import { binsFromFit } from '../difficulty/binsFromFit.js';
import { runStudy, type StudyRunResult } from '../study/runner.js';
import type { Progress } from '../util/progress.js';
import { stringify } from 'yaml';
import { writeReport } from '../report/report.js';
import { DEMO_FAMILY } from './family.js';

export interface DemoOptions {
  out: string;
  quick?: boolean;
  family?: string;
  signal?: AbortSignal;
  /** one line per stage event */
  say?: (s: string) => void;
  progress?: Progress;
  /** the zoo stage's bar over its training runs */
  zooProgress?: Progress;
}

export interface DemoSettings {
  family: string;
  items: number;
  k: number;
  testFraction: number;
  seeds: number[];
  steps: number;
  lr: number;
}

export { DEMO_FAMILY };

export function demoSettings(quick: boolean, family = DEMO_FAMILY): DemoSettings {
  return quick
    ? { family, items: 500, k: 5, testFraction: 0.3, seeds: [1], steps: 100, lr: 3e-4 }
    : { family, items: 1000, k: 10, testFraction: 0.25, seeds: [1, 2, 3], steps: 120, lr: 3e-4 };
}

export interface DemoResult {
  study: StudyRunResult;
  files: Record<string, string>;
  seconds: Record<string, number>;
  /** how well the family's level explains the zoo's difficulty */
  knob: KnobAgreement;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const s = demoSettings(o.quick ?? false, o.family);
  const say = o.say ?? (() => undefined);
  const out = o.out;
  fs.mkdirSync(out, { recursive: true });
  const f = {
    items: path.join(out, 'items.jsonl'),
    zoo: path.join(out, 'zoo'),
    responses: path.join(out, 'zoo', 'responses.csv'),
    fit: path.join(out, 'fit'),
    bins: path.join(out, 'bins.csv'),
    config: path.join(out, 'study.yaml'),
    grid: path.join(out, 'grid.csv'),
    analysis: path.join(out, 'analysis.json'),
    levels: path.join(out, 'levels.json'),
  };
  const seconds: Record<string, number> = {};
  const stage = async <T>(n: number, name: string, done: boolean, work: () => Promise<T> | T): Promise<T | undefined> => {
    if (o.signal?.aborted) throw o.signal.reason;
    if (done) {
      say(`[${n}/5] ${name}: already done, kept`);
      return undefined;
    }
    say(`[${n}/5] ${name} ...`);
    const t0 = Date.now();
    const r = await work();
    seconds[name] = (Date.now() - t0) / 1000;
    say(`[${n}/5] ${name}: done in ${seconds[name].toFixed(1)} s`);
    return r;
  };
  // half of each level's distinct prompts at most, so the zoo trains on every level the study scores
  await stage(1, `items (${s.items} ${s.family}, leaving half of each level's prompts to the zoo)`, fs.existsSync(f.items), () => {
    const { items, levels } = shareLevels(s.family, s.items, 1);
    writeFileAtomic(f.levels, safeJson(levels));
    writeFileAtomic(f.items, items.map((x) => JSON.stringify(x)).join('\n') + '\n');
    for (const l of levels) if (l.left_out) say(`      level ${l.level} left out: only ${l.distinct} distinct prompts, too few to split between the study and the zoo`);
  });
  await stage(2, 'zoo: train small models and collect their answers', fs.existsSync(path.join(f.zoo, 'zoo.json')), () =>
    buildZoo({ items: f.items, out: f.zoo, quick: o.quick, signal: o.signal, progress: o.zooProgress, onLine: o.zooProgress ? undefined : (l) => say(`      ${l}`) }),
  );
  await stage(3, 'IRT fit (Rasch, MML) and bins', fs.existsSync(f.bins), async () => {
    await fitFiles([f.responses], {}, { model: 'rasch', method: 'mml' }, f.fit);
    binsFromFit(f.fit, f.bins, { k: s.k, testFraction: s.testFraction, seed: 1 });
  });
  // the base model: the zoo checkpoint of the main run closest to half right, so training has room either way
  const zoo = readZoo(f.zoo);
  const main = zoo.models.filter((m) => m.run === zoo.models[0].run);
  const base = main.reduce((a, b) => (Math.abs(b.accuracy - 0.5) < Math.abs(a.accuracy - 0.5) ? b : a));
  // a copy under a fixed name, so other configs (examples/study-builtin*.yaml) can name the demo's base model
  const baseDir = path.join(out, 'base');
  if (!fs.existsSync(path.join(baseDir, 'model.json'))) {
    fs.mkdirSync(baseDir, { recursive: true });
    fs.copyFileSync(path.join(base.checkpoint, 'weights.bin'), path.join(baseDir, 'weights.bin'));
    fs.copyFileSync(path.join(base.checkpoint, 'model.json'), path.join(baseDir, 'model.json'));
  }
  const config = {
    data: { items: 'items.jsonl', bins: 'bins.csv' },
    strategies: ['each-bin', 'all'],
    seeds: s.seeds,
    base_model: 'base',
    learner: { kind: 'builtin', steps: s.steps, lr: s.lr, batch: 64 },
    evaluator: { kind: 'builtin' },
    parallel: 2,
    bootstrap: 1000,
  };
  writeFileAtomic(f.config, `# written by gradus demo; run it again with: gradus study ${f.config} --out ${out}\n${stringify(config)}`);
  let study: StudyRunResult | undefined;
  await stage(4, `grid: fine-tune the base (${path.basename(base.checkpoint)}, ${(100 * base.accuracy).toFixed(0)}% right) on each bin`, false, async () => {
    study = await runStudy(f.config, out, { signal: o.signal, progress: o.progress });
  });
  const knob = knobAgreement(f.fit, f.items);
  recordKnob(f.analysis, knob);
  const report = path.join(out, 'report.html');
  await stage(5, 'report', false, () => writeReport(out, { out: report, png: path.join(out, 'figures') }));
  return { study: study!, files: { ...f, report }, seconds, knob };
}
