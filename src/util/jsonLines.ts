/** JSON Lines text to objects, each with its 1-based line number; a line that does not parse is a GradusError there. */
import { GradusError } from '../errors.js';

export interface JsonLine {
  line: number;
  value: Record<string, unknown>;
}

export function parseJsonLines(text: string, file: string): JsonLine[] {
  const out: JsonLine[] = [];
  text.split(/\r?\n/).forEach((s, k) => {
    if (!s.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (e) {
      throw new GradusError(`this line is not valid JSON (${(e as Error).message})`, 'Each line must be one JSON object.', { file, line: k + 1 });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new GradusError('this line is not a JSON object', 'Each line must be one JSON object ({...}).', { file, line: k + 1 });
    out.push({ line: k + 1, value: value as Record<string, unknown> });
  });
  return out;
}
