/** Per-item side information mapped onto the bank: difficulty bins (bins.csv) and content groups (an items table). */
import type { BinRow } from '../difficulty/bins.js';
import { requireColumn, type ItemTable } from '../responses/itemTable.js';
import { GradusError, option } from '../errors.js';
import type { ItemBank } from './bank.js';
import type { BinAssignment } from './estimate.js';
import type { Balance } from './select.js';

export function binAssignment(bank: ItemBank, rows: readonly BinRow[], file?: string): BinAssignment {
  const bin = new Int32Array(bank.ids.length).fill(-1);
  let k = 0, matched = 0;
  for (const r of rows) {
    const i = bank.index.get(r.item);
    if (i === undefined) continue;
    bin[i] = r.bin;
    matched++;
    k = Math.max(k, r.bin + 1);
  }
  if (!matched) throw new GradusError('no item of the bins file is in the fit\'s bank', 'Make the bins from the same fit (gradus bins FIT).', { file });
  return { bin, k };
}

/** Groups by a column of the items table; each group's share is its share of the bank's grouped items. */
export function balanceFrom(bank: ItemBank, table: ItemTable, column: string): Balance {
  requireColumn(table, column, option('balanceBy'));
  const names = new Map<string, number>();
  const groupOf = new Int32Array(bank.ids.length).fill(-1);
  bank.ids.forEach((id, i) => {
    const r = table.byItem.get(id);
    const v = r === undefined ? undefined : table.rows[r][column];
    if (v === undefined || v === '') return;
    groupOf[i] = names.get(v) ?? names.set(v, names.size).get(v)!;
  });
  const share = new Float64Array(names.size);
  let total = 0;
  groupOf.forEach((g) => { if (g >= 0) { share[g]++; total++; } });
  if (!total) throw new GradusError(`no bank item has a value in column "${column}" of the items file`, 'Give the items table of this benchmark (item ids as in the fit).', { file: table.file });
  return { groupOf, share: share.map((x) => x / total) };
}
