import readline from 'node:readline/promises';
import { Option, type Command } from 'commander';
import { progressFor } from '../../util/progress.js';
import { GradusError } from '../../errors.js';
import { example } from '../options.js';

// the study's modules (zod schemas, plugins, executors) load when the command runs, so other commands start without them
const runner = () => import('../../study/runner.js');
const slurm = () => import('../../study/executor/slurm.js');

const pct = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)} points`);

/** On Ctrl-C with cells on a cluster: cancel them, or leave them running for a later resume. */
async function askCancel(out: string): Promise<void> {
  const { StudyStore } = await import('../../study/store.js');
  const jobs = new StudyStore(out).jobs();
  if (!jobs.length) return;
  if (!process.stdin.isTTY) {
    process.stderr.write(`leaving the study's Slurm jobs running; \`gradus study CONFIG --out ${out}\` re-attaches, \`gradus study --cancel ${out}\` cancels them.\n`);
    return;
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const a = await rl.question('Cancel this study\'s queued and running Slurm jobs? [y/N] ');
  rl.close();
  if (/^y/i.test(a.trim())) {
    const gone = await (await slurm()).cancelStudyJobs(out);
    process.stderr.write(`cancelled ${gone.length} job(s).\n`);
  } else process.stderr.write(`left them running; run the same command again to re-attach.\n`);
}

export function register(program: Command): void {
  const cmd = program
    .command('study')
    .description('run the train-bin × test-bin grid of a study config, here or on Slurm (resumable: run it again to go on)')
    .argument('[config]', 'study config, YAML or JSON (see README: study config)')
    .option('--out <dir>', 'study folder: cells/, grid.csv, analysis.json, study.json')
    .option('--force', 'go on in a folder made with a different config (cells whose inputs changed rerun)')
    .option('--quiet', 'print only failures and the summary')
    .addOption(new Option('--test-on <items>', 'score each bin\'s test items, its train items, or all of it (overrides the config\'s test_on)').choices(['test', 'train', 'all']))
    .option('--cancel <dir>', 'cancel the Slurm jobs of the study in DIR (only those) and exit')
    .option('--cell <id>', '(internal: what a Slurm job runs) run this one cell here and exit');
  example(cmd, 'gradus study examples/study-command-openai.yaml --out runs/arc-study');
  cmd.action(async (config: string | undefined, o: { out?: string; force?: boolean; quiet?: boolean; cancel?: string; cell?: string; testOn?: 'test' | 'train' | 'all' }) => {
    const overrides = o.testOn ? { test_on: o.testOn } : {};
    if (o.cancel) {
      const gone = await (await slurm()).cancelStudyJobs(o.cancel);
      process.stdout.write(gone.length ? `cancelled ${gone.length} job(s): ${gone.join(', ')}\n` : 'no queued or running jobs of this study\n');
      return;
    }
    if (!config || !o.out) throw new GradusError('gradus study needs a config and --out', 'For example: gradus study study.yaml --out runs/study (or --cancel DIR).');
    if (o.cell) {
      const [{ runOneCell }, { CellFailure }] = await Promise.all([runner(), import('../../plugins/contract.js')]);
      try {
        await runOneCell(config, o.out, o.cell, overrides);
      } catch (e) {
        if (!(e instanceof CellFailure)) throw e;
        // recorded in the cell's failed.json; the job's exit code tells the scheduler
        process.stderr.write(`gradus: cell ${o.cell} failed: ${e.message}${e.log ? ` (log: ${e.log})` : ''}\n`);
        process.exitCode = 1;
      }
      return;
    }
    const ac = new AbortController();
    const stop = (sig: string) => {
      if (ac.signal.aborted) return;
      process.stderr.write(`\n${sig}: stopping; finished cells are kept. Run the same command again to resume.\n`);
      ac.abort(new Error(sig));
    };
    const onInt = () => stop('SIGINT');
    const onTerm = () => stop('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    try {
      const r = await (await runner()).runStudy(config, o.out, { force: o.force, overrides, signal: ac.signal, progress: progressFor(process.stderr, o.quiet) });
      if (r.interrupted) {
        process.stderr.write(`interrupted: ${r.resumed + r.ran} of ${r.cells} cells finished and kept.\n`);
        await askCancel(o.out);
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
