/**
 * Placeholders such as {train_file} are substituted inside each argv entry separately, so a value with spaces,
 * quotes or `;` stays one argument and no shell ever sees it.
 */
import { GradusError } from '../errors.js';

export type Vars = Record<string, string | number>;

const PLACEHOLDER = /\{([a-z_][a-z0-9_]*)\}/gi;

export function fill(template: string, vars: Vars, where = 'template'): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    const v = vars[name];
    if (v === undefined) {
      throw new GradusError(`${where} names {${name}}, which gradus does not know`, `Known placeholders: ${Object.keys(vars).map((k) => `{${k}}`).join(', ')}. Write {{ or }} nowhere; a literal brace is kept when it does not enclose a name.`);
    }
    return String(v);
  });
}

export function fillArgv(argv: string[], vars: Vars, where: string): string[] {
  return argv.map((a, k) => fill(a, vars, `${where}[${k}]`));
}

/** Fills the names `vars` knows, once, and leaves any other {name} as written (prompt templates over item text). */
export function fillKnown(template: string, vars: Record<string, string>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) => vars[name] ?? whole);
}
