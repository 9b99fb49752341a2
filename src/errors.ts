/**
 * Errors a user can act on. The CLI prints the message as one paragraph and exits 2, with no stack trace:
 * everything the user needs (file, line, column, what is wrong, what to do) is in the message itself.
 *
 * A library error names an option by its library name through `option('guessing')`; the message reads
 * "`guessing` …" to a library user, and the CLI renders the same error with its flag ("--guessing …").
 */
export interface Place {
  file?: string;
  line?: number;
  column?: number | string;
}

/** How an option is shown: the library's own name, or (in the CLI) its flag. */
export type OptionNamer = (name: string) => string;

const OPEN = '\u2039';
const CLOSE = '\u203a';
const MARK = new RegExp(`${OPEN}([A-Za-z0-9_]+)${CLOSE}`, 'g');

/** Marks an option's library name inside an error text, so that each face (library, CLI) can name it its own way. */
export function option(name: string): string {
  return `${OPEN}${name}${CLOSE}`;
}

export const libraryNamer: OptionNamer = (name) => `\`${name}\``;

export class GradusError extends Error {
  readonly place: Place;
  readonly hint: string;
  readonly problem: string;
  /** the options the message names, by library name */
  readonly options: string[];
  constructor(problem: string, hint = '', place: Place = {}) {
    super(formatMessage(problem, hint, place, libraryNamer));
    this.name = 'GradusError';
    this.place = place;
    this.problem = problem;
    this.hint = hint;
    this.options = [...new Set([...`${problem} ${hint}`.matchAll(MARK)].map((m) => m[1]))];
  }

  /** The message with each option shown by `namer` (the CLI passes its flag names). */
  render(namer: OptionNamer): string {
    return formatMessage(this.problem, this.hint, this.place, namer);
  }
}

export function formatPlace(place: Place): string {
  const parts: string[] = [];
  if (place.file !== undefined) parts.push(place.file);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.column !== undefined) parts.push(`column ${place.column}`);
  return parts.join(', ');
}

function formatMessage(problem: string, hint: string, place: Place, namer: OptionNamer): string {
  const name = (s: string) => s.replace(MARK, (_, n: string) => namer(n));
  const where = formatPlace(place);
  const head = where ? `${where}: ${name(problem)}` : name(problem);
  const end = /[.!?]$/.test(head) ? '' : '.';
  return hint ? `${head}${end} ${name(hint)}` : `${head}${end}`;
}
