/** `p2pnc diagnose`: names the culprit of failing checks by correlating them across the matrix; exit code by severity. */
import type { Command } from 'commander';
import { addClusterOptions, addFromFileOption, readChecksFrom, type CheckSourceOptions } from '../cluster-options.js';
import type { DiagnoseFormat } from '../../ops/render-findings.js';
import { UsageError } from '../../util/errors.js';

interface DiagnoseOptions extends CheckSourceOptions {
  output: string;
}

// Type-only import: the renderer itself loads only when the command runs.
const FORMATS: readonly DiagnoseFormat[] = ['text', 'json', 'yaml'];

export function registerDiagnoseCommand(program: Command): void {
  addClusterOptions(
    addFromFileOption(
      program
        .command('diagnose')
        .description('Classify failing checks (DNS, refused, timeout, no route, TLS, HTTP) and name the culprit: node, source, Service, load balancer, DNS'),
    ),
  )
    .option('-o, --output <format>', `output format: ${FORMATS.join(', ')}`, 'text')
    .addHelpText(
      'after',
      '\nExit codes: 0 no findings, 3 warnings only, 4 at least one critical finding; 1 the checks cannot be read, 2 bad usage.\nColour only on a terminal; NO_COLOR disables it, FORCE_COLOR=1 forces it.',
    )
    .action(async (options: DiagnoseOptions) => {
      const format = FORMATS.find((known) => known === options.output);
      if (!format) throw new UsageError(`-o "${options.output}" is not an output format; use one of ${FORMATS.join(', ')}`);
      const [{ diagnose }, { exitCodeFor }, { renderDiagnosis }, { stdoutPalette }] = await Promise.all([
        import('../../ops/diagnose.js'),
        import('../../ops/findings.js'),
        import('../../ops/render-findings.js'),
        import('../../ops/format.js'),
      ]);
      const { checks, now } = await readChecksFrom(options);
      const diagnosis = diagnose(checks, { now, namespace: options.namespace });
      const palette = stdoutPalette();
      process.stdout.write(renderDiagnosis(diagnosis, format, palette));
      process.exitCode = exitCodeFor(diagnosis.findings);
    });
}
