import { Option, type Command } from 'commander';
import { stabilityFromFiles, type StabilityFiles } from '../../difficulty/stabilityFromFiles.js';
import type { DifficultyOn } from '../../difficulty/fromFit.js';
import type { ItemModel, Method } from '../../irt/model.js';
import { ITEM_MODELS, METHODS } from '../../irt/model.js';
import { addReadOptions, example, int, readOptionsFrom } from '../options.js';
import { addJsonOption, emit } from '../output.js';

function formatStability(r: StabilityFiles, on: string, out: string | undefined): string {
  const hist = new Array(5).fill(0);
  for (const s of r.sameBin) hist[Math.min(4, Math.floor(s * 5))]++;
  return (
    `${r.models} models × ${r.items} items, ${r.bootstrap} resamples of the models, ${r.k} bins by ${on}\n` +
    `Spearman(original, resample): median ${r.spearman.median.toFixed(3)}, 5–95% ${r.spearman.p05.toFixed(3)} .. ${r.spearman.p95.toFixed(3)}\n` +
    `items in their original bin: ${(100 * r.meanSameBin).toFixed(1)}% of resamples on average\n` +
    `items by share of resamples in their bin: <20% ${hist[0]}, 20–40% ${hist[1]}, 40–60% ${hist[2]}, 60–80% ${hist[3]}, ≥80% ${hist[4]}\n` +
    (out ? `wrote ${out}\n` : '')
  );
}

export function register(program: Command): void {
  const cmd = program
    .command('stability')
    .description('bootstrap the models: how often each item stays in its difficulty bin, and how stable the ranking is')
    .argument('<inputs...>', 'response tables or lm-eval output folders')
    .option('--bootstrap <n>', 'resamples of the models', '200')
    .option('--k <n>', 'number of bins', '10')
    .addOption(new Option('--on <difficulty>', 'b or p_correct').choices(['b', 'p_correct']).default('b'))
    .addOption(new Option('--model <model>', 'item model of each refit').choices(ITEM_MODELS as string[]).default('rasch'))
    .addOption(new Option('--method <method>', 'estimator of each refit (jml is the fast one)').choices(METHODS as string[]).default('jml'))
    .option('--seed <n>', 'resampling seed', '1')
    .option('--out <file>', 'per-item CSV: item,difficulty,bin,same_bin');
  addJsonOption(cmd);
  addReadOptions(cmd);
  example(cmd, 'gradus stability responses.csv --bootstrap 200 --k 10 --out stability.csv');
  cmd.action(async (inputs: string[], o: Record<string, string>) => {
    const tty = process.stderr.isTTY;
    const r = await stabilityFromFiles(inputs, readOptionsFrom(o), {
      bootstrap: int(o.bootstrap, '--bootstrap', 1),
      k: int(o.k, '--k', 1),
      on: o.on as DifficultyOn,
      seed: int(o.seed, '--seed'),
      fit: { model: o.model as ItemModel, method: o.method as Method },
      onProgress: (d, t) => {
        if (tty) process.stderr.write(`\rresample ${d}/${t}`);
        else if (d % Math.max(1, Math.round(t / 10)) === 0) process.stderr.write(`resample ${d}/${t}\n`);
      },
    }, o.out);
    if (tty) process.stderr.write('\n');
    emit(o, { ...r, ...(o.out ? { out: o.out } : {}) }, () => formatStability(r, o.on, o.out));
  });
}
