import type { Command } from 'commander';
import { register as inspect } from './inspect.js';
import { register as simulate } from './simulate.js';
import { register as fit } from './fit.js';
import { register as score } from './score.js';
import { register as bins } from './bins.js';
import { register as split } from './split.js';
import { register as agree } from './agree.js';
import { register as stability } from './stability.js';
import { register as study } from './study.js';

export const commands: Array<(program: Command) => void> = [inspect, simulate, fit, score, bins, split, agree, stability, study];
