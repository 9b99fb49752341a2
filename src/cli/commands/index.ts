import type { Command } from 'commander';
import { register as inspect } from './inspect.js';

export const commands: Array<(program: Command) => void> = [inspect];
