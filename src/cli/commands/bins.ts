import path from 'node:path';
import { Option, type Command } from 'commander';
import { writeFileAtomic } from '../../util/atomic.js';
import { safeJson } from '../../util/csv.js';
import { makeBins, type BinBy, type BinRow } from '../../difficulty/bins.js';
import { writeBins } from '../../difficulty/binsFile.js';
import { readFitDifficulty, type DifficultyOn } from '../../difficulty/fromFit.js';
import { readItemTable, requireColumn } from '../../responses/itemTable.js';
import { GradusError } from '../../errors.js';
import { example, int, num } from '../options.js';

export interface BinsFileOptions {
  k?: number;
  by?: BinBy;
  edges?: number[];
  on?: DifficultyOn;
  testFraction?: number;
  seed?: number;
  items?: string;
  group?: string;
}

/** Library face of `gradus bins`: read a fit folder, bin its items, write bins.csv. */
export function binsFromFit(fitDir: string, out: string, o: BinsFileOptions = {}): { rows: BinRow[]; notes: string[] } {
  const d = readFitDifficulty(fitDir, o.on ?? 'b');
  let groupOf: ((item: string) => string) | undefined;
  if (o.group) {
    if (!o.items) throw new GradusError('--group needs --items', 'Give the items file that holds the group column: --items ITEMS.csv --group COLUMN.');
    const t = readItemTable(o.items);
    requireColumn(t, o.group, '--group');
    groupOf = (id) => {
      const k = t.byItem.get(id);
      return k === undefined ? '(no group)' : t.rows[k][o.group!];
    };
  }
  const rows = makeBins(d, { k: o.k, by: o.by, edges: o.edges, testFraction: o.testFraction, seed: o.seed, groupOf });
  writeBins(out, rows);
  // how the bins were made, for gradus split's manifest
  writeFileAtomic(`${out}.json`, safeJson({ fit: path.resolve(fitDir), fit_model: d.fit.model ?? null, fit_method: d.fit.method ?? null, on: d.on, k: o.edges ? o.edges.length + 1 : o.k ?? 10, by: o.edges ? 'edges' : o.by ?? 'quantile', edges: o.edges ?? null, test_fraction: o.testFraction ?? 0.2, seed: o.seed ?? 1, group: o.group ?? null, notes: d.notes }));
  return { rows, notes: d.notes };
}

export function register(program: Command): void {
  const cmd = program
    .command('bins')
    .description('cut the items of a fit into K difficulty bins (bin 0 the easiest), each with held-out test items')
    .argument('<fitdir>', 'a folder written by gradus fit')
    .requiredOption('--out <file>', 'bins.csv: item,difficulty,bin,split')
    .option('--k <n>', 'number of bins', '10')
    .addOption(new Option('--by <how>', 'quantile: equal counts; width: equal width on the difficulty scale').choices(['quantile', 'width']).default('quantile'))
    .option('--edges <list>', 'inner bin edges on the difficulty scale, comma-separated (overrides --k and --by)')
    .addOption(new Option('--on <difficulty>', 'b: IRT difficulty; p_correct: consensus difficulty (share of models wrong)').choices(['b', 'p_correct']).default('b'))
    .option('--test-fraction <share>', 'share of each bin held out as test items', '0.2')
    .option('--seed <n>', 'seed for the test split', '1')
    .option('--items <file>', 'a per-item table, for --group')
    .option('--group <column>', 'bin within each group of items (e.g. subtask)');
  example(cmd, 'gradus bins fit/ --k 10 --on b --test-fraction 0.2 --seed 1 --out bins.csv');
  cmd.action((fitdir: string, o: Record<string, string>) => {
    const { rows, notes } = binsFromFit(fitdir, o.out, {
      k: int(o.k, '--k', 1),
      by: o.by as BinBy,
      edges: o.edges === undefined ? undefined : o.edges.split(',').map((e) => num(e.trim(), '--edges')),
      on: o.on as DifficultyOn,
      testFraction: num(o.testFraction, '--test-fraction'),
      seed: int(o.seed, '--seed'),
      items: o.items,
      group: o.group,
    });
    const byBin = new Map<string, { n: number; test: number; lo: number; hi: number }>();
    for (const r of rows) {
      const key = `${r.group !== undefined ? `${r.group} ` : ''}${r.bin}`;
      const s = byBin.get(key) ?? { n: 0, test: 0, lo: Infinity, hi: -Infinity };
      s.n++;
      if (r.split === 'test') s.test++;
      s.lo = Math.min(s.lo, r.difficulty);
      s.hi = Math.max(s.hi, r.difficulty);
      byBin.set(key, s);
    }
    for (const n of notes) process.stderr.write(`note: ${n}\n`);
    process.stdout.write('bin  items  test  difficulty range\n');
    const keys = [...byBin.keys()].sort((x, y) => {
      const [gx, bx] = [x.slice(0, x.lastIndexOf(' ') + 1), Number(x.slice(x.lastIndexOf(' ') + 1))];
      const [gy, by] = [y.slice(0, y.lastIndexOf(' ') + 1), Number(y.slice(y.lastIndexOf(' ') + 1))];
      return gx < gy ? -1 : gx > gy ? 1 : bx - by;
    });
    for (const k of keys) {
      const s = byBin.get(k)!;
      process.stdout.write(`${k.padStart(3)}  ${String(s.n).padStart(5)}  ${String(s.test).padStart(4)}  ${s.lo.toFixed(3)} .. ${s.hi.toFixed(3)}\n`);
    }
    process.stdout.write(`wrote ${o.out}\n`);
  });
}
