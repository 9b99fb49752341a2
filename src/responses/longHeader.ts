/**
 * Which columns of a long table hold the model, the item and the answer, by name (case and spaces ignored):
 * model, item, and correct or else score. One rule for the DuckDB path (tableSource.ts), the byte reader
 * (longText.ts) and the Parquet decoder (longParquet.ts), with one message for a header that lacks one.
 */
import { GradusError, option } from '../errors.js';

export interface LongNames {
  model: string;
  item: string;
  value: string;
}

/** The column named `want` (trimmed, any case), first match. */
export function columnNamed(names: readonly string[], want: string): string | undefined {
  return names.find((n) => n.trim().toLowerCase() === want);
}

function lookup(names: readonly string[]): Partial<LongNames> {
  return { model: columnNamed(names, 'model'), item: columnNamed(names, 'item'), value: columnNamed(names, 'correct') ?? columnNamed(names, 'score') };
}

function complete(n: Partial<LongNames>): n is LongNames {
  return n.model !== undefined && n.item !== undefined && n.value !== undefined;
}

/** The long table's columns when the header has all three; null otherwise. */
export function findLongNames(names: readonly string[]): LongNames | null {
  const found = lookup(names);
  return complete(found) ? found : null;
}

/** `line`: the header's line (none for Parquet). */
export function longNames(file: string, names: readonly string[], line: number | undefined): LongNames {
  const found = lookup(names);
  if (!complete(found)) {
    const { model, item, value } = found;
    const missing = [model === undefined ? 'model' : null, item === undefined ? 'item' : null, value === undefined ? 'correct (or score)' : null].filter(Boolean);
    throw new GradusError(
      `a long table needs the column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the header has ${names.map((n) => JSON.stringify(n)).join(', ')}`,
      `Rename the columns to model,item,correct (0/1) or model,item,score (a number in [0,1]); for one row per model and one column per item, pass ${option('layout')} wide.`,
      { file, line },
    );
  }
  return found;
}
