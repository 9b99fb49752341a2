/** The cells of a study: the untrained baseline, then every strategy's training sets × seeds. */
import { createHash } from 'node:crypto';
import type { CellInfo } from '../plugins/contract.js';
import { stableJson, strategyName, type StrategyName, type StudyConfig } from './config.js';
import type { StudyData } from './items.js';
import { trainBinsLabel, trainingSets, type TrainingSet } from './strategies.js';

export interface Cell extends CellInfo {
  strategy: StrategyName | 'baseline';
  set?: TrainingSet;
  /** hash of everything that decides this cell's result: a finished cell with the same key is never redone */
  key: string;
}

export function cellKey(parts: unknown): string {
  return createHash('sha256').update(stableJson(parts)).digest('hex').slice(0, 16);
}

export function planCells(config: StudyConfig, data: StudyData): Cell[] {
  const shared = { evaluator: config.evaluator, base_model: config.base_model, test_on: config.test_on, data: data.fingerprint };
  const cells: Cell[] = [];
  if (config.baseline) cells.push({ id: 'baseline', strategy: 'baseline', trainBins: [], seed: 0, key: cellKey({ ...shared, cell: 'baseline' }) });
  const seen = new Set<string>();
  for (const spec of config.strategies) {
    for (const seed of config.seeds) {
      for (const set of trainingSets(data.bins, spec, seed, config.max_train)) {
        const label = trainBinsLabel(set.trainBins);
        const id = `${strategyName(spec)}_b${label.replace(/;/g, '+')}_s${seed}`;
        if (seen.has(id)) continue;
        seen.add(id);
        cells.push({ id, strategy: set.strategy, trainBins: set.trainBins, seed, set, key: cellKey({ ...shared, learner: config.learner, max_train: config.max_train ?? null, spec, seed, bins: set.trainBins }) });
      }
    }
  }
  return cells;
}
