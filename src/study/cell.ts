/** A study cell: one training set (or none, for the baseline) and its evaluation on every bin. */
import type { Vars } from '../util/template.js';
import type { StrategyName } from './config.js';
import type { StudyItem } from './items.js';
import type { TrainingSet } from './strategies.js';

export interface Cell {
  id: string;
  strategy: StrategyName | 'baseline';
  trainBins: number[];
  seed: number;
  set?: TrainingSet;
  /** hash of everything that decides this cell's result: a finished cell with the same key is never redone */
  key: string;
}

export interface CellContext {
  cell: Cell;
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
}

export interface Learner {
  /** trains on `set` (in its order when set.ordered) and leaves the model at ctx.modelPath */
  train(ctx: CellContext, set: TrainingSet): Promise<void>;
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
