/** `p2pnc`: one CLI for the generator, the runtime and the operator tools. */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../util/errors.js';
import { registerCheckCommand } from './commands/check.js';
import { registerDiagnoseCommand } from './commands/diagnose.js';
import { registerImportCommand } from './commands/import.js';
import { registerPruneCommand } from './commands/prune.js';
import { registerReportCommand } from './commands/report.js';
import { registerSchemaCommand } from './commands/schema.js';
import { registerSourceCommand } from './commands/source.js';
import { registerStatusCommand } from './commands/status.js';
import { registerSynthCommand } from './commands/synth.js';
import { registerTargetCommand } from './commands/target.js';
import { reportError } from './run.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('p2pnc')
    .description('Point-to-point network connectivity checks for Kubernetes')
    .version(VERSION)
    .showSuggestionAfterError(true)
    .exitOverride();
  registerSynthCommand(program);
  registerSchemaCommand(program);
  registerCheckCommand(program);
  registerTargetCommand(program);
  registerSourceCommand(program);
  registerPruneCommand(program);
  registerStatusCommand(program);
  registerDiagnoseCommand(program);
  registerReportCommand(program);
  registerImportCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander printed its own message already; help and version are successes.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 2;
    }
    if (error instanceof UsageError) return reportError(error);
    return reportError(error);
  }
}
