/** Phase timings on stderr when GRADUS_PROFILE is set: where a long fit spends its time, without a profiler. */
const on = !!process.env.GRADUS_PROFILE;
let last = performance.now();

export function phase(label: string): void {
  if (!on) return;
  const now = performance.now();
  process.stderr.write(`[gradus] ${label.padEnd(28)} ${((now - last) / 1000).toFixed(2)} s\n`);
  last = now;
}
