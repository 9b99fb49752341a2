/**
 * GRADUS_PROFILE's lines, read back by readProfile as the benches read them: a phase whose label holds a comma
 * ("start-up, module load") is a phase, and only what phasePart printed counts as a part of the phase after it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readProfile } from '../src/util/phase.js';

const PHASE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../src/util/phase.js');

test('readProfile reads the phases, the parts and the exit line a profiled process printed', () => {
  const script = `import { phase, phasePart } from ${JSON.stringify(PHASE)};
    phase('start-up, module load'); phasePart('read: fill, JS loop', 0.25); phase('read: fill scan'); phase('write outputs');`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, GRADUS_PROFILE: '1' } });
  assert.equal(r.status, 0, r.stderr);
  const p = readProfile(r.stderr);
  assert.deepEqual(p.phases.map((x) => [x.label, x.part]), [
    ['start-up, module load', false],
    ['read: fill, JS loop', true],
    ['read: fill scan', false],
    ['write outputs', false],
  ]);
  assert.equal(p.phases[1].seconds, 0.25);
  assert.ok(p.cpu! > 0 && p.peakMB! > 0, 'the exit line gives CPU seconds and peak memory');
  // without GRADUS_PROFILE nothing is printed, so nothing is read
  const quiet = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, GRADUS_PROFILE: '' } });
  assert.deepEqual(readProfile(quiet.stderr), { phases: [] });
});
