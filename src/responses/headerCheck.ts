/**
 * The first line of a CSV/TSV file, judged before DuckDB sniffs it: DuckDB answers a wrong separator, a repeated
 * column name or a missing header with renamed or guessed columns, which would read as nonsense or as a sniffing
 * failure. Each gets its own message here: what the line shows and what to do.
 */
import { GradusError, option, type Place } from '../errors.js';
import { parseAnswer } from './answer.js';

export type HeaderChoice = 'yes' | 'none';

const SEPARATORS: Array<[string, string]> = [
  [';', 'semicolons'],
  ['\t', 'tabs'],
  [',', 'commas'],
  ['|', 'bars'],
];

export function checkHeader(file: string, header: string[], delimiter: string, choice: HeaderChoice | undefined): void {
  const place = { file, line: 1 };
  if (header.length === 1) {
    const found = SEPARATORS.find(([sep]) => sep !== delimiter && header[0].includes(sep));
    if (found) {
      const [sep, name] = found;
      const read = delimiter === '\t' ? 'tab-separated (TSV)' : 'comma-separated (CSV)';
      const fix =
        sep === '\t' ? `Read it as TSV: set ${option('format')} to tsv.`
        : sep === ',' ? `Read it as CSV: set ${option('format')} to csv.`
        : `Save the table with commas between fields (a .csv) or tabs (a .tsv); in a spreadsheet, export as "CSV (comma delimited)".`;
      throw new GradusError(
        `the first line is one column, ${JSON.stringify(header[0].slice(0, 80))}: its fields seem separated by ${name}, but this file is read as ${read}`,
        fix,
        place,
      );
    }
  }
  if (choice === 'none') return;
  if (choice !== 'yes' && header.length > 0 && header.every((h) => parseAnswer(h).kind === 'value')) {
    throw new GradusError(
      `the first line holds answers (${JSON.stringify(header.slice(0, 6).join(','))}${header.length > 6 ? '…' : ''}), not column names: the table has no header`,
      `If it is a matrix with one row per model and one column per item, set ${option('header')} to none (items are then named by their column number, models by their row number unless the first column is an id); if those are item names, set ${option('header')} to yes.`,
      place,
    );
  }
  checkUniqueNames(header, place);
}

/** Every column needs its own name: two of one name would put one column's answers under the other's item. */
export function checkUniqueNames(names: readonly string[], place: Place): void {
  const seen = new Map<string, number>();
  for (let k = 0; k < names.length; k++) {
    const name = names[k];
    const before = seen.get(name);
    if (before !== undefined && name.trim() !== '') {
      throw new GradusError(
        `the column name ${JSON.stringify(name)} appears twice in the header (columns ${before + 1} and ${k + 1})`,
        'Every column needs its own name: rename or remove one of them.',
        { ...place, column: k + 1 },
      );
    }
    seen.set(name, k);
  }
}
