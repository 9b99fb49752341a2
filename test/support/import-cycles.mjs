#!/usr/bin/env node
// Vendored from ../shared/tools/import-cycles.mjs (the project's own layer check, as the issue tracker runs it),
// so that test/layers.test.ts runs on a plain clone. Keep it in step with that file.
// Lists circles of relative imports among the TypeScript/JavaScript files under a folder (default: src).
// Usage: node ../shared/tools/import-cycles.mjs [src]   — exit 1 when a circle exists, printing each one.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.(m?[jt]s|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
})(root);

const known = new Set(files);
const resolve = (from, spec) => {
  const base = path.resolve(path.dirname(from), spec);
  const stem = base.replace(/\.(m?js)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${base}.ts`, path.join(base, 'index.ts')]) if (known.has(c)) return c;
  return null;
};
const edges = new Map();
for (const f of files) {
  const text = fs.readFileSync(f, 'utf8');
  const out = new Set();
  // static imports and re-exports; type-only imports do not make a runtime circle but still tie the layers
  for (const m of text.matchAll(/(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const t = resolve(f, m[1]);
    if (t && t !== f) out.add(t);
  }
  for (const m of text.matchAll(/import\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g)) {
    const t = resolve(f, m[1]);
    if (t && t !== f) out.add(t);
  }
  edges.set(f, out);
}

// Tarjan's strongly connected components: every component with more than one file is a circle.
let index = 0;
const idx = new Map(), low = new Map(), onStack = new Set(), stack = [], circles = [];
function strong(v) {
  idx.set(v, index); low.set(v, index); index++; stack.push(v); onStack.add(v);
  for (const w of edges.get(v)) {
    if (!idx.has(w)) { strong(w); low.set(v, Math.min(low.get(v), low.get(w))); }
    else if (onStack.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
  }
  if (low.get(v) === idx.get(v)) {
    const comp = [];
    let w;
    do { w = stack.pop(); onStack.delete(w); comp.push(w); } while (w !== v);
    if (comp.length > 1) circles.push(comp);
  }
}
for (const f of files) if (!idx.has(f)) strong(f);

const rel = (p) => path.relative(process.cwd(), p);
for (const c of circles) {
  console.log(`circle of ${c.length} files:`);
  for (const f of c.sort()) {
    const inCircle = [...edges.get(f)].filter((t) => c.includes(t)).map(rel);
    console.log(`  ${rel(f)} -> ${inCircle.join(', ')}`);
  }
}

// The same at the scale of folders (the first folder under root): two folders that import each other.
const folderOf = (f) => { const r = path.relative(root, f).split(path.sep); return r.length > 1 ? r[0] + '/' : r[0]; };
const between = new Map();
for (const [f, out] of edges) for (const t of out) {
  const a = folderOf(f), b = folderOf(t);
  if (a === b) continue;
  const k = `${a}\t${b}`;
  if (!between.has(k)) between.set(k, []);
  between.get(k).push(`${path.relative(root, f)} -> ${path.relative(root, t)}`);
}
const pairs = [];
for (const k of between.keys()) {
  const [a, b] = k.split('\t');
  if (a < b && between.has(`${b}\t${a}`)) pairs.push([a, b]);
}
for (const [a, b] of pairs) {
  console.log(`folders ${a} and ${b} import each other:`);
  for (const e of [...between.get(`${a}\t${b}`), ...between.get(`${b}\t${a}`)].slice(0, 8)) console.log(`  ${e}`);
}
if (circles.length === 0 && pairs.length === 0) { console.log(`no import circles among ${files.length} files under ${rel(root) || '.'}`); process.exit(0); }
process.exit(1);
