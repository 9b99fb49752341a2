import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { tmpDir, write, cli } from './support/fixtures.js';
import { analyze, GRID_COLUMNS } from '../src/study/analysis.js';
import { csvTable, safeJson } from '../src/util/csv.js';
import { simulate } from '../src/irt/simulate.js';
import { escapeHtml, scriptJson } from '../src/report/html.js';

const EVIL_SCRIPT = '<script>window.__pwned = 1</script>';
const EVIL_IMG = '<img src=x onerror="window.__pwned = 2">';
const EVIL_MODEL = '<img src=x onerror=window.__pwned=3>';

function chromiumPath(): string {
  const p = process.env.GRADUS_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((x) => fs.existsSync(x));
  if (!p) throw new Error('Chromium is not installed: npm test installs it with apt-get (Debian package chromium, scripts/test-setup.mjs); set GRADUS_CHROMIUM to another binary');
  return p;
}

async function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}

/** A folder with a fit, bins, a study, items with text and labels (two of them hostile), and responses. */
function makeFolder(nItems: number, nModels: number): string {
  const dir = tmpDir('gradus-report-');
  const sim = simulate({ models: nModels, items: nItems, model: '2pl', missing: 0.1, seed: 3 });
  const items = sim.matrix.items;
  const models = sim.matrix.models.map((m, k) => (k === 0 ? EVIL_MODEL : m));
  const lines = ['model,item,correct'];
  sim.matrix.models.forEach((_, m) => items.forEach((it, j) => {
    const v = sim.matrix.data[m * items.length + j];
    if (v !== 255) lines.push(`"${models[m].replace(/"/g, '""')}",${it},${v}`);
  }));
  write(dir, 'zoo/responses.csv', lines.join('\n') + '\n');
  write(dir, 'items.jsonl', items.map((id, j) => JSON.stringify({ id, prompt: j === 0 ? EVIL_SCRIPT : j === 1 ? EVIL_IMG : `question number ${j}`, level: ['easy', 'medium', 'hard'][j % 3] })).join('\n') + '\n');
  let r = cli(['fit', path.join(dir, 'zoo/responses.csv'), '--model', 'rasch', '--method', 'jml', '--out', path.join(dir, 'fit')]);
  assert.equal(r.code, 0, r.stderr);
  r = cli(['bins', path.join(dir, 'fit'), '--k', '5', '--out', path.join(dir, 'bins.csv')]);
  assert.equal(r.code, 0, r.stderr);
  if (nItems <= 1000) {
    r = cli(['stability', path.join(dir, 'zoo/responses.csv'), '--bootstrap', '20', '--k', '5', '--out', path.join(dir, 'stability.csv')]);
    assert.equal(r.code, 0, r.stderr);
  }
  // a study's results, as gradus study writes them
  const bins = fs.readFileSync(path.join(dir, 'bins.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  const testItems = Array.from({ length: 5 }, (_, b) => bins.filter((x) => Number(x[2]) === b && x[3] === 'test').map((x) => x[0]));
  const outcome = (f: (b: number, j: number) => boolean) => new Map(testItems.flatMap((ids, b) => ids.map((id, j) => [id, f(b, j)] as [string, boolean])));
  const cells = [0, 1, 2, 3, 4].map((t) => ({ strategy: 'each-bin', trainBins: [t], trainLabel: String(t), seed: 1, correct: outcome((b, j) => j % 10 < 8 - 2 * Math.abs(b - t)) }));
  cells.push({ strategy: 'all', trainBins: [0, 1, 2, 3, 4], trainLabel: '0-4', seed: 1, correct: outcome((b, j) => j % 10 < 6) });
  const { rows, analysis } = analyze({ testItems, baseline: outcome((b, j) => j % 10 < 3), cells, reps: 100 });
  write(dir, 'grid.csv', csvTable([...GRID_COLUMNS], rows.length, (i, j) => rows[i][GRID_COLUMNS[j]]));
  write(dir, 'analysis.json', safeJson(analysis));
  return dir;
}

test('escaping helpers: HTML text and JSON inside a script element', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  const s = scriptJson({ t: '</script><!-- \u2028' });
  assert.ok(!s.includes('</script') && !s.includes('<!--'));
  assert.deepEqual(JSON.parse(s), { t: '</script><!-- \u2028' });
});

test('the report opens offline in Chromium: every figure draws, tables search and sort, hostile text runs nothing; PNG/SVG export', async () => {
  const dir = makeFolder(300, 40);
  const html = path.join(dir, 'report.html');
  const r = cli(['report', dir, '--out', html, '--label', 'level', '--png', path.join(dir, 'png'), '--svg', path.join(dir, 'svg'), '--scale', '2']);
  assert.equal(r.code, 0, r.stderr);
  const figs = r.stdout.match(/^(\d+) figures \(([^)]*)\)/m)!;
  const ids = figs[2].split(', ');
  for (const id of ['difficulty-histogram', 'wright-map', 'icc', 'information', 'bins', 'agreement', 'stability', 'gain-heatmap', 'accuracy-heatmap', 'gain-distance', 'strategy-lines', 'model-bins']) assert.ok(ids.includes(id), id);
  const text = fs.readFileSync(html, 'utf8');
  assert.ok(!text.includes(EVIL_SCRIPT) && !text.includes(EVIL_IMG), 'hostile text must not appear raw in the HTML');

  const browser = await launch();
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('request', (q) => { if (!q.url().startsWith('file:') && !q.url().startsWith('data:')) requests.push(q.url()); });
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction((n) => document.querySelectorAll('.fig[data-rendered="1"]').length === n, ids.length, { timeout: 30_000 });
    for (const id of ids) {
      const marks = await page.locator(`#fig-${id} svg .mark-rect path, #fig-${id} svg path, #fig-${id} svg text`).count();
      assert.ok(marks > 5, `figure ${id} drew ${marks} elements`);
    }
    // hostile text is shown literally and ran nothing
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.equal(await page.locator('img').count(), 0);
    const search = page.locator('#table-items input');
    // one row left, and it is the one searched for (the debounced search redraws a moment after typing)
    const firstText = (want: string) => page.waitForFunction((w) => document.querySelector('#table-items')!.getAttribute('data-shown') === '1' && document.querySelector('#table-items tbody tr td:nth-child(2)')?.textContent === w, want);
    await search.fill('<script>');
    await firstText(EVIL_SCRIPT);
    assert.equal(await page.getAttribute('#table-items', 'data-shown'), '1');
    await search.fill('onerror');
    await firstText(EVIL_IMG);
    assert.equal(await page.getAttribute('#table-items', 'data-shown'), '1');
    await search.fill('');
    await page.waitForFunction(() => document.querySelector('#table-items')!.getAttribute('data-shown') === '300');
    assert.equal(await page.locator('#table-items tbody tr').count(), 100, 'one page of rows');
    // sort by difficulty, both ways
    const col = (k: number) => page.locator('#table-items tbody tr').evaluateAll((trs, k) => trs.map((tr) => Number((tr.children[k] as HTMLElement).textContent)), k);
    await page.locator('#table-items th', { hasText: 'difficulty' }).click();
    const up = await col(2);
    assert.deepEqual(up, [...up].sort((a, b) => a - b));
    await page.locator('#table-items th', { hasText: 'difficulty' }).click();
    const down = await col(2);
    assert.deepEqual(down, [...down].sort((a, b) => b - a));
    assert.ok(down[0] > up[0]);
    // the hostile model name is a plain table cell too
    await page.locator('#table-models input').fill('onerror');
    await page.waitForFunction(() => document.querySelector('#table-models')!.getAttribute('data-shown') === '1');
    assert.equal(await page.locator('#table-models tbody td').first().textContent(), EVIL_MODEL);
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
  } finally {
    await browser.close();
  }
  // PNGs: non-empty, of the size of their SVG times the scale
  for (const id of ids) {
    const png = fs.readFileSync(path.join(dir, 'png', `${id}.png`));
    assert.equal(png.subarray(1, 4).toString(), 'PNG');
    const w = png.readUInt32BE(16), h = png.readUInt32BE(20);
    const svg = fs.readFileSync(path.join(dir, 'svg', `${id}.svg`), 'utf8');
    const sw = Number(/width="([\d.]+)"/.exec(svg)![1]), sh = Number(/height="([\d.]+)"/.exec(svg)![1]);
    assert.equal(w, Math.round(sw * 2), `${id} width`);
    assert.equal(h, Math.round(sh * 2), `${id} height`);
    assert.ok(png.length > 5000, `${id}.png is ${png.length} bytes`);
  }
});

