import { Command, Option } from 'commander';
import { GradusError } from '../errors.js';
import { CONFLICT_POLICIES } from '../responses/builder.js';
import { FORMATS } from '../responses/format.js';
import type { ReadOptions } from '../responses/read.js';

/** The reading options every command that takes responses shares, declared once. */
export function addReadOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--format <format>', 'table format, instead of guessing from the extension').choices(FORMATS as string[]))
    .addOption(new Option('--layout <layout>', 'long (model,item,correct) or wide (a row per model)').choices(['auto', 'long', 'wide']).default('auto'))
    .addOption(new Option('--id-column <which>', 'wide tables: is the first column the model id').choices(['auto', 'first', 'none']).default('auto'))
    .addOption(new Option('--header <which>', 'CSV/TSV: none for a headerless wide matrix (columns numbered 1, 2, ...)').choices(['yes', 'none']))
    .option('--no-cache', 'neither read nor write the matrix cache (GRADUS_CACHE_DIR moves it; off turns it off)')
    .option('--threshold <x>', 'scores at or above this count as correct', '0.5')
    .addOption(new Option('--on-conflict <policy>', 'the same (model, item) with different answers').choices(CONFLICT_POLICIES as string[]).default('error'))
    .option('--metric <name>', 'lm-eval folders: the per-sample metric (default: acc, exact_match, acc_norm, ... whichever comes first)')
    .option('--filter <name>', 'lm-eval folders: which filter to keep when a task logs several (default: the first)');
}

export function readOptionsFrom(o: Record<string, unknown>): ReadOptions {
  return {
    format: o.format as ReadOptions['format'],
    layout: o.layout as ReadOptions['layout'],
    idColumn: o.idColumn as ReadOptions['idColumn'],
    header: o.header as ReadOptions['header'],
    cache: o.cache !== false,
    threshold: num(o.threshold, '--threshold'),
    onConflict: o.onConflict as ReadOptions['onConflict'],
    metric: o.metric as string | undefined,
    filter: o.filter as string | undefined,
  };
}

/** A library option's flag: maxIter → --max-iter, test_on (a study config key) → --test-on. */
export function flagName(option: string): string {
  return `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/_/g, '-')}`;
}

export function num(v: unknown, flag: string): number {
  const x = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(x)) {
    throw new GradusError(`${flag} ${JSON.stringify(v)} is not a number`, `Give ${flag} a number.`);
  }
  return x;
}

export function int(v: unknown, flag: string, min = 0): number {
  const x = num(v, flag);
  if (!Number.isInteger(x) || x < min) throw new GradusError(`${flag} ${v} must be a whole number ≥ ${min}`, `Give ${flag} a whole number.`);
  return x;
}

export function example(cmd: Command, text: string): Command {
  return cmd.addHelpText('after', `\nExample:\n  ${text}\n`);
}
