/**
 * scripts/test-setup.mjs, which `npm test` runs first: what it decides to install, and what it says when it cannot.
 * This machine has every package, so the missing ones are made by pointing its search (GRADUS_SETUP_PATH) at a
 * folder that holds only the programs a case has, and its privilege is named (GRADUS_SETUP_PRIVILEGE); --dry-run
 * prints the plan instead of running apt-get.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, tmpDir } from './support/fixtures.js';

const SCRIPT = path.join(ROOT, 'scripts/test-setup.mjs');

function folderWith(programs: string[]): string {
  const dir = tmpDir('gradus-setup-');
  for (const p of programs) fs.writeFileSync(path.join(dir, p), '#!/bin/sh\n', { mode: 0o755 });
  return dir;
}

function setup(programs: string[], privilege: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, GRADUS_CHROMIUM: undefined };
  delete childEnv.GRADUS_CHROMIUM;
  Object.assign(childEnv, { GRADUS_SETUP_PATH: folderWith(programs), GRADUS_SETUP_PRIVILEGE: privilege }, env);
  const r = spawnSync(process.execPath, [SCRIPT, ...extra], { env: childEnv, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, plan: extra.includes('--dry-run') ? JSON.parse(r.stdout) : null };
}

const ALL = ['chromium', 'slurmctld', 'slurmd', 'sbatch', 'munged', 'mungekey'];

describe('test set-up', () => {
  test('nothing to do when every program is there', () => {
    const r = setup([...ALL, 'apt-get'], 'none', ['--dry-run']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.plan, { packages: [], action: 'none', commands: [] });
    const real = setup(ALL, 'none');
    assert.equal(real.code, 0, real.stderr);
    assert.equal(real.stderr, '');
  });

  test('as root with apt-get, only the missing packages are installed, each once', () => {
    const r = setup(['chromium', 'sbatch', 'munged', 'apt-get'], 'root', ['--dry-run']);
    assert.equal(r.code, 0);
    assert.equal(r.plan.action, 'install');
    assert.deepEqual(r.plan.packages, ['slurmctld', 'slurmd', 'munge']);
    assert.deepEqual(r.plan.commands, [
      ['apt-get', 'update', '-qq'],
      ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'slurmctld', 'slurmd', 'munge'],
    ]);
  });

  test('with passwordless sudo the same commands go through sudo -n', () => {
    const r = setup(['apt-get'], 'sudo', ['--dry-run']);
    assert.deepEqual(r.plan.packages, ['chromium', 'slurmctld', 'slurmd', 'slurm-client', 'munge']);
    for (const c of r.plan.commands) assert.deepEqual(c.slice(0, 2), ['sudo', '-n']);
  });

  test('GRADUS_CHROMIUM stands in for the chromium package', () => {
    const dir = folderWith(['my-chrome']);
    const r = setup(['slurmctld', 'slurmd', 'sbatch', 'munged', 'mungekey'], 'none', ['--dry-run'], { GRADUS_CHROMIUM: path.join(dir, 'my-chrome') });
    assert.equal(r.plan.action, 'none');
  });

  test('without the right to install, it stops and names the packages and the command', () => {
    const r = setup(['chromium', 'apt-get'], 'none');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /packages slurmctld, slurmd, slurm-client, munge;/);
    assert.match(r.stderr, /needs root \(or passwordless sudo\)/);
    assert.match(r.stderr, /sudo apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge/);
    assert.doesNotMatch(r.stderr, /chromium,/);
  });

  test('without apt-get, even as root, it says so instead of trying', () => {
    const r = setup([], 'root', ['--dry-run']);
    assert.equal(r.code, 1);
    assert.equal(r.plan.action, 'cannot');
    assert.deepEqual(r.plan.commands, []);
    assert.match(r.stderr, /this machine has no apt-get/);
  });
});
