/** `p2pnc`: one CLI for the generator, the runtime and the operator tools. */
import { Command, CommanderError } from 'commander';
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
import { addExamples, describeDefaults } from './help.js';
import { reportError } from '../util/report-error.js';
import { P2PNC_VERSION } from '../api/version.js';

export const VERSION = P2PNC_VERSION;

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
  addExamples(
    program,
    [
      'p2pnc import -o topology.yaml       # start a topology from the current kubeconfig context',
      'p2pnc synth                         # topology.yaml -> dist/, to commit for Argo CD',
      'p2pnc status                        # every check of the cluster at a glance',
      'p2pnc diagnose                      # where the failures live',
      'p2pnc check tcp-endpoint 10.0.0.4:6443 --tls',
    ],
    ["Run 'p2pnc <command> --help' for a command's flags and examples."],
  );
  describeDefaults(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander printed its own message already. Help asked for and --version are successes; help shown because
      // a command is missing (bare `p2pnc check`) and every parse error are usage errors.
      return error.exitCode === 0 ? 0 : 2;
    }
    return reportError(error);
  }
}
