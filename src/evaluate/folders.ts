/**
 * The library faces of `gradus subset`, `gradus estimate` and `gradus cat`: read the fit folder, bins, subset and
 * responses, run the numerics, write the files. The CLI is a thin layer over these.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { GradusError, option } from '../errors.js';
import { readBins } from '../difficulty/binsFile.js';
import { readItemTable } from '../responses/itemTable.js';
import { readResponses, type ReadOptions } from '../responses/read.js';
import { writeFileAtomic } from '../util/atomic.js';
import { safeJson } from '../util/csv.js';
import { loadBank, type ItemBank } from './bank.js';
import { checkCatOptions, learnCatCorrection, runCat, CAT_DEFAULTS, type CatHooks, type CatOptions, type CatResult } from './cat.js';
import { learnCorrection, type Correction } from './correction.js';
import { learnResidualCorrelation, MAX_CORRELATED_ITEMS } from './residualCorrelation.js';
import { estimateAccuracy, type BinAssignment, type EstimateResult } from './estimate.js';
import { writeEstimates } from './estimatesFile.js';
import { balanceFrom, binAssignment } from './groups.js';
import type { Responder } from './responder.js';
import { SELECTIONS } from './select.js';
import { selectSubset, type Subset, type SubsetOptions } from './subset.js';
import { readSubset, writeSubset } from './subsetFile.js';
import { readTrajectory, trajectoryWriter } from './trajectoryFile.js';
import type { Estimator } from './ability.js';

/** The calibration models' responses: as given, else the fit's own inputs where they still exist. */
function calibrationFiles(bank: ItemBank, given?: string[]): string[] {
  return given ?? (bank.calibration ?? []).map((f) => path.resolve(f)).filter((f) => fs.existsSync(f));
}

function binsOf(bank: ItemBank, file?: string): BinAssignment | undefined {
  return file === undefined ? undefined : binAssignment(bank, readBins(file), file);
}

export function subsetFromFit(fitDir: string, o: Omit<SubsetOptions, 'bins'> & { bins?: string }, out: string): { bank: ItemBank; subset: Subset } {
  const bank = loadBank(fitDir);
  const bins = binsOf(bank, o.bins);
  const subset = selectSubset(bank, { ...o, bins: bins?.bin });
  writeSubset(out, bank, subset, bins);
  return { bank, subset };
}

export interface EstimateFileOptions {
  method?: Estimator;
  subset?: string;
  bins?: string;
  /** responses of the calibration models, for the correction; default: the inputs fit.json names; false: none */
  calibration?: string[] | false;
  read?: ReadOptions;
}

export interface EstimateFilesResult extends EstimateResult {
  files: string[];
  correction?: Correction;
  notes: string[];
}

export async function estimateFiles(fitDir: string, responses: string[], o: EstimateFileOptions, out: string): Promise<EstimateFilesResult> {
  const bank = loadBank(fitDir);
  const bins = binsOf(bank, o.bins);
  const subset = o.subset === undefined ? undefined : readSubset(o.subset, bank);
  const { matrix, report } = await readResponses(responses, o.read);
  const notes = [...report.warnings];
  let correction: Correction | undefined;
  if (subset && o.calibration !== false) {
    const cal = calibrationFiles(bank, o.calibration);
    if (cal.length) {
      correction = learnCorrection(bank, (await readResponses(cal, o.read)).matrix, subset, o.method);
      notes.push(`correction learned on ${correction.models} calibration models: λ = ${correction.lambda} (IRT share), residual model ${correction.residual ? `on, penalty ${correction.penalty}` : 'off (it did not lower their error)'}, interval × ${Math.sqrt(correction.kappa).toFixed(2)}; their error ${correction.mae.toFixed(4)} (IRT alone ${correction.maeIrt.toFixed(4)})`);
    } else notes.push('no calibration responses found (fit.json inputs, or give calibration files): accuracy is the IRT reconstruction without the correction');
  }
  const r = estimateAccuracy(bank, matrix, { method: o.method, bins, subset, correction });
  if (!r.rows.some((x) => x.n_answered > 0)) {
    throw new GradusError(`no model answered any ${subset ? 'subset ' : ''}item of the bank`, subset ? 'Give responses that include the subset items.' : 'Give responses to the items the fit was made on.', { file: responses[0] });
  }
  if (r.unknownItems) notes.push(`${r.unknownItems} item(s) of the responses are not in the bank and were ignored`);
  if (r.empty.length) notes.push(`${r.empty.length} model(s) answered no usable item; their rows are empty: ${r.empty.slice(0, 5).join(', ')}`);
  if (r.fallback.length) notes.push(`${r.fallback.length} model(s) answered all right or all wrong: ML has no finite value, so their θ is the MAP estimate`);
  const files = writeEstimates(out, r.rows, bins ? r.binRows : undefined);
  return { ...r, files, correction, notes };
}

export interface CatFolderOptions extends CatOptions {
  /** responses of the calibration models, to size the intervals from; default: the fit's inputs; false: none */
  calibration?: string[] | false;
  binsFile?: string;
  balanceBy?: string;
  items?: string;
  /** a subset file (gradus subset): its items are asked first, in its order, and its weights carry its mean */
  startAnchorsFile?: string;
}

