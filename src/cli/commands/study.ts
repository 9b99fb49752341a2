import type { Command } from 'commander';
import { runStudy } from '../../study/runner.js';
import { progressFor } from '../../study/progress.js';
import { example } from '../options.js';

const pct = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`);

export function register(program: Command): void {
  const cmd = program
    .command('study')
    .description('run the train-bin × test-bin grid of a study config (resumable: run it again to go on)')
    .argument('<config>', 'study config, YAML or JSON (see README: study config)')
    .requiredOption('--out <dir>', 'study folder: cells/, grid.csv, analysis.json, study.json')
    .option('--force', 'go on in a folder made with a different config (cells whose inputs changed rerun)')
    .option('--quiet', 'print only failures and the summary');
  example(cmd, 'gradus study examples/study-command-openai.yaml --out runs/arc-study');
  cmd.action(async (config: string, o: { out: string; force?: boolean; quiet?: boolean }) => {
    const ac = new AbortController();
    const stop = (sig: string) => {
      if (ac.signal.aborted) return;
      process.stderr.write(`\n${sig}: stopping the running cells; finished cells are kept. Run the same command again to resume.\n`);
      ac.abort(new Error(sig));
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      const r = await runStudy(config, o.out, { force: o.force, signal: ac.signal, progress: progressFor(process.stderr, o.quiet) });
      if (r.interrupted) {
        process.stderr.write(`interrupted: ${r.resumed + r.ran} of ${r.cells} cells finished and kept.\n`);
        process.exitCode = 130;
        return;
      }
      const h = r.headline;
      process.stdout.write(`${r.cells} cells: ${r.resumed} resumed, ${r.ran} run, ${r.failed.length} failed\n`);
      if (h.on_training_bin !== null) {
        process.stdout.write(`mean gain on the training bin ${pct(h.on_training_bin)}, at distance 1 ${pct(h.distance_1)}, at the farthest distance (${h.farthest_distance}) ${pct(h.farthest)}\n`);
      }
      process.stdout.write(`wrote ${r.grid} and ${r.analysis}\n`);
      for (const f of r.failed) process.stderr.write(`failed: ${f.cell}: ${f.error}${f.log ? ` (log: ${f.log})` : ''}\n`);
      if (r.failed.length) process.exitCode = 1;
    } finally {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    }
  });
}
