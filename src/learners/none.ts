/**
 * No training here: models trained elsewhere. `model` names each cell's checkpoint (with the cell's placeholders);
 * the baseline is base_model.
 */
import { z } from 'zod';
import { fill } from '../util/template.js';
import type { Learner } from '../plugins/contract.js';
import { definePlugin } from '../plugins/registry.js';

const schema = z.object({ kind: z.literal('none'), model: z.string().default('{base_model}') }).strict();

export const noneLearner = definePlugin(schema, (cfg): Learner => ({
  keepsOrder: true,
  modelElsewhere: (vars) => fill(cfg.model, vars, 'learner.model'),
}));
