import { GradusError } from '../errors.js';
import type { Evaluator } from '../study/cell.js';
import type { StudyConfig } from '../study/config.js';

export function builtinEvaluator(_cfg: Extract<StudyConfig['evaluator'], { kind: 'builtin' }>): Evaluator {
  throw new GradusError('the built-in evaluator is not available yet', 'Use evaluator.kind "openai" or "command".');
}
