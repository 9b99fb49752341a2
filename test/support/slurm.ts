/**
 * A real single-node Slurm for the tests: munged, slurmctld and slurmd in the foreground, every state, spool, log
 * and socket path in a short temporary folder, stopped (with anything its jobs left behind) by stop().
 * Needs Debian's slurmctld, slurmd, slurm-client and munge packages (npm test installs them: scripts/test-setup.mjs).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface SlurmCluster {
  dir: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

function need(bin: string): string {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (fs.existsSync(path.join(d, bin))) return path.join(d, bin);
  throw new Error(`${bin} is not installed: npm test installs slurmctld, slurmd, slurm-client and munge with apt-get (scripts/test-setup.mjs)`);
}

/** n distinct ports the OS hands out for port 0 (held open together, so they differ): slurm.conf needs fixed numbers */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

async function until(what: string, ok: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startSlurm(): Promise<SlurmCluster> {
  const [munged, mungekey, slurmctld, slurmd] = ['munged', 'mungekey', 'slurmctld', 'slurmd'].map(need);
  // socket paths must stay under 108 bytes
  const dir = fs.mkdtempSync(path.join('/tmp', 'gs-'));
  for (const d of ['state', 'spool', 'munge']) fs.mkdirSync(path.join(dir, d));
  const sock = path.join(dir, 'munge', 'sock');
  execFileSync(mungekey, ['--create', '--keyfile', path.join(dir, 'munge', 'key')]);
  fs.chmodSync(path.join(dir, 'munge', 'key'), 0o600);
  fs.chmodSync(path.join(dir, 'munge'), 0o700);
  const procs: ChildProcess[] = [];
  const start = (bin: string, args: string[], env: NodeJS.ProcessEnv, log: string) => {
    const fd = fs.openSync(path.join(dir, log), 'a');
    const p = spawn(bin, args, { env, stdio: ['ignore', fd, fd], detached: true });
    fs.closeSync(fd);
    procs.push(p);
    return p;
  };
  start(munged, ['--foreground', '--force', '--socket', sock, '--key-file', path.join(dir, 'munge', 'key'), '--pid-file', path.join(dir, 'munge', 'pid'), '--seed-file', path.join(dir, 'munge', 'seed'), '--log-file', path.join(dir, 'munge', 'log')], process.env, 'munged.out');
  await until('munged', () => fs.existsSync(sock), 10_000);
  const [ctldPort, dPort] = await freePorts(2);
  const host = os.hostname().split('.')[0];
  const cpus = os.availableParallelism();
  const memMb = Math.floor(os.totalmem() / 2 ** 20) - 512;
  const conf = path.join(dir, 'slurm.conf');
  fs.writeFileSync(conf, [
    'ClusterName=gradustest',
    `SlurmctldHost=${host}`,
    'AuthType=auth/munge',
    `AuthInfo=socket=${sock}`,
    'CredType=cred/munge',
    'MpiDefault=none',
    'ProctrackType=proctrack/linuxproc',
    'TaskPlugin=task/none',
    'SwitchType=switch/none',
    'ReturnToService=2',
    'SlurmUser=root',
    'SlurmdUser=root',
    `SlurmctldPort=${ctldPort}`,
    `SlurmdPort=${dPort}`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmdSpoolDir=${dir}/spool`,
    `StateSaveLocation=${dir}/state`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    'SchedulerType=sched/backfill',
    'SelectType=select/cons_tres',
    'SelectTypeParameters=CR_Core',
    'SchedulerParameters=batch_sched_delay=0',
    'MailProg=/bin/true',
    'MinJobAge=600',
    'KillWait=2',
    'JobCompType=jobcomp/none',
    'AccountingStorageType=accounting_storage/none',
    `NodeName=${host} CPUs=${cpus} RealMemory=${memMb} State=UNKNOWN`,
    `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
  ].join('\n') + '\n');
  const env = { ...process.env, SLURM_CONF: conf };
  start(slurmctld, ['-D', '-i', '-f', conf], env, 'slurmctld.out');
  start(slurmd, ['-D', '-f', conf, '-N', host], env, 'slurmd.out');
  await until('the node to be idle', () => {
    try {
      return /idle|mix|alloc/.test(execFileSync('sinfo', ['-h', '-o', '%t'], { env, stdio: ['ignore', 'pipe', 'ignore'] }).toString());
    } catch {
      return false;
    }
  }, 30_000);
  return {
    dir,
    env,
    async stop() {
      try {
        execFileSync('scancel', ['--full', '-u', 'root'], { env, stdio: 'ignore' });
      } catch {
        /* nothing queued */
      }
      for (const p of procs.reverse()) {
        try {
          process.kill(-p.pid!, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 1000));
      for (const p of procs) {
        try {
          process.kill(-p.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      // job steps (slurmstepd) and what they started, including anything that double-forked out of
      // proctrack/linuxproc: every process whose environment points at this cluster's config
      for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          if (fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`SLURM_CONF=${conf}`) || fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) process.kill(Number(pid), 'SIGKILL');
        } catch {
          /* gone, or not ours to read */
        }
      }
    },
  };
}
