/** argv that runs this gradus's own CLI in a child process (the built-in learner trains each cell in its own process). */
import { fileURLToPath } from 'node:url';

export const GRADUS_BIN = fileURLToPath(new URL('../../../bin/gradus.js', import.meta.url));

export function gradusArgv(...args: string[]): string[] {
  return [process.execPath, GRADUS_BIN, ...args];
}
