/**
 * What a command prints. `--json` means the same in every command that has it: stdout carries one JSON document,
 * the command's result, instead of the human-readable text; files named by the command's options are still
 * written, and warnings, notes and progress still go to stderr.
 */
import type { Command } from 'commander';

export const JSON_HELP = "print the command's result as one JSON document on stdout instead of text (files are still written)";

export function addJsonOption(cmd: Command): Command {
  return cmd.option('--json', JSON_HELP);
}

/** JSON as the commands print it: typed arrays as arrays, non-finite numbers as null (as in every file gradus writes). */
export function jsonText(value: unknown): string {
  return (
    JSON.stringify(
      value,
      (_, x) => (ArrayBuffer.isView(x) && !(x instanceof DataView) ? Array.from(x as unknown as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null)) : typeof x === 'number' && !Number.isFinite(x) ? null : x),
      2,
    ) + '\n'
  );
}

/** Prints the result as JSON (with --json) or as the command's text, built only when needed. */
export function emit(o: { json?: unknown }, result: unknown, text: () => string): void {
  process.stdout.write(o.json ? jsonText(result) : text());
}

export function warn(lines: readonly string[], kind: 'warning' | 'note' = 'warning'): void {
  for (const l of lines) process.stderr.write(`${kind}: ${l}\n`);
}
