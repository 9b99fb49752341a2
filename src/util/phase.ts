/**
 * Phase timings on stderr when GRADUS_PROFILE is set: where a long run spends its time, without a profiler.
 * The first phase counts from the process's start (module loading included); at exit the process's CPU seconds,
 * all threads together, and its peak memory follow, so a wall time on a busy machine can be read against them.
 */
const on = !!process.env.GRADUS_PROFILE;
let last = 0;

export function phase(label: string): void {
  if (!on) return;
  const now = performance.now();
  process.stderr.write(`[gradus] ${label.padEnd(28)} ${((now - last) / 1000).toFixed(2)} s\n`);
  last = now;
}

/** Whether phases are timed, for a caller that times a part of a phase itself. */
export const profiling = on;

/** A part of the phase under way, timed by the caller; it does not end the phase. */
export function phasePart(label: string, seconds: number): void {
  if (on) process.stderr.write(`[gradus] ${label.padEnd(28)} ${seconds.toFixed(2)} s\n`);
}

if (on) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    process.stderr.write(`[gradus] ${'cpu (all threads)'.padEnd(28)} ${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2)} s, peak ${(u.maxRSS / 1024).toFixed(0)} MB\n`);
  });
}
