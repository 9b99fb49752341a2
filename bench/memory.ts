/**
 * bench/memory: what fresh memory costs on this machine. A leaderboard-size read and fit fill about a gigabyte of
 * new typed arrays (the matrix, the sparse views, the reader's kept columns); on some virtual machines the first
 * touch of each 4 KiB page is slow enough to be a second of a command. This prints, for 256 MiB typed arrays
 * allocated one after another, the milliseconds per MiB of the first write to each page and of a second full
 * write, in a child process as Node starts by default and in one with glibc's transparent huge pages for large
 * allocations (GLIBC_TUNABLES=glibc.malloc.hugetlb=1, glibc 2.35 and later).
 * Run: node dist/bench/memory.js [--mib 256] [--rounds 4]
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const MIB = Number(opt('--mib', '256'));
const ROUNDS = Number(opt('--rounds', '4'));

function child(): void {
  const out: string[] = [];
  const keep: Uint8Array[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = r % 2 ? new Uint8Array(new SharedArrayBuffer(MIB << 20)) : new Uint8Array(MIB << 20);
    const t0 = performance.now();
    for (let k = 0; k < a.length; k += 4096) a[k] = 1;
    const t1 = performance.now();
    a.fill(2);
    const t2 = performance.now();
    out.push(`${((t1 - t0) / MIB).toFixed(2)} ${((t2 - t1) / MIB).toFixed(2)}`);
    keep.push(a); // all held, so that each round takes new memory rather than the last round's
  }
  console.log(out.join(' | '));
}

if (args.includes('--child')) child();
else {
  console.log(`${ROUNDS} arrays of ${MIB} MiB each (plain and SharedArrayBuffer in turn); ms per MiB: first touch of each page, then a full rewrite`);
  for (const [label, env] of [['default', {}], ['hugetlb=1', { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' }]] as const) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', '--mib', String(MIB), '--rounds', String(ROUNDS)], { encoding: 'utf8', env: { ...process.env, ...env } });
    console.log(`${label.padEnd(10)} ${r.status === 0 ? r.stdout.trim() : `failed: ${r.stderr.split('\n')[0]}`}`);
  }
}
