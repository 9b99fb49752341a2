/**
 * What a running study tells its user: on a terminal one redrawn bar (done, running, failed, ETA);
 * otherwise one plain line per event, fit for logs; nothing with --quiet except failures.
 */
export interface Progress {
  start(total: number, resumed: number): void;
  cellStarted(id: string): void;
  cellDone(id: string, seconds: number): void;
  cellFailed(id: string, message: string, log?: string): void;
  say(line: string): void;
  /** scheduler counts: jobs waiting in the queue and running */
  jobs?(queued: number, running: number): void;
  end(): void;
}

export function progressFor(stream: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean }, quiet = false, noun = 'cells'): Progress {
  let total = 0, done = 0, failed = 0;
  let queue: { queued: number; running: number } | null = null;
  const running = new Set<string>();
  const t0 = Date.now();
  let doneHere = 0;
  const tty = !quiet && Boolean((stream as NodeJS.WriteStream).isTTY);
  const eta = () => {
    const left = total - done - failed;
    if (!doneHere || !left) return '';
    const s = ((Date.now() - t0) / 1000 / doneHere) * left;
    return ` · ETA ${s >= 90 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`}`;
  };
  const bar = () => {
    if (!tty) return;
    const w = 24;
    const fill = total ? Math.round(((done + failed) / total) * w) : w;
    const active = queue ? `${queue.queued} queued · ${queue.running} running` : `${running.size} running`;
    stream.write(`\r\x1b[2K[${'#'.repeat(fill)}${'-'.repeat(w - fill)}] ${done}/${total} done · ${active} · ${failed} failed${eta()}`);
  };
  const line = (s: string) => {
    if (tty) stream.write('\r\x1b[2K');
    stream.write(`${s}\n`);
    bar();
  };
  return {
    start(n, r) {
      total = n;
      done = r;
      if (!quiet) line(r ? `resuming: ${r} of ${n} ${noun} already done, ${n - r} to run` : `${n} ${noun} to run`);
    },
    cellStarted(id) {
      running.add(id);
      if (tty) bar();
      else if (!quiet) line(`start  ${id}`);
    },
    cellDone(id, seconds) {
      running.delete(id);
      done++;
      doneHere++;
      if (tty) bar();
      else if (!quiet) line(`done   ${id} (${seconds.toFixed(1)} s) [${done}/${total}]`);
    },
    cellFailed(id, message, log) {
      running.delete(id);
      failed++;
      line(`FAILED ${id}: ${message}${log ? ` (log: ${log})` : ''}`);
    },
    say(s) {
      if (!quiet) line(s);
    },
    jobs(queued, run) {
      const changed = !queue || queue.queued !== queued || queue.running !== run;
      queue = { queued, running: run };
      if (tty) bar();
      else if (!quiet && changed) line(`jobs: ${queued} queued, ${run} running, ${done} done, ${failed} failed`);
    },
    end() {
      if (tty) stream.write('\n');
    },
  };
}
