import type { Command } from 'commander';
import { example, num } from '../options.js';

export function register(program: Command): void {
  const cmd = program
    .command('report')
    .description('one self-contained HTML report (works offline) of a fit, bins, a study or a demo, plus PNG/SVG figures')
    .argument('<input>', 'a fit folder, a bins.csv, a study folder or a demo folder')
    .option('--out <file>', 'the HTML file', 'report.html')
    .option('--items <file>', 'items table (CSV/JSONL) for item text and labels (default: items.jsonl beside the input)')
    .option('--label <column>', 'a column of the items table to color and compare difficulty by (human difficulty, subtask)')
    .option('--responses <file>', 'responses, for accuracy by bin per model (default: zoo/responses.csv in a demo folder)')
    .option('--stability <file>', 'stability.csv from gradus stability')
    .option('--icc <items>', 'comma-separated item ids for the characteristic curves')
    .option('--svg <dir>', 'also write every figure as SVG here')
    .option('--png <dir>', 'also write every figure as PNG here')
    .option('--scale <x>', 'PNG pixels per SVG unit', '2');
  example(cmd, 'gradus report demo/ --out demo/report.html --png demo/figures');
  cmd.action(async (input: string, o: Record<string, string>) => {
    // the report's modules (Vega, resvg) load only when it runs, so other commands start without them
    const { writeReport } = await import('../../report/report.js');
    const r = await writeReport(input, {
      out: o.out, items: o.items, label: o.label, responses: o.responses, stability: o.stability,
      icc: o.icc?.split(',').map((s) => s.trim()), svg: o.svg, png: o.png, scale: num(o.scale, '--scale'),
    });
    process.stdout.write(`${r.figures.length} figures (${r.figures.join(', ')}); wrote ${r.html}${r.files.length ? ` and ${r.files.length} image files` : ''}\n`);
  });
}
