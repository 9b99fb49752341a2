import { Option, type Command } from 'commander';
import { GradusError } from '../../errors.js';
import { ESTIMATORS, type Estimator } from '../../evaluate/ability.js';
import { CAT_DEFAULTS } from '../../evaluate/cat.js';
import { catToFolder } from '../../evaluate/folders.js';
import { replayResponder } from '../../evaluate/responder.js';
import { SELECTIONS, type Selection } from '../../evaluate/select.js';
import { readResponses } from '../../responses/read.js';
import { progressFor } from '../../util/progress.js';
import { addReadOptions, example, int, num, readOptionsFrom } from '../options.js';
import { addJsonOption, emit } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('cat')
    .description('computerized adaptive testing: ask each model the most informative items until its ability is known well enough')
    .argument('<fitdir>', 'a folder written by gradus fit')
    .option('--replay <responses...>', 'answer from these responses (simulation and validation)')
    .option('--config <file>', 'EVAL.yaml: ask a live model through an evaluator (items with text, evaluator block as in a study)')
    .requiredOption('--out <dir>', 'folder for trajectory.csv, estimates.csv (estimates.bins.csv) and cat.json')
    .addOption(new Option('--select <how>', "item selection: mfi (Fisher information at θ), kl (posterior-weighted Kullback-Leibler), accuracy (the item that most narrows the whole-bank accuracy, with the calibration models' residual correlations), random").choices(SELECTIONS as string[]).default('mfi'))
    .option('--start <theta>', 'ability at which the first item is chosen', '0')
    .addOption(new Option('--estimator <method>', 'ability estimator (ml and wle start Bayes-modal until the answers are mixed)').choices(ESTIMATORS as string[]).default('eap'))
    .option('--stop-se <se>', `stop once the SE of θ is at most this (after --min-items; default ${CAT_DEFAULTS.stopSe}, 0 with --stop-accuracy)`)
    .option('--stop-accuracy <h>', "stop once θ's uncertainty moves the full-bank accuracy by at most ± h (95%; after --min-items)")
    .option('--min-items <n>', 'ask at least this many', '10')
    .option('--max-items <n>', 'ask at most this many', '100')
    .option('--randomesque <k>', 'pick at random among the k best items (exposure control)', '1')
    .option('--balance-by <column>', 'keep each group of this column of --items at its share of the bank (content balancing)')
    .option('--items <file>', 'a per-item table (CSV/JSONL) with the --balance-by column')
    .option('--start-anchors <subset>', 'a subset.csv (gradus subset): ask its items first, then adapt; their weighted mean joins the accuracy')
    .option('--bins <file>', 'bins.csv: also accuracy per difficulty bin')
    .option('--seed <n>', 'seed for random selection and randomesque', '1')
    .option('--calibration <files...>', 'responses of the calibration models, to size the intervals by replaying the test on them (default: the inputs fit.json names)')
    .option('--no-correction', 'intervals from the IRT model alone')
    .option('--quiet', 'no progress lines');
  addReadOptions(cmd);
  addJsonOption(cmd);
  example(cmd, 'gradus cat fit/ --replay new-models.csv --stop-se 0.2 --max-items 100 --bins bins.csv --out cat/');
  example(cmd, 'gradus cat fit/ --replay new-models.csv --stop-accuracy 0.01 --max-items 100 --out cat/');
  example(cmd, 'gradus cat fit/ --replay new-models.csv --select accuracy --stop-se 0 --max-items 50 --out cat/');
  example(cmd, 'gradus subset fit/ --n 25 --method cluster --out anchors.csv && gradus cat fit/ --replay new-models.csv --start-anchors anchors.csv --max-items 50 --out cat/');
  cmd.action(async (fitdir: string, o: Record<string, unknown>) => {
    if ((o.replay === undefined) === (o.config === undefined)) throw new GradusError('give either --replay RESPONSES or --config EVAL.yaml', '--replay answers from a response table; --config asks a live model.');
    // a live test's evaluators (zod schemas, plugins) load only when --config asks for them
    const live = o.config ? await import('../liveResponder.js') : undefined;
    const matrix = o.replay ? (await readResponses(o.replay as string[], readOptionsFrom(o))).matrix : undefined;
    const progress = progressFor(process.stderr, Boolean(o.quiet), 'models');
    const started = new Set<string>();
    const t0 = new Map<string, number>();
    let unknown = 0;
    const r = await catToFolder(fitdir, (bank) => {
      if (!matrix) return live!.liveResponder(o.config as string, bank, o.out as string);
      const rep = replayResponder(bank, matrix);
      unknown = rep.unknownItems;
      if (unknown === matrix.items.length) throw new GradusError(`none of the ${unknown} items in the responses is in the bank`, 'Give responses to the benchmark the fit was made on, with the same item ids.', { file: (o.replay as string[])[0] });
      return rep;
    }, {
      select: o.select as Selection,
      start: num(o.start, '--start'),
      estimator: o.estimator as Estimator,
      stopSe: o.stopSe !== undefined ? num(o.stopSe, '--stop-se') : o.stopAccuracy !== undefined ? 0 : CAT_DEFAULTS.stopSe,
      ...(o.stopAccuracy !== undefined ? { stopAccuracy: num(o.stopAccuracy, '--stop-accuracy') } : {}),
      minItems: int(o.minItems, '--min-items'),
      maxItems: int(o.maxItems, '--max-items', 1),
      randomesque: int(o.randomesque, '--randomesque', 1),
      seed: int(o.seed, '--seed'),
      binsFile: o.bins as string | undefined,
      calibration: o.correction === false ? false : (o.calibration as string[] | undefined),
      balanceBy: o.balanceBy as string | undefined,
      items: o.items as string | undefined,
      startAnchorsFile: o.startAnchors as string | undefined,
    }, o.out as string, {
      onStart: (n, resumed) => {
        progress.start(n, 0);
        if (resumed) progress.say(`resuming: ${resumed} model(s) have steps in trajectory.csv; no item is asked again`);
      },
      onStep: (s) => {
        if (!started.has(s.model)) { started.add(s.model); t0.set(s.model, Date.now()); progress.cellStarted(s.model); }
      },
      onModel: (model) => {
        if (!started.has(model)) progress.cellStarted(model);
        progress.cellDone(model, (Date.now() - (t0.get(model) ?? Date.now())) / 1000);
      },
    });
    progress.end();
    if (r.correction) process.stderr.write(`note: correction learned on ${r.correction.models} calibration models replaying the same test: residual carried ${r.correction.gamma.toFixed(2)}, residual model ${r.correction.residual ? `on ${r.correction.residual.filter((w) => w !== 0).length} items` : 'off'}, interval × ${Math.sqrt(r.correction.kappa).toFixed(2)}; their error ${r.correction.mae.toFixed(4)} (IRT alone ${r.correction.maeIrt.toFixed(4)})\n`);
    if (r.correlation) process.stderr.write(r.correlation.models ? `note: residual correlations learned on ${r.correlation.models} calibration models (shrunk by ${r.correlation.shrink}); the accuracy adds the kriged residuals of the items not asked\n` : `note: no residual correlations (${r.correlation.why}): accuracy selection takes the residuals as independent\n`);
    if (unknown) process.stderr.write(`note: ${unknown} item(s) of the responses are not in the bank and were ignored\n`);
    const asked = r.stops.reduce((s, x) => s + x.n, 0);
    const by = (k: string) => r.stops.filter((s) => s.stop === k).length;
    emit(o, r, () => `${r.stops.length} model(s), ${(asked / Math.max(1, r.stops.length)).toFixed(1)} items each on average; stopped on SE ${by('se')}, on length ${by('max-items')}, bank spent ${by('bank')}; wrote ${r.files.join(', ')}\n`);
  });
}
