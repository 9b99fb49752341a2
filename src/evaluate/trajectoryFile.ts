/**
 * trajectory.csv (contract): model,step,item,correct,theta,se_theta — one line per answer, appended as soon as the
 * answer is in, so that a killed run loses nothing and a rerun resumes without asking any item twice. A line cut off
 * by a kill (no newline at its end) is dropped on reading and cut from the file before appending.
 */
import fs from 'node:fs';
import { parse } from 'csv-parse/sync';
import { GradusError, option } from '../errors.js';
import { csvField } from '../util/csv.js';
import type { ItemBank } from './bank.js';
import type { CatStep } from './cat.js';

export const TRAJECTORY_COLUMNS = ['model', 'step', 'item', 'correct', 'theta', 'se_theta'] as const;

export type Resume = Map<string, Array<{ item: number; correct: number }>>;

/** The steps already in the file (by model, in step order), with the file trimmed to whole lines. */
export function readTrajectory(file: string, bank: ItemBank): Resume {
  const out: Resume = new Map();
  if (!fs.existsSync(file)) return out;
  let text = fs.readFileSync(file, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  if (end < text.length) {
    text = text.slice(0, end);
    fs.truncateSync(file, Buffer.byteLength(text));
  }
  const rows: Record<string, string>[] = parse(text, { columns: true, skip_empty_lines: true });
  rows.forEach((r, k) => {
    const i = bank.index.get(r.item);
    if (i === undefined) throw new GradusError(`item ${JSON.stringify(r.item)} is not in the bank`, `This trajectory belongs to another fit: use a new ${option('out')} folder.`, { file, line: k + 2 });
    const list = out.get(r.model) ?? out.set(r.model, []).get(r.model)!;
    if (Number(r.step) !== list.length + 1) throw new GradusError(`step ${r.step} of ${JSON.stringify(r.model)} is out of order`, `The file was edited; use a new ${option('out')} folder.`, { file, line: k + 2 });
    if (list.some((s) => s.item === i)) throw new GradusError(`item ${JSON.stringify(r.item)} is asked twice for ${JSON.stringify(r.model)}`, `The file was edited; use a new ${option('out')} folder.`, { file, line: k + 2 });
    list.push({ item: i, correct: Number(r.correct) ? 1 : 0 });
  });
  return out;
}

/** Appends one line per step, synchronously, so the line is on disk before the next item is asked. */
export function trajectoryWriter(file: string, bank: ItemBank): (s: CatStep) => void {
  if (!fs.existsSync(file) || fs.statSync(file).size === 0) fs.writeFileSync(file, `${TRAJECTORY_COLUMNS.join(',')}\n`);
  return (s) => {
    const row = [s.model, s.step, bank.ids[s.item], s.correct, s.theta, s.se_theta];
    fs.appendFileSync(file, `${row.map(csvField).join(',')}\n`);
  };
}
