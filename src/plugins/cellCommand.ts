/**
 * A program a cell depends on (trainer, evaluation command, gradus train/answer): run with its log, time limit and
 * retries; an interrupted study or a failure that outlasts the retries becomes the cell's CellFailure.
 */
import path from 'node:path';
import { describeOutcome, runLogged } from '../util/runCommand.js';
import { CellFailure, type CellContext } from './contract.js';

export interface CellCommandOptions {
  /** what the failure message calls it: "the training command", "gradus answer" */
  what: string;
  log: string;
  cwd?: string;
  env?: Record<string, string>;
  timeoutS?: number;
  retries?: number;
}

export async function runCellCommand(argv: string[], ctx: CellContext, o: CellCommandOptions): Promise<void> {
  const timeoutMs = o.timeoutS === undefined ? undefined : o.timeoutS * 1000;
  const retries = o.retries ?? 0;
  const cwd = o.cwd ? path.resolve(ctx.configDir, o.cwd) : ctx.configDir;
  let last = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) ctx.say(`${ctx.cell.id}: ${o.what} ${last}; retry ${attempt} of ${retries}`);
    const r = await runLogged(argv, { log: o.log, cwd, env: o.env, timeoutMs, signal: ctx.signal });
    if (r.aborted) throw new CellFailure('interrupted', o.log);
    if (r.code === 0) return;
    last = describeOutcome(r, timeoutMs);
  }
  throw new CellFailure(`${o.what} ${last}`, o.log);
}
