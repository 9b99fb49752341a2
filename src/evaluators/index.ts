/** Every kind of evaluator a study config can name; a new kind is a file here and a line in this list. */
import { registry } from '../plugins/registry.js';
import { openaiEvaluator } from './openai.js';
import { commandEvaluator } from './command.js';
import { builtinEvaluator } from './builtin.js';

export const evaluators = registry([openaiEvaluator, commandEvaluator, builtinEvaluator]);
