#!/usr/bin/env node
/**
 * The system packages the test suite starts for real: Chromium (the report tests drive it headless) and a
 * single-node Slurm with munge (the Slurm executor tests). `npm test` runs this first, so that the README's test
 * command passes on a fresh Debian/Ubuntu machine: missing packages are installed with apt-get when we may
 * (root, or passwordless sudo); otherwise it stops with one message naming the packages and the command.
 *
 * Usage: node scripts/test-setup.mjs [--dry-run]
 *   --dry-run                 print the plan as one JSON line and change nothing (exit code as a real run would give
 *                             when it cannot install)
 *   GRADUS_SETUP_PATH=DIRS    where to look for the programs and apt-get (default: $PATH and the sbin folders)
 *   GRADUS_SETUP_PRIVILEGE=root|sudo|none   how we may install (default: found out from the user id and `sudo -n`)
 *   GRADUS_CHROMIUM=FILE      a Chromium elsewhere (the report tests use it too)
 */
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** program the tests start → the Debian package that provides it (the tests look in these same places). */
export const NEEDED = [
  { programs: ['chromium', 'chromium-browser'], pkg: 'chromium', env: 'GRADUS_CHROMIUM' },
  { programs: ['slurmctld'], pkg: 'slurmctld' },
  { programs: ['slurmd'], pkg: 'slurmd' },
  { programs: ['sbatch'], pkg: 'slurm-client' },
  { programs: ['munged'], pkg: 'munge' },
  { programs: ['mungekey'], pkg: 'munge' },
];

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * What to do, from the facts alone (pure, so the decision is testable on a machine that has everything):
 * `found(program)` says whether a program is there, `privilege` how we may install, `apt` whether apt-get is there.
 */
export function planSetup({ found, privilege, apt, env = {} }) {
  const packages = [];
  for (const need of NEEDED) {
    const there = (need.env && env[need.env] && isExecutable(env[need.env])) || need.programs.some(found);
    if (!there && !packages.includes(need.pkg)) packages.push(need.pkg);
  }
  if (!packages.length) return { packages, action: 'none', commands: [] };
  const install = ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...packages];
  if (apt && (privilege === 'root' || privilege === 'sudo')) {
    const pre = privilege === 'sudo' ? ['sudo', '-n', 'env', 'DEBIAN_FRONTEND=noninteractive'] : [];
    return { packages, action: 'install', commands: [[...pre, 'apt-get', 'update', '-qq'], [...pre, ...install]] };
  }
  const why = !apt
    ? 'this machine has no apt-get, so they cannot be installed for you'
    : 'installing them needs root (or passwordless sudo), which this user does not have';
  return {
    packages,
    action: 'cannot',
    commands: [],
    message:
      `The tests start real programs that are missing here: the Debian/Ubuntu package${packages.length > 1 ? 's' : ''} ` +
      `${packages.join(', ')}; ${why}. Install them with\n  sudo apt-get install -y --no-install-recommends ${packages.join(' ')}\n` +
      `(or your system's equivalent; set GRADUS_CHROMIUM to a Chromium elsewhere), then run the tests again.`,
  };
}

function searchDirs(env) {
  if (env.GRADUS_SETUP_PATH !== undefined) return env.GRADUS_SETUP_PATH.split(path.delimiter).filter(Boolean);
  const dirs = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (!dirs.includes(d)) dirs.push(d);
  return dirs;
}

function privilegeOf(env) {
  const forced = env.GRADUS_SETUP_PRIVILEGE;
  if (forced === 'root' || forced === 'sudo' || forced === 'none') return forced;
  if (process.getuid?.() === 0) return 'root';
  const sudo = spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' });
  return sudo.status === 0 ? 'sudo' : 'none';
}

function main() {
  const env = process.env;
  const dryRun = process.argv.includes('--dry-run');
  const dirs = searchDirs(env);
  const found = (program) => dirs.some((d) => isExecutable(path.join(d, program)));
  const plan = planSetup({ found, privilege: privilegeOf(env), apt: found('apt-get'), env });
  if (dryRun) {
    process.stdout.write(JSON.stringify(plan) + '\n');
    if (plan.action === 'cannot') process.stderr.write(plan.message + '\n');
    process.exit(plan.action === 'cannot' ? 1 : 0);
  }
  if (plan.action === 'none') return;
  if (plan.action === 'cannot') {
    process.stderr.write(plan.message + '\n');
    process.exit(1);
  }
  process.stderr.write(`test set-up: installing ${plan.packages.join(', ')} with apt-get\n`);
  for (const [cmd, ...args] of plan.commands) {
    const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) {
      process.stderr.write(`test set-up: \`${[cmd, ...args].join(' ')}\` failed (exit ${r.status ?? r.signal}); install ${plan.packages.join(', ')} by hand and run the tests again.\n`);
      process.exit(1);
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) main();
