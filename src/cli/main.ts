import { Command, CommanderError } from 'commander';
import { GradusError } from '../errors.js';
import { flagName } from './options.js';
import { commands } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command('gradus')
    .description('Model-based difficulty: read eval logs, fit IRT models, bin items by difficulty, and study generalization across bins.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI and returns the exit code: 0 ok, 1 a run that finished with failures, 2 bad input or usage. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? 0 : 2;
    }
    if (e instanceof GradusError) {
      process.stderr.write(`gradus: ${e.render(flagName)}\n`);
      return 2;
    }
    const err = e as Error;
    process.stderr.write(`gradus: internal error: ${err.message}\n${process.env.GRADUS_DEBUG ? err.stack + '\n' : 'Set GRADUS_DEBUG=1 for the stack trace, and please report it.\n'}`);
    return 70;
  }
}
