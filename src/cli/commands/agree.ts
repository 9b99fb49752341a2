import type { Command } from 'commander';
import type { AgreeResult } from '../../difficulty/agree.js';
import { agreeFromFiles } from '../../difficulty/agreeFromFit.js';
import { writeFileAtomic } from '../../util/atomic.js';
import { example, int } from '../options.js';
import { addJsonOption, emit, jsonText } from '../output.js';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

function formatAgree(r: AgreeResult): string {
  const line = (name: string, c: { estimate: number; ci_low: number; ci_high: number }) => `  ${name.padEnd(16)} ${f3(c.estimate).padStart(7)}  [${f3(c.ci_low)}, ${f3(c.ci_high)}]`;
  const out = [
    `${r.n_items} items with a ${JSON.stringify(r.label)} label, ordered ${r.order.join(' < ')}${r.items_without_label ? ` (${r.items_without_label} fitted items have none)` : ''}`,
    `label vs IRT difficulty b (95% bootstrap interval, ${r.bootstrap} resamples of items):`,
    line('Spearman', r.b.spearman),
    line('Kendall tau-b', r.b.kendall_tau_b),
    'label vs consensus difficulty (share of models wrong):',
    line('Spearman', r.consensus.spearman),
    line('Kendall tau-b', r.consensus.kendall_tau_b),
    '',
    'label            count   b: mean   q25     median  q75   | consensus: mean  median',
    ...r.per_label.map((p) => `${p.label.padEnd(16)} ${String(p.count).padStart(5)}  ${f3(p.b.mean).padStart(8)} ${f3(p.b.q25).padStart(7)} ${f3(p.b.median).padStart(7)} ${f3(p.b.q75).padStart(7)} | ${f3(p.consensus.mean).padStart(15)} ${f3(p.consensus.median).padStart(7)}`),
    '',
    `labels across ${r.bins.k} bins of b (bin 0 the easiest):`,
    `${''.padEnd(16)} ${Array.from({ length: r.bins.k }, (_, b) => String(b).padStart(5)).join('')}`,
    ...Object.entries(r.bins.counts).map(([l, c]) => `${l.padEnd(16)} ${c.map((x) => String(x).padStart(5)).join('')}`),
  ];
  return out.join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program
    .command('agree')
    .description('how well human difficulty labels agree with model-based difficulty (IRT b and consensus)')
    .argument('<fitdir>', 'a folder written by gradus fit')
    .requiredOption('--items <file>', 'per-item table with the label column (CSV/TSV/JSONL with an item column)')
    .requiredOption('--label <column>', 'the human difficulty label')
    .option('--order <list>', 'label values easiest first, comma-separated (default: numeric, or easy < intermediate < hard words)')
    .option('--k <n>', 'bins for the label spread', '10')
    .option('--bootstrap <n>', 'bootstrap resamples for the intervals', '1000')
    .option('--seed <n>', 'bootstrap seed', '1')
    .option('--out <file>', 'also write the result as JSON to this file');
  addJsonOption(cmd);
  example(cmd, 'gradus agree fit/ --items items.csv --label human_difficulty --order easy,intermediate,hard');
  cmd.action((fitdir: string, o: Record<string, string>) => {
    const r = agreeFromFiles(fitdir, o.items, o.label, {
      order: o.order?.split(',').map((s) => s.trim()),
      k: int(o.k, '--k', 1),
      bootstrap: int(o.bootstrap, '--bootstrap', 1),
      seed: int(o.seed, '--seed'),
    });
    if (o.out) writeFileAtomic(o.out, jsonText(r));
    emit(o, r, () => formatAgree(r));
  });
}
