/** CSV writing with RFC 4180 quoting; non-finite numbers are written as empty cells (never NaN or Infinity). */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Shortest round-trip form, so a rerun writes the same bytes and nothing is lost. */
export function formatNumber(x: number): string {
  return Object.is(x, -0) ? '0' : String(x);
}

export function csvTable(columns: string[], rows: number, get: (row: number, col: number) => unknown): string {
  const out: string[] = [columns.map(csvField).join(',')];
  for (let r = 0; r < rows; r++) {
    const cells = new Array<string>(columns.length);
    for (let c = 0; c < columns.length; c++) cells[c] = csvField(get(r, c));
    out.push(cells.join(','));
  }
  return out.join('\n') + '\n';
}

/** JSON with non-finite numbers as null, so that no file gradus writes holds NaN or Infinity. */
export function safeJson(v: unknown): string {
  return JSON.stringify(v, (_, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x), 2) + '\n';
}
