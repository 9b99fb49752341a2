import type { Command } from 'commander';
import { inspectResponses } from '../../responses/inspect.js';
import type { GroupSummary, MatrixSummary } from '../../responses/summary.js';
import { addReadOptions, example, readOptionsFrom } from '../options.js';
import { addJsonOption, emit, warn } from '../output.js';

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

function formatSummary(s: MatrixSummary): string {
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
    .option('--group <column>', 'with --items: summarize each group of items too (e.g. subtask)');
  addJsonOption(cmd);
  addReadOptions(cmd);
  example(cmd, 'gradus inspect responses.csv --items items.csv --group subtask');
  cmd.action(async (inputs: string[], o: Record<string, unknown>) => {
    const { summary, report } = await inspectResponses(inputs, readOptionsFrom(o), { items: o.items as string, group: o.group as string });
    emit(o, { ...summary, warnings: report.warnings, notes: report.notes }, () => formatSummary(summary));
    warn(report.warnings);
    warn(report.notes, 'note');
  });
}
