/**
 * One self-contained HTML file: the figures compiled to Vega and drawn by the inlined Vega runtime, searchable and
 * sortable tables, no network access. Everything from the data (item text, model names, ids) reaches the page as
 * JSON inside a script element and is put into the document with textContent, never as HTML.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { compile } from 'vega-lite';
import type { ReportData } from './collect.js';
import type { Figure } from './figures.js';
import { difficulties } from './figures.js';

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON that can sit inside <script>: no "</script>", no "<!--", no line separators that end JS strings */
export function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function toVega(f: Figure): object {
  return compile(f.spec as never).spec;
}

const TEXT_FIELDS = ['text', 'prompt', 'question', 'input', 'title'];

export function tables(d: ReportData) {
  const diff = new Map(difficulties(d).map((r) => [r.item, r.difficulty]));
  const bins = new Map((d.bins ?? []).map((r) => [r.item, r]));
  const fitItems = new Map((d.fit?.items ?? []).map((r) => [r.item, r]));
  const ids = d.fit ? d.fit.items.map((r) => r.item) : (d.bins ?? []).map((r) => r.item);
  const textOf = (id: string) => {
    const info = d.itemInfo?.get(id);
    if (!info) return '';
    const f = TEXT_FIELDS.find((k) => typeof info[k] === 'string' && info[k] !== '');
    return f ? info[f] : '';
  };
  const round = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : Math.round(x * 1000) / 1000);
  const items = ids.map((id) => [id, textOf(id), round(diff.get(id)), bins.has(id) ? bins.get(id)!.bin : null, bins.get(id)?.split ?? '', round(fitItems.get(id)?.p_correct)]);
  const models = (d.fit?.models ?? []).map((r) => [r.model, round(r.theta), round(r.se_theta), round(r.p_correct)]);
  return {
    items: { columns: ['item', 'text', 'difficulty', 'bin', 'split', 'share correct'], rows: items },
    models: { columns: ['model', 'ability θ', 'SE', 'accuracy'], rows: models },
  };
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#223;color:#fff;padding:16px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;opacity:.8}
nav{padding:8px 28px;background:#eef;position:sticky;top:0;z-index:1}nav a{margin-right:14px;color:#225}
main{padding:8px 28px 40px;max-width:1200px}section{margin:24px 0}h2{border-bottom:1px solid #ccd;padding-bottom:4px}
figure{display:inline-block;vertical-align:top;margin:10px 18px 18px 0;background:#fff;padding:10px;border:1px solid #e3e3ea;border-radius:6px}
figcaption{max-width:560px;color:#555;font-size:13px}figure h3{margin:0 0 6px;font-size:15px}
.tbl input{padding:5px 8px;width:320px;margin:6px 0}.tbl table{border-collapse:collapse;background:#fff;width:100%}
.tbl th{cursor:pointer;text-align:left;background:#eef;padding:4px 8px;user-select:none}.tbl td{padding:3px 8px;border-top:1px solid #eee;max-width:560px;overflow-wrap:anywhere}
.tbl .pager button{margin:0 4px}.notes{color:#555}
`;

const APP = `
(function () {
  var data = JSON.parse(document.getElementById('gradus-data').textContent);
  data.figures.forEach(function (f) {
    var el = document.getElementById('fig-' + f.id);
    new vega.View(vega.parse(f.vega), { renderer: 'svg', container: el, hover: true })
      .runAsync()
      .then(function () { el.setAttribute('data-rendered', '1'); })
      .catch(function (e) { console.error(e); el.textContent = 'could not draw this figure: ' + e.message; });
  });
  function table(id, t) {
    var root = document.getElementById(id);
    if (!root || !t.rows.length) return;
    var state = { q: '', col: -1, dir: 1, page: 0 }, size = 100;
    var search = document.createElement('input');
    search.type = 'search'; search.placeholder = 'search ' + t.rows.length + ' rows';
    var tbl = document.createElement('table'), thead = document.createElement('thead'), tbody = document.createElement('tbody');
    var pager = document.createElement('div'); pager.className = 'pager';
    var hr = document.createElement('tr');
    t.columns.forEach(function (c, j) {
      var th = document.createElement('th'); th.textContent = c;
      th.addEventListener('click', function () { state.dir = state.col === j ? -state.dir : 1; state.col = j; state.page = 0; draw(); });
      hr.appendChild(th);
    });
    thead.appendChild(hr); tbl.appendChild(thead); tbl.appendChild(tbody);
    root.appendChild(search); root.appendChild(tbl); root.appendChild(pager);
    var keys = t.rows.map(function (r) { return r.join(' ').toLowerCase(); });
    var timer;
    search.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(function () { state.q = search.value.toLowerCase(); state.page = 0; draw(); }, 80); });
    function cmp(a, b) {
      if (a === b) return 0; if (a === null || a === '') return 1; if (b === null || b === '') return -1;
      return (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true })) * state.dir;
    }
    function draw() {
      var idx = [];
      for (var i = 0; i < t.rows.length; i++) if (!state.q || keys[i].indexOf(state.q) >= 0) idx.push(i);
      if (state.col >= 0) idx.sort(function (x, y) { return cmp(t.rows[x][state.col], t.rows[y][state.col]) || x - y; });
      var pages = Math.max(1, Math.ceil(idx.length / size));
      state.page = Math.min(state.page, pages - 1);
      tbody.textContent = '';
      idx.slice(state.page * size, (state.page + 1) * size).forEach(function (i) {
        var tr = document.createElement('tr');
        t.rows[i].forEach(function (v) { var td = document.createElement('td'); td.textContent = v === null ? '' : String(v); tr.appendChild(td); });
        tbody.appendChild(tr);
      });
      pager.textContent = '';
      var info = document.createElement('span');
      info.textContent = idx.length + ' rows' + (pages > 1 ? ', page ' + (state.page + 1) + ' of ' + pages : '');
      pager.appendChild(info);
      if (pages > 1) [['prev', -1], ['next', 1]].forEach(function (b) {
        var btn = document.createElement('button'); btn.textContent = b[0];
        btn.addEventListener('click', function () { state.page = Math.max(0, Math.min(pages - 1, state.page + b[1])); draw(); });
        pager.appendChild(btn);
      });
      root.setAttribute('data-shown', String(idx.length));
    }
    draw();
  }
  table('table-items', data.tables.items);
  table('table-models', data.tables.models);
})();
`;

export function reportHtml(d: ReportData, figs: Figure[]): string {
  const require = createRequire(import.meta.url);
  // the browser build sits beside the schema, the one file of build/ the package exports
  const vegaJs = fs.readFileSync(path.join(path.dirname(require.resolve('vega/vega-schema.json')), 'vega.min.js'), 'utf8');
  const t = tables(d);
  const sections = [...new Set(figs.map((f) => f.section))];
  const allSections = [...sections, ...(t.items.rows.length ? ['Items'] : []), ...(t.models.rows.length ? ['Models table'] : [])];
  const anchor = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const body = sections.map((s) => `<section id="${anchor(s)}"><h2>${escapeHtml(s)}</h2>\n${figs.filter((f) => f.section === s).map((f) => `<figure><h3>${escapeHtml(f.title)}</h3><div class="fig" id="fig-${f.id}"></div><figcaption>${escapeHtml(f.caption)}</figcaption></figure>`).join('\n')}</section>`).join('\n');
  const tablesHtml = `${t.items.rows.length ? `<section id="items"><h2>Items</h2><div class="tbl" id="table-items"></div></section>` : ''}${t.models.rows.length ? `<section id="models-table"><h2>Models</h2><div class="tbl" id="table-models"></div></section>` : ''}`;
  const payload = { figures: figs.map((f) => ({ id: f.id, vega: toVega(f) })), tables: t };
  const notes = d.notes.length ? `<p class="notes">${d.notes.map(escapeHtml).join('<br>')}</p>` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(d.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(d.title)}</h1><p>${escapeHtml(d.source)}</p></header>
<nav>${allSections.map((s) => `<a href="#${anchor(s === 'Models table' ? 'models-table' : s)}">${escapeHtml(s)}</a>`).join('')}</nav>
<main>${notes}${body}${tablesHtml}</main>
<script id="gradus-data" type="application/json">${scriptJson(payload)}</script>
<script>${vegaJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>${APP}</script>
</body></html>
`;
}
