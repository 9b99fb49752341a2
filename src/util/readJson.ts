import fs from 'node:fs';
import { GradusError } from '../errors.js';

/** A JSON file's value, or null when it is missing or unreadable (state files a killed run may not have written). */
export function readJsonOrNull<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}

/** A JSON file that must be there and parse; a bad one is reported at its line and column. */
export function readJsonFile<T>(file: string, what: string, how: string): T {
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new GradusError(`no such file (expected ${what})`, how, { file });
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    const message = (e as Error).message;
    const at = /position (\d+)/.exec(message);
    const before = at ? text.slice(0, Number(at[1])).split('\n') : undefined;
    const place = before ? { file, line: before.length, column: before[before.length - 1].length + 1 } : { file };
    throw new GradusError(`${what} is not valid JSON (${message.replace(/ in JSON at position \d+.*$/, '')})`, how, place);
  }
}
