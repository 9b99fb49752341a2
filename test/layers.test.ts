import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT, tmpDir, write } from './support/fixtures.js';

// the project's import check, vendored from ../shared/tools/import-cycles.mjs
const TOOL = path.join(ROOT, 'test/support/import-cycles.mjs');
const cycles = (folder: string) => spawnSync(process.execPath, [TOOL, folder], { cwd: ROOT, encoding: 'utf8' });

test('imports run one way: no circle of files and no two folders importing each other under src/', () => {
  const r = cycles('src');
  assert.equal(r.stdout.match(/^(circle of .*|folders .* import each other:)$/gm), null, r.stdout);
  assert.match(r.stdout, /^no import circles among \d+ files under src$/m);
  assert.equal(r.status, 0);
});

test('the check sees a circle of files and a pair of folders when there is one', () => {
  const dir = tmpDir();
  write(dir, 'a/one.ts', "import { two } from '../b/two.js';\nexport const one = () => two();\n");
  write(dir, 'b/two.ts', "import { one } from '../a/one.js';\nexport const two = () => one();\n");
  const r = cycles(dir);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /circle of 2 files/);
  assert.match(r.stdout, /folders a\/ and b\/ import each other/);
});
