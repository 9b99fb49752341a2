/** The learner a config names. */
import type { Learner } from '../study/cell.js';
import type { StudyConfig } from '../study/config.js';
import { commandLearner } from './command.js';
import { builtinLearner } from './builtin.js';

export function makeLearner(cfg: StudyConfig['learner']): Learner | null {
  switch (cfg.kind) {
    case 'command':
      return commandLearner(cfg);
    case 'builtin':
      return builtinLearner(cfg);
    case 'none':
      return null;
  }
}
