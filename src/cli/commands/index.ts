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
import { register as tasks } from './tasks.js';
import { register as train } from './train.js';
import { register as answer } from './answer.js';
import { register as serve } from './serve.js';
import { register as zoo } from './zoo.js';
import { register as demo } from './demo.js';
import { register as report } from './report.js';

export const commands: Array<(program: Command) => void> = [inspect, simulate, fit, score, bins, split, agree, stability, study, tasks, train, answer, serve, zoo, demo, report];
