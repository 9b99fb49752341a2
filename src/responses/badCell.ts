/**
 * The shape DuckDB's read settled on, and finding the first bad cell in it. The fast path only counts bad answers
 * and empty ids; when there is one, the file is scanned again in JS to name its line and column.
 */
import { GradusError, type Place } from '../errors.js';
import { ANSWER_HINT, describeBad, parseAnswer } from './answer.js';
import type { RowVisit } from './locate.js';
import { badItemError, emptyIdError } from './wideIds.js';

export interface Shape {
  layout: 'long' | 'wide';
  /** long: the column names used */
  model?: string;
  item?: string;
  value?: string;
  valueType?: string;
  /** wide: the id column, or null when rows are numbered */
  idColumn?: string | null;
  columns: string[];
  /** DuckDB's type of each column */
  types: string[];
}

/** A long table's row whose `name` column (the model's or the item's) is blank. */
export function emptyLongIdError(name: string, place: Place): GradusError {
  return new GradusError(`the ${name} id is empty`, `Every row needs a ${name} id; fill it in or remove the row.`, place);
}

/** An answer that is not one (parseAnswer says bad), said in words. */
export function badAnswerError(raw: unknown, place: Place): GradusError {
  const a = parseAnswer(raw);
  return new GradusError(describeBad(raw, a.kind === 'bad' ? a.why : 'not-a-number'), ANSWER_HINT, place);
}

/** The first empty id or bad answer, with its line and column. */
export async function findBadCell(file: string, shape: Shape, scan: (visit: (row: RowVisit) => boolean | void) => Promise<void>, columnLabel: (index: number, name: string) => string): Promise<GradusError> {
  let err: GradusError | null = null;
  await scan(({ header, fields, line }) => {
    const col = (name: string) => header.indexOf(name);
    if (shape.layout === 'long') {
      for (const name of [shape.model!, shape.item!]) {
        const v = fields[col(name)];
        if (v === null || v === undefined || String(v).trim() === '') {
          err = emptyLongIdError(name, { file, line, column: columnLabel(col(name), name) });
          return true;
        }
      }
      const raw = fields[col(shape.value!)];
      if (parseAnswer(raw).kind === 'bad') {
        err = badAnswerError(raw, { file, line, column: columnLabel(col(shape.value!), shape.value!) });
        return true;
      }
      return false;
    }
    for (let c = 0; c < header.length; c++) {
      if (header[c] === shape.idColumn) continue;
      if (parseAnswer(fields[c]).kind === 'bad') {
        err = badItemError(fields[c], header[c], { file, line, column: columnLabel(c, header[c]) });
        return true;
      }
    }
    if (shape.idColumn && String(fields[col(shape.idColumn)] ?? '').trim() === '') {
      err = emptyIdError(file, line);
      return true;
    }
    return false;
  });
  return err ?? new GradusError('some answers could not be read, but the line could not be found', ANSWER_HINT, { file });
}
