/** Every kind of learner a study config can name; a new kind is a file here and a line in this list. */
import { registry } from '../plugins/registry.js';
import { commandLearner } from './command.js';
import { builtinLearner } from './builtin.js';
import { noneLearner } from './none.js';

export const learners = registry([commandLearner, builtinLearner, noneLearner]);