/** Runs (or resumes) an adaptive test into DIR: trajectory.csv line by line, then estimates.csv, cat.json. */
export async function catToFolder(fitDir: string, makeResponder: (bank: ItemBank) => Responder, o: CatFolderOptions, dir: string, hooks: Pick<CatHooks, 'onStep' | 'onModel'> & { onStart?(models: number, resumed: number): void } = {}): Promise<CatResult & { files: string[]; correction?: Correction; correlation?: { models: number; shrink?: number; why?: string } }> {
  const bank = loadBank(fitDir);
  if (o.select !== undefined && !SELECTIONS.includes(o.select)) throw new GradusError(`unknown selection "${o.select}"`, `${option('select')} is one of ${SELECTIONS.join(', ')}.`);
  if ((o.balanceBy === undefined) !== (o.items === undefined)) throw new GradusError(`${option('balanceBy')} needs ${option('items')} (a table with that column), and the other way round`, 'Give both, or neither.');
  const bins = binsOf(bank, o.binsFile);
  const balance = o.balanceBy !== undefined ? balanceFrom(bank, readItemTable(o.items!), o.balanceBy) : undefined;
  const startAnchors = o.startAnchorsFile !== undefined ? readSubset(o.startAnchorsFile, bank) : o.startAnchors;
  // before anything is written: a refused run must not leave a folder that refuses the corrected rerun
  checkCatOptions({ ...o, startAnchors }, { file: o.startAnchorsFile });
  const responder = makeResponder(bank);
  const cal = o.calibration === false ? [] : calibrationFiles(bank, o.calibration);
  let calibration = cal.length ? (await readResponses(cal)).matrix : undefined;
  const correlation = o.select !== 'accuracy' ? undefined : o.correlation ?? (calibration ? learnResidualCorrelation(bank, calibration) : undefined);
  const why = o.select !== 'accuracy' || correlation ? undefined : bank.ids.length > MAX_CORRELATED_ITEMS ? `a bank of over ${MAX_CORRELATED_ITEMS} items` : !calibration ? 'no calibration responses' : 'fewer than 3 calibration models answer half the bank';
  const none = why ? { models: 0, why } : undefined;
  const settings = { ...CAT_DEFAULTS, ...pick(o), calibration: o.calibration ?? null, fit: path.resolve(fitDir), bank: bank.ids.length, bins: o.binsFile ?? null, balance_by: o.balanceBy ?? null,
    // the anchors themselves, not the file's name: an edited file must not resume a run begun with other anchors
    start_anchors: startAnchors ? { items: Array.from(startAnchors.items, (i) => bank.ids[i]), weights: Array.from(startAnchors.weights) } : null,
    // accuracy selection chooses by the correlations: edited calibration files must not resume a run begun with others
    ...(o.select === 'accuracy' ? { residual_correlation: correlation ? { models: correlation.models, shrink: correlation.shrink, digest: digestOf(correlation.R) } : null } : {}) };
  fs.mkdirSync(dir, { recursive: true });
  const settingsFile = path.join(dir, 'cat.json');
  const trajectory = path.join(dir, 'trajectory.csv');
  if (fs.existsSync(trajectory)) {
    const before = fs.existsSync(settingsFile) ? (JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as { settings?: unknown }).settings : undefined;
    if (!sameSettings(before, settings)) throw new GradusError('this folder holds an adaptive test run with other settings', `Rerun with the same settings to resume, or give a new ${option('out')} folder.`, { file: settingsFile });
  }
  const resume = readTrajectory(trajectory, bank);
  writeFileAtomic(settingsFile, safeJson({ settings, done: false }));
  hooks.onStart?.(responder.models.length, [...resume.values()].filter((s) => s.length).length);
  const correction = calibration ? await learnCatCorrection(bank, calibration, { ...o, balance, startAnchors, correlation }) : undefined;
  // the calibration matrix is not needed during the test itself
  calibration = undefined;
  const write = trajectoryWriter(trajectory, bank);
  const r = await runCat(bank, responder, { ...o, bins, balance, startAnchors, correction, correlation }, { resume, onStep: (s) => { write(s); hooks.onStep?.(s); }, onModel: hooks.onModel });
  const files = writeEstimates(path.join(dir, 'estimates.csv'), r.rows, bins ? r.binRows : undefined);
  writeFileAtomic(settingsFile, safeJson({ settings, done: true, correction: correction ? { ...correction, residual: residualCount(correction) } : null, ...(none ? { residual_correlation: none } : {}), stops: r.stops }));
  // the summary, not the N × N matrix: the result is what --json prints
  return { ...r, correction, correlation: correlation ? { models: correlation.models, shrink: correlation.shrink } : none, files: [trajectory, ...files, settingsFile] };
}

/** Settings added since cat.json was first written, with the value a run written before them had. */
const LATER_SETTINGS: Record<string, unknown> = { stopAccuracy: CAT_DEFAULTS.stopAccuracy, start_anchors: null };

/** Whether a folder's recorded settings are these, a setting it predates counting as its old value. */
function sameSettings(before: unknown, now: Record<string, unknown>): boolean {
  if (typeof before !== 'object' || before === null) return false;
  const old: Record<string, unknown> = { ...LATER_SETTINGS, ...before };
  const keys = new Set([...Object.keys(old), ...Object.keys(now)]);
  return [...keys].every((k) => JSON.stringify(old[k]) === JSON.stringify(now[k]));
}

/** A short fingerprint of the correlations a test chose its items by. */
function digestOf(R: Float64Array): string {
  return createHash('sha256').update(new Uint8Array(R.buffer, R.byteOffset, R.byteLength)).digest('hex').slice(0, 16);
}

/** cat.json records how many items the residual model weighs, not a weight per bank item. */
function residualCount(c: Correction): number {
  return c.residual ? c.residual.reduce((n, w) => n + (w ? 1 : 0), 0) : 0;
}

function pick(o: CatOptions) {
  const { select, start, estimator, stopSe, stopAccuracy, minItems, maxItems, randomesque, seed } = o;
  return Object.fromEntries(Object.entries({ select, start, estimator, stopSe, stopAccuracy, minItems, maxItems, randomesque, seed }).filter(([, v]) => v !== undefined));
}
