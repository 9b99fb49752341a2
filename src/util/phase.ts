/** Phase timings on stderr when GRADUS_PROFILE is set: where a long fit spends its time, without a profiler. */
const on = !!process.env.GRADUS_PROFILE;
let last = performance.now();

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
