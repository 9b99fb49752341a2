import { GradusError } from '../errors.js';
import type { Learner } from '../study/cell.js';
import type { StudyConfig } from '../study/config.js';

export function builtinLearner(_cfg: Extract<StudyConfig['learner'], { kind: 'builtin' }>): Learner {
  throw new GradusError('the built-in learner is not available yet', 'Use learner.kind "command" or "none".');
}
