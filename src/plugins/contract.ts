/**
 * What a learner and an evaluator see of a study, and what they give back: the contract every kind implements.
 * The study (plan, executor, runner) builds on it; nothing here knows how cells are planned, run or stored.
 */
import type { Vars } from '../util/template.js';

/** An item as a study trains and scores on it. */
export interface StudyItem {
  id: string;
  bin: number;
  split: 'train' | 'test';
  prompt: string;
  answer: string;
  choices?: string[];
  /** the item's line as written, every field */
  fields: Record<string, unknown>;
}

/** The items one cell trains on. */
export interface TrainingSet {
  strategy: string;
  /** bins the items are drawn from, ascending */
  trainBins: number[];
  items: StudyItem[];
  /** the learner must see the items in this order (curricula) */
  ordered: boolean;
}

/** A study cell as plugins see it: one training set (or none, for the baseline) and its evaluation on every bin. */
export interface CellInfo {
  id: string;
  strategy: string;
  trainBins: number[];
  seed: number;
}

export interface CellContext {
  cell: CellInfo;
  /** DIR/cells/<id> */
  dir: string;
  /** where the learner writes the model; for the baseline, the base model */
  modelPath: string;
  studyDir: string;
  configDir: string;
  baseModel: string;
  signal: AbortSignal;
  /** placeholders shared by learner and evaluator commands */
  vars: Vars;
  /** a line for the progress log */
  say(line: string): void;
}

export interface ItemResult {
  id: string;
  bin: number;
  correct: boolean;
  output: string | null;
  extracted: string | null;
  /** answer.kind loglikelihood: each choice's summed log-probability */
  loglikelihoods?: number[];
}

export interface Learner {
  /** trains on `set` (in its order when set.ordered) and leaves the model at ctx.modelPath */
  train?(ctx: CellContext, set: TrainingSet): Promise<void>;
  /** for models trained elsewhere (no train): where a trained cell's model is, from the cell's placeholders */
  modelElsewhere?(vars: Vars): string;
  /** false when the learner shuffles, so curricula would be meaningless */
  keepsOrder: boolean;
}

export interface Evaluator {
  evaluate(ctx: CellContext, items: StudyItem[]): Promise<ItemResult[]>;
  /** cells may evaluate at the same time (false when each cell starts its own server on one port) */
  concurrent: boolean;
}

/** A failure that belongs to a cell: recorded with its log, and the study goes on. */
export class CellFailure extends Error {
  constructor(message: string, readonly log?: string) {
    super(message);
    this.name = 'CellFailure';
  }
}
