/** Figures to SVG with Vega's headless renderer, and to PNG through resvg, for papers and slides. */
import path from 'node:path';
import * as vega from 'vega';
import { Resvg } from '@resvg/resvg-js';
import { writeFileAtomic } from '../util/atomic.js';
import type { Figure } from './figures.js';
import { toVega } from './html.js';

export async function figureSvg(f: Figure): Promise<string> {
  const view = new vega.View(vega.parse(toVega(f) as vega.Spec), { renderer: 'none' });
  try {
    // white background: transparent PNGs vanish on dark slides
    view.background('white');
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function exportFigures(figs: Figure[], o: { svg?: string; png?: string; scale?: number }): Promise<string[]> {
  const written: string[] = [];
  for (const f of figs) {
    const svg = await figureSvg(f);
    if (o.svg) {
      const file = path.join(o.svg, `${f.id}.svg`);
      writeFileAtomic(file, svg);
      written.push(file);
    }
    if (o.png) {
      const png = new Resvg(svg, { fitTo: { mode: 'zoom', value: o.scale ?? 2 }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
      const file = path.join(o.png, `${f.id}.png`);
      writeFileAtomic(file, png);
      written.push(file);
    }
  }
  return written;
}
