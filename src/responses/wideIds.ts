/**
 * The rules of a wide table (one row per model, one column per item) that do not depend on its format: whether the
 * first column is the model id, which ids the rows carry, and the messages for a table that has no items or an
 * empty id. The JS wide readers (wideText.ts, wideParquet.ts) share them with tableSource.ts's DuckDB path.
 */
import { GradusError, type Place } from '../errors.js';
import { ANSWER_HINT, describeBad, parseAnswer } from './answer.js';
import { numberedColumns } from './locate.js';

export type IdColumn = 'auto' | 'first' | 'none';

const ID_NAMES = ['model', 'model_id', 'model_name', 'id', 'name', 'subject', 'person', ''];

export function checkWideColumns(file: string, names: string[], choice: IdColumn | undefined, line: number | undefined): void {
  if (names.length < 2 && choice !== 'none') {
    throw new GradusError(
      `a wide table needs an id column and at least one item column; the header has ${names.map((n) => JSON.stringify(n)).join(', ')}`,
      'Give one row per model with the model id first and one column per item, or a long table with columns model,item,correct.',
      { file, line },
    );
  }
}

/** Is the first column the model id, by the option and its name alone? Undefined: its content must decide. */
export function idColumnByName(name: string, choice: IdColumn = 'auto'): boolean | undefined {
  if (choice === 'first') return true;
  if (choice === 'none') return false;
  return ID_NAMES.includes(name.trim().toLowerCase()) ? true : undefined;
}

/** Is the first column the model id? By its name, else by its content: anything that is not an answer makes it one. */
export function firstColumnIsId(name: string, values: readonly unknown[], choice: IdColumn = 'auto'): boolean {
  return idColumnByName(name, choice) ?? values.some((v) => parseAnswer(v).kind === 'bad');
}

/** A cell of item column `item` that is not an answer, said in words. */
export function badItemError(raw: unknown, item: string, place: Place): GradusError {
  const a = parseAnswer(raw);
  return new GradusError(`item ${JSON.stringify(item)}: ${describeBad(raw, a.kind === 'bad' ? a.why : 'not-a-number')}`, ANSWER_HINT, place);
}

export function emptyIdError(file: string, line: number): GradusError {
  return new GradusError('the model id is empty', 'Every row of a wide table starts with the model id; fill it in or remove the row.', { file, line, column: 1 });
}

/** The distinct model ids of a wide table, in file order; rows are numbered 1, 2, … when it has no id column. */
export function wideModels(file: string, ids: readonly string[] | null, rows: number): string[] {
  if (rows === 0) throw new GradusError('the file has a header but no responses', 'Add at least one row of answers.', { file });
  return ids ? [...new Set(ids)] : numberedColumns(rows);
}
