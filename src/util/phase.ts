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

/** A part of the phase under way, timed by the caller; it does not end the phase (indented: see readProfile). */
export function phasePart(label: string, seconds: number): void {
  if (on) process.stderr.write(`[gradus]   ${label.padEnd(26)} ${seconds.toFixed(2)} s\n`);
}

const CPU_LABEL = 'cpu (all threads)';

export interface Profile {
  /** in order; a `part` is timed inside the phase printed after it, so it is counted there already */
  phases: Array<{ label: string; seconds: number; part: boolean }>;
  /** the process's CPU seconds and peak memory, from the line printed at exit */
  cpu?: number;
  peakMB?: number;
}

/** What GRADUS_PROFILE printed on a process's stderr, read back (by the benches). */
export function readProfile(stderr: string): Profile {
  const out: Profile = { phases: [] };
  for (const m of stderr.matchAll(/^\[gradus\] (\s*)(.+?)\s+([\d.]+) s(?:, peak (\d+) MB)?$/gm)) {
    if (m[2] === CPU_LABEL) [out.cpu, out.peakMB] = [Number(m[3]), Number(m[4])];
    else out.phases.push({ label: m[2], seconds: Number(m[3]), part: m[1].length > 0 });
  }
  return out;
}

if (on) {
  process.on('exit', () => {
    const u = process.resourceUsage();
    process.stderr.write(`[gradus] ${CPU_LABEL.padEnd(28)} ${((u.userCPUTime + u.systemCPUTime) / 1e6).toFixed(2)} s, peak ${(u.maxRSS / 1024).toFixed(0)} MB\n`);
  });
}
