/** `p2pnc diagnose`: names the culprit of failing checks by correlating them across the matrix; exit code by severity. */
import type { Command } from 'commander';
import { addClusterOptions, addFromFileOption, readRowsFrom, type CheckSourceOptions } from '../cluster-options.js';
import type { DiagnoseFormat } from '../../ops/render-findings.js';
import { addExamples, outputFormatOption } from '../help.js';

interface DiagnoseOptions extends CheckSourceOptions {
  output: DiagnoseFormat;
}

export function registerDiagnoseCommand(program: Command): void {
  const command = addClusterOptions(
    addFromFileOption(
      program
        .command('diagnose')
        .description(
          'Classify failing checks (DNS, refused, timeout, no route, TLS, HTTP) and name the culprit: node, source, Service, load balancer, DNS',
        ),
    ),
  )
    // Type-only import of the formats: the renderer itself loads only when the command runs.
    .addOption(outputFormatOption<DiagnoseFormat>(['text', 'json', 'yaml']))
    .action(async (options: DiagnoseOptions, self: Command) => {
      const [{ diagnoseRows }, { exitCodeFor }, { renderDiagnosis }, { stdoutPalette }, { readHeartbeatsAlongside }] =
        await Promise.all([
          import('../../ops/diagnose.js'),
          import('../../ops/findings.js'),
          import('../../ops/render-findings.js'),
          import('../../ops/format.js'),
          import('../../ops/heartbeats.js'),
        ]);
      const heartbeatsRead = readHeartbeatsAlongside(options);
      const { rows, now, namespace } = await readRowsFrom(options, self);
      const { heartbeats, unreadable } = await heartbeatsRead;
      if (unreadable)
        process.stderr.write(
          `note: ${unreadable}; sources are judged by their results' age alone (slower to notice a quiet one)\n`,
        );
      const diagnosis = diagnoseRows(rows, { now, namespace, heartbeats });
      const palette = stdoutPalette();
      process.stdout.write(renderDiagnosis(diagnosis, options.output, palette));
      process.exitCode = exitCodeFor(diagnosis.findings);
    });
  addExamples(
    command,
    [
      'p2pnc diagnose                                    # the checks in namespace p2pnc of the current context',
      'p2pnc diagnose --context prod -o json             # findings as JSON, for a ticket or a bot',
      'p2pnc diagnose --from-file must-gather/pncc.json  # saved checks (kubectl get pncc,leases -o json); advice names their namespace',
    ],
    [
      'Exit codes: 0 no findings, 3 warnings only, 4 at least one critical finding; 1 the checks cannot be read, 2 bad usage.',
      'Colour only on a terminal; NO_COLOR disables it, FORCE_COLOR=1 forces it.',
    ],
  );
}
