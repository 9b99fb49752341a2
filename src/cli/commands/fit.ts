import { Option, type Command } from 'commander';
import type { FitInfo, FitOptions } from '../../irt/fit.js';
import { fitFiles } from '../../irt/fitFiles.js';
import { ABILITY_METHODS } from '../../irt/abilities.js';
import { ITEM_MODELS, METHODS } from '../../irt/model.js';
import { addReadOptions, example, int, num, readOptionsFrom } from '../options.js';
import { addJsonOption, emit, warn } from '../output.js';

function formatFit(i: FitInfo, out: string, seconds: number): string {
  return (
    `${i.model} by ${i.method}: ${i.n_models} models × ${i.n_items} items, ${i.n_responses} responses\n` +
    `log-likelihood ${i.loglik.toFixed(3)} (${i.loglik_kind}), ${i.iterations} iterations, ${i.converged ? 'converged' : 'NOT converged'}, ${seconds.toFixed(1)} s\n` +
    (i.model === 'rasch' && i.method === 'mml' ? `latent variance ${i.latent_var.toFixed(4)}\n` : '') +
    (i.holdout ? `held out ${i.holdout.n}: log-loss ${i.holdout.logloss.toFixed(4)}, accuracy ${i.holdout.accuracy.toFixed(4)}, AUC ${i.holdout.auc.toFixed(4)}\n` : '') +
    (i.held_finite.items.length || i.held_finite.models.length ? `held finite: ${i.held_finite.items.length} items, ${i.held_finite.models.length} models (${i.held_finite.how})\n` : '') +
    (i.dropped_items.length ? `dropped: ${i.dropped_items.length} items nobody answered\n` : '') +
    `wrote ${out}/items.csv, models.csv, fit.json\n`
  );
}

export function register(program: Command): void {
  const cmd = program
    .command('fit')
    .description('fit an IRT model: item difficulties (b), slopes (a), guessing (c) and model abilities (θ)')
    .argument('<inputs...>', 'response tables or lm-eval output folders')
    .requiredOption('--out <dir>', 'folder for items.csv, models.csv and fit.json')
    .addOption(new Option('--model <model>', 'item model').choices(ITEM_MODELS as string[]).default('rasch'))
    .addOption(new Option('--method <method>', 'mml: marginal ML by EM (mirt-exact); jml: joint ML (fast, very large data); map: joint MAP with priors').choices(METHODS as string[]).default('mml'))
    .option('--guessing <c>', '3pl: fix every c at this value (e.g. 0.25 for four options)')
    .addOption(new Option('--abilities <method>', 'how model abilities are reported (default eap after mml, the joint estimate after jml/map)').choices([...ABILITY_METHODS, 'joint']))
    .option('--holdout <share>', 'hide this share of responses, fit on the rest, and report held-out log-loss, accuracy and AUC')
    .option('--seed <n>', 'seed for --holdout', '1')
    .option('--tol <x>', 'convergence tolerance on the largest parameter change')
    .option('--max-iter <n>', 'iteration limit')
    .option('--quadpts <n>', 'mml: quadrature points on [-6, 6]', '61')
    .addOption(new Option('--finish <how>', 'mml: plain (EM to the grid maximum, as mirt) or px (stop at the parameter-expanded fixed point: faster on long tests); default: plain up to 2,000 × 1,000-size data').choices(['plain', 'px']));
  addJsonOption(cmd);
  addReadOptions(cmd);
  example(cmd, 'gradus fit responses.csv --model 2pl --method mml --holdout 0.1 --out fit/');
  cmd.action(async (inputs: string[], o: Record<string, string>) => {
    const t0 = performance.now();
    const result = await fitFiles(inputs, readOptionsFrom(o), {
      model: o.model as FitOptions['model'],
      method: o.method as FitOptions['method'],
      guessing: o.guessing === undefined ? undefined : num(o.guessing, '--guessing'),
      abilities: o.abilities as FitOptions['abilities'],
      holdout: o.holdout === undefined ? undefined : num(o.holdout, '--holdout'),
      seed: int(o.seed, '--seed'),
      tol: o.tol === undefined ? undefined : num(o.tol, '--tol'),
      maxIter: o.maxIter === undefined ? undefined : int(o.maxIter, '--max-iter', 1),
      quadpts: int(o.quadpts, '--quadpts', 5),
      finish: o.finish as FitOptions['finish'],
    }, o.out);
    const i = result.info;
    emit(o, { ...i, out: o.out }, () => formatFit(i, o.out, (performance.now() - t0) / 1000));
    warn(i.warnings);
    if (!i.converged) process.exitCode = 1;
  });
}
