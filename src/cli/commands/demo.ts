import type { Command } from 'commander';
import { DEMO_FAMILY } from '../../demo/family.js';
import { progressFor } from '../../util/progress.js';
import { example } from '../options.js';

const pts = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`);

export function register(program: Command): void {
  const cmd = program
    .command('demo')
    .description('the whole study in miniature on CPU: tasks → model zoo → IRT → bins → train-bin × test-bin grid → analysis and report')
    .option('--out <dir>', 'demo folder', 'demo')
    .option('--quick', 'a smaller run (500 items, 5 bins, 1 seed, a 4-run zoo): about 3 minutes on 2 cores')
    .option('--family <name>', 'task family', DEMO_FAMILY);
  example(cmd, 'gradus demo --out demo --quick');
  cmd.action(async (o: { out: string; quick?: boolean; family: string }) => {
    const ac = new AbortController();
    const stop = () => {
      process.stderr.write('\ninterrupted: finished stages and cells are kept; run the same command again to resume.\n');
      ac.abort(new Error('interrupted'));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const t0 = Date.now();
    // the whole pipeline's modules load only when the demo runs, so other commands start without them
    const [{ runDemo }, { formatKnob }] = await Promise.all([import('../../demo/demo.js'), import('../../demo/knob.js')]);
    const r = await runDemo({ out: o.out, quick: o.quick, family: o.family, signal: ac.signal, say: (s) => process.stderr.write(`${s}\n`), progress: progressFor(process.stderr), zooProgress: progressFor(process.stderr, false, 'zoo training runs') });
    if (r.study.interrupted) {
      process.exitCode = 130;
      return;
    }
    const h = r.study.headline;
    process.stdout.write(`\ndemo finished in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${o.out}/grid.csv, ${o.out}/analysis.json${r.files.report ? `, report ${r.files.report}` : ''}\n`);
    process.stdout.write(`mean gain on the training bin ${pts(h.on_training_bin)}; at distance 1 ${pts(h.distance_1)}; at the farthest distance (${h.farthest_distance}) ${pts(h.farthest)}\n`);
    process.stdout.write(`${formatKnob(r.knob)}\n`);
    if (r.study.failed.length) {
      for (const f of r.study.failed) process.stderr.write(`failed: ${f.cell}: ${f.error}${f.log ? ` (log: ${f.log})` : ''}\n`);
      process.exitCode = 1;
    }
  });
}
