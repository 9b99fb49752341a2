import type { Command } from 'commander';
import { register as inspect } from './inspect.js';
import { register as simulate } from './simulate.js';
import { register as fit } from './fit.js';
import { register as score } from './score.js';

export const commands: Array<(program: Command) => void> = [inspect, simulate, fit, score];
