import { Option, type Command } from 'commander';
import { ESTIMATORS, type Estimator } from '../../evaluate/ability.js';
import { estimateFiles } from '../../evaluate/folders.js';
import { addReadOptions, example, readOptionsFrom } from '../options.js';
import { addJsonOption, emit, warn } from '../output.js';

export function register(program: Command): void {
  const cmd = program
    .command('estimate')
    .description("new models' ability and accuracy on the fit's whole item bank (and per difficulty bin) from the answers they have, with 95% intervals")
    .argument('<fitdir>', 'a folder written by gradus fit')
    .argument('<responses...>', 'response tables or lm-eval output folders of the models to estimate')
    .requiredOption('--out <file>', 'estimates.csv (and estimates.bins.csv with --bins)')
    .option('--subset <file>', 'subset.csv: use only the answers to these anchors, and correct by them')
    .option('--bins <file>', 'bins.csv: also accuracy per difficulty bin')
    .addOption(new Option('--method <method>', 'ability estimator').choices(ESTIMATORS as string[]).default('eap'))
    .option('--calibration <files...>', 'responses of the calibration models, to learn the correction from (default: the inputs fit.json names)')
    .option('--no-correction', 'IRT reconstruction only, no correction');
  addReadOptions(cmd);
  addJsonOption(cmd);
  example(cmd, 'gradus estimate fit/ new-models.csv --subset subset.csv --bins bins.csv --out estimates.csv');
  cmd.action(async (fitdir: string, responses: string[], o: Record<string, unknown>) => {
    const r = await estimateFiles(fitdir, responses, {
      method: o.method as Estimator,
      subset: o.subset as string | undefined,
      bins: o.bins as string | undefined,
      calibration: o.correction === false ? false : (o.calibration as string[] | undefined),
      read: readOptionsFrom(o),
    }, o.out as string);
    warn(r.notes, 'note');
    const ok = r.rows.filter((x) => x.n_answered > 0);
    emit(o, r, () => `${ok.length} model(s) estimated${r.empty.length ? `, ${r.empty.length} with no usable answer` : ''}; wrote ${r.files.join(', ')}\n`);
  });
}
