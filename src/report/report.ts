/** Library face of `gradus report`: collect what a folder holds, draw it, write the HTML (and SVG/PNG files). */
import { writeFileAtomic } from '../util/atomic.js';
import { collectReport, type CollectOptions } from './collect.js';
import { figures } from './figures.js';
import { reportHtml } from './html.js';
import { exportFigures } from './export.js';

export interface ReportOptions extends CollectOptions {
  out: string;
  svg?: string;
  png?: string;
  scale?: number;
  icc?: string[];
}

export async function writeReport(input: string, o: ReportOptions): Promise<{ html: string; figures: string[]; files: string[] }> {
  const data = await collectReport(input, o);
  const figs = figures(data, { icc: o.icc });
  writeFileAtomic(o.out, reportHtml(data, figs));
  const files = o.svg || o.png ? await exportFigures(figs, o) : [];
  return { html: o.out, figures: figs.map((f) => f.id), files };
}
