import type { Command } from 'commander';
import { readResponses } from '../../responses/read.js';
import { summarize, type GroupSummary, type MatrixSummary } from '../../responses/summary.js';
import { readItemTable, requireColumn } from '../../responses/itemTable.js';
import { GradusError } from '../../errors.js';
import { addReadOptions, example, readOptionsFrom } from '../options.js';

export interface InspectOptions {
  items?: string;
  group?: string;
}

/** Library face of `gradus inspect`. */
export async function inspectResponses(inputs: string[], read: Parameters<typeof readResponses>[1], opts: InspectOptions = {}) {
  if (opts.group && !opts.items) throw new GradusError('--group needs --items', 'Give the items file that holds the group column: --items ITEMS.csv --group COLUMN.');
  const { matrix, report } = await readResponses(inputs, read);
  let groupOf: ((item: string) => string | undefined) | undefined;
  if (opts.items && opts.group) {
    const t = readItemTable(opts.items);
    requireColumn(t, opts.group, '--group');
    groupOf = (id) => {
      const k = t.byItem.get(id);
      return k === undefined ? undefined : t.rows[k][opts.group!];
    };
  }
  return { summary: summarize(matrix, report, groupOf), report };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function lines(s: GroupSummary): string[] {
  return [
    `models                 ${s.models}`,
    `items                  ${s.items}`,
    `responses              ${s.responses}`,
    `share missing          ${pct(s.shareMissing)}`,
    `mean correct           ${s.meanCorrect.toFixed(4)}`,
    `items all correct      ${s.itemsAllCorrect}`,
    `items all wrong        ${s.itemsAllWrong}`,
    `items unanswered       ${s.itemsUnanswered}`,
    `models no correct      ${s.modelsNoCorrect}`,
    `models no wrong        ${s.modelsNoWrong}`,
    `models unanswered      ${s.modelsUnanswered}`,
  ];
}

export function formatSummary(s: MatrixSummary): string {
  const out = lines(s);
  out.push(`duplicates dropped     ${s.duplicatesDropped}`, `conflicts settled      ${s.conflicts}`, `scores cut             ${s.scoresCut}`);
  for (const g of s.groups ?? []) {
    out.push('', `[${g.group}]`, ...lines(g).slice(1).map((l) => `  ${l}`));
  }
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('read responses and print what they hold: size, missing share, accuracy, items and models without variation')
    .argument('<inputs...>', 'response tables (.csv .tsv .jsonl .parquet, optionally .gz) or lm-eval output folders')
    .option('--items <file>', 'a per-item table (CSV/TSV/JSONL with an item column)')
    .option('--group <column>', 'with --items: summarize each group of items too (e.g. subtask)')
    .option('--json', 'print JSON instead of text');
  addReadOptions(cmd);
  example(cmd, 'gradus inspect responses.csv --items items.csv --group subtask');
  cmd.action(async (inputs: string[], o: Record<string, unknown>) => {
    const { summary, report } = await inspectResponses(inputs, readOptionsFrom(o), { items: o.items as string, group: o.group as string });
    if (o.json) process.stdout.write(JSON.stringify({ ...summary, warnings: report.warnings, notes: report.notes }, null, 2) + '\n');
    else {
      process.stdout.write(formatSummary(summary));
      for (const w of report.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const n of report.notes) process.stderr.write(`note: ${n}\n`);
    }
  });
}
