/** The evaluator a config names. */
import type { Evaluator } from '../study/cell.js';
import type { StudyConfig } from '../study/config.js';
import { openaiEvaluator } from './openai.js';
import { commandEvaluator } from './command.js';
import { builtinEvaluator } from './builtin.js';

export function makeEvaluator(cfg: StudyConfig['evaluator']): Evaluator {
  switch (cfg.kind) {
    case 'openai':
      return openaiEvaluator(cfg);
    case 'command':
      return commandEvaluator(cfg);
    case 'builtin':
      return builtinEvaluator(cfg);
  }
}
