/** Library face of `gradus inspect`: what a set of responses holds, overall and per group of items. */
import { GradusError, option } from '../errors.js';
import { readItemTable, requireColumn } from './itemTable.js';
import { readResponses, type IngestReport, type ReadOptions } from './read.js';
import { summarize, type MatrixSummary } from './summary.js';

export interface InspectOptions {
  /** a per-item table (CSV/TSV/JSONL with an item column) */
  items?: string;
  /** a column of `items`: summarize each group of items too */
  group?: string;
}

export interface Inspection {
  summary: MatrixSummary;
  report: IngestReport;
}

export async function inspectResponses(inputs: string[], read: ReadOptions = {}, opts: InspectOptions = {}): Promise<Inspection> {
  if (opts.group && !opts.items) throw new GradusError(`${option('group')} needs ${option('items')}`, `Give the items file that holds the group column: ${option('items')} ITEMS.csv ${option('group')} COLUMN.`);
  const { matrix, report } = await readResponses(inputs, read);
  let groupOf: ((item: string) => string | undefined) | undefined;
  if (opts.items && opts.group) {
    const t = readItemTable(opts.items);
    requireColumn(t, opts.group, option('group'));
    groupOf = (id) => {
      const k = t.byItem.get(id);
      return k === undefined ? undefined : t.rows[k][opts.group!];
    };
  }
  return { summary: summarize(matrix, report, groupOf), report };
}
