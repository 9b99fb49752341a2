import fs from 'node:fs';

/** A JSON file's value, or null when it is missing or unreadable (state files a killed run may not have written). */
export function readJsonOrNull<T>(file: string): T | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return null;
  }
}