test('a report of 20,000 items stays usable: it loads, pages, and searches', async () => {
  const dir = makeFolder(20_000, 12);
  const html = path.join(dir, 'big.html');
  const r = cli(['report', dir, '--out', html]);
  assert.equal(r.code, 0, r.stderr);
  const browser = await launch();
  try {
    const page = await browser.newPage();
    const t0 = Date.now();
    await page.goto(pathToFileURL(html).href);
    await page.waitForFunction(() => document.querySelector('#table-items')?.getAttribute('data-shown') === '20000', null, { timeout: 60_000 });
    await page.waitForFunction(() => document.querySelectorAll('.fig[data-rendered="1"]').length === document.querySelectorAll('.fig').length, null, { timeout: 60_000 });
    process.stderr.write(`20,000-item report: loaded and drawn in ${Date.now() - t0} ms\n`);
    assert.equal(await page.locator('#table-items tbody tr').count(), 100);
    await page.locator('#table-items input').fill('question number 1999');
    // 1999 and 19990..19999
    await page.waitForFunction(() => document.querySelector('#table-items')!.getAttribute('data-shown') === '11');
  } finally {
    await browser.close();
  }
});

test('gradus report explains what it cannot use', () => {
  const dir = tmpDir();
  const r = cli(['report', dir, '--out', path.join(dir, 'r.html')]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /found nothing to report here/);
});
