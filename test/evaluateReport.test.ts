/**
 * `gradus report` on a cat folder: the evaluation section draws offline in headless Chromium (as test/report.test.ts
 * checks the rest of the report), and a hostile model name is shown, never run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { cli, tmpDir, write } from './support/fixtures.js';
import { simulate } from '../src/irt/simulate.js';
import { csvTable } from '../src/util/csv.js';
import { catToFolder } from '../src/evaluate/folders.js';
import { replayResponder } from '../src/evaluate/responder.js';

const EVIL = '<img src=x onerror=window.__pwned=1>';

test('the evaluation section of the report: accuracy with intervals, per bin, θ and SE against items asked, drawn in Chromium', async () => {
  const dir = tmpDir('gradus-evalreport-');
  const sim = simulate({ models: 6, items: 60, model: '2pl', seed: 2 });
  const p = sim.params;
  write(dir, 'fit/items.csv', csvTable(['item', 'b', 'a', 'c'], 60, (r, c) => [sim.matrix.items[r], p.b[r], p.a[r], p.c[r]][c]));
  write(dir, 'bins.csv', 'item,difficulty,bin,split\n' + sim.matrix.items.map((id, i) => `${id},${p.b[i]},${p.b[i] < 0 ? 0 : 1},train`).join('\n') + '\n');
  const matrix = { ...sim.matrix, models: sim.matrix.models.map((m, k) => (k === 0 ? EVIL : m)) };
  const out = path.join(dir, 'cat');
  await catToFolder(path.join(dir, 'fit'), (bank) => replayResponder(bank, matrix), { stopSe: 0.45, binsFile: path.join(dir, 'bins.csv') }, out);
  const html = path.join(dir, 'report.html');
  const r = cli(['report', out, '--out', html]);
  assert.equal(r.code, 0, r.stderr);
  const ids = r.stdout.match(/^(\d+) figures \(([^)]*)\)/m)![2].split(', ');
  assert.deepEqual(ids, ['eval-accuracy', 'eval-bins', 'eval-trajectory', 'eval-se']);
  assert.ok(!fs.readFileSync(html, 'utf8').includes(EVIL));
  const exe = process.env.GRADUS_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((x) => fs.existsSync(x));
  assert.ok(exe, 'Chromium is needed (apt-get install chromium, or set GRADUS_CHROMIUM)');
  const browser = await chromium.launch({ executablePath: exe, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction(() => document.querySelectorAll('.fig[data-rendered="1"]').length === 4, undefined, { timeout: 30_000 });
    // six models' points and interval rules, two bins each; a line per model in the trajectory
    assert.ok((await page.locator('#fig-eval-accuracy svg path').count()) >= 12);
    assert.ok((await page.locator('#fig-eval-bins svg path').count()) >= 24);
    assert.ok((await page.locator('#fig-eval-trajectory svg path').count()) >= 6);
    const legend = await page.locator('#fig-eval-se svg text').allTextContents();
    assert.ok(legend.some((t) => t.startsWith('<img src=x')), 'the hostile name is plain legend text');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
