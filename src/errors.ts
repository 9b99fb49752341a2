/**
 * Errors a user can act on. The CLI prints `message` as one paragraph and exits 2, with no stack trace:
 * everything the user needs (file, line, column, what is wrong, what to do) is in the message itself.
 */
export interface Place {
  file?: string;
  line?: number;
  column?: number | string;
}

export class GradusError extends Error {
  readonly place: Place;
  readonly hint: string;
  constructor(problem: string, hint = '', place: Place = {}) {
    super(formatMessage(problem, hint, place));
    this.name = 'GradusError';
    this.place = place;
    this.hint = hint;
  }
}

export function formatPlace(place: Place): string {
  const parts: string[] = [];
  if (place.file !== undefined) parts.push(place.file);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.column !== undefined) parts.push(`column ${place.column}`);
  return parts.join(', ');
}

function formatMessage(problem: string, hint: string, place: Place): string {
  const where = formatPlace(place);
  const head = where ? `${where}: ${problem}` : problem;
  const end = /[.!?]$/.test(head) ? '' : '.';
  return hint ? `${head}${end} ${hint}` : `${head}${end}`;
}
