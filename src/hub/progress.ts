/**
 * What a running collect tells its user: on a terminal one redrawn bar (models done / skipped / failed, bytes,
 * rate, ETA); otherwise one plain line per model, fit for logs. Skips and failures are always said.
 */
export interface CollectProgress {
  start(total: number, already: number): void;
  bytes(n: number): void;
  modelDone(model: string, bytes: number): void;
  modelSkipped(model: string, message: string): void;
  modelFailed(model: string, message: string): void;
  say(line: string): void;
  end(): void;
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function collectProgress(stream: { write(s: string): unknown; isTTY?: boolean }, quiet = false): CollectProgress {
  let total = 0, done = 0, skipped = 0, failed = 0, bytes = 0, doneHere = 0;
  const t0 = Date.now();
  let drawn = 0;
  const tty = !quiet && Boolean(stream.isTTY);
  const bar = (force = false) => {
    if (!tty || (!force && Date.now() - drawn < 100)) return;
    drawn = Date.now();
    const s = (Date.now() - t0) / 1000;
    const left = total - done - skipped - failed;
    const eta = doneHere && left ? ` · ETA ${Math.round((s / doneHere) * left)} s` : '';
    const fill = total ? Math.round(((total - left) / total) * 24) : 24;
    stream.write(`\r\x1b[2K[${'#'.repeat(fill)}${'-'.repeat(24 - fill)}] ${done}/${total} models · ${skipped} skipped · ${failed} failed · ${mb(bytes)} · ${mb(bytes / Math.max(s, 1e-3))}/s${eta}`);
  };
  const line = (s: string) => {
    if (tty) stream.write('\r\x1b[2K');
    stream.write(`${s}\n`);
    bar(true);
  };
  return {
    start(n, already) {
      total = n;
      done = already;
      if (!quiet) line(already ? `resuming: ${already} of ${n} models already collected` : `${n} models to collect`);
    },
    bytes(n) {
      bytes += n;
      bar();
    },
    modelDone(model, b) {
      done++;
      doneHere++;
      if (tty) bar(true);
      else if (!quiet) line(`done    ${model} (${mb(b)}) [${done}/${total}]`);
    },
    modelSkipped(model, message) {
      skipped++;
      line(`SKIPPED ${model}: ${message}`);
    },
    modelFailed(model, message) {
      failed++;
      line(`FAILED  ${model}: ${message}`);
    },
    say(s) {
      if (!quiet) line(s);
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}

export const silentProgress: CollectProgress = { start() {}, bytes() {}, modelDone() {}, modelSkipped() {}, modelFailed() {}, say() {}, end() {} };
