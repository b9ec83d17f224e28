/** `p2pnc status`: the check matrix of the whole cluster, like `cilium-health status`, read from the check objects. */
import type { Command } from 'commander';
import { addClusterOptions, addFromFileOption, readRowsFrom, type CheckSourceOptions } from '../cluster-options.js';
import type { StatusFormat } from '../../ops/render-status.js';
import { UsageError } from '../../util/errors.js';
import { addExamples, outputFormatOption } from '../help.js';

interface StatusOptions extends CheckSourceOptions {
  output: StatusFormat;
  source?: string;
  node?: string;
  target?: string;
  state?: string;
  probe?: boolean;
  concurrency: string;
}

export function registerStatusCommand(program: Command): void {
  const command = addClusterOptions(
    addFromFileOption(
      program
        .command('status')
        .description(
          'Show every check per source and node: reachability, latency, last change, open outage and outage count',
        ),
    ),
  )
    // Type-only import of the formats: the renderer itself loads only when the command runs.
    .addOption(outputFormatOption<StatusFormat>(['table', 'wide', 'json', 'yaml']))
    .option('--source <names>', 'only checks of these sources (comma-separated)')
    .option('--node <names>', 'only checks from or to these nodes (comma-separated)')
    .option('--target <names>', 'only checks of these targets (comma-separated)')
    .option(
      '--state <states>',
      'only checks in these states: reachable, unreachable, unknown, invalid, pending, stale, failing',
    )
    .option('--probe', 'also probe each shown check now, from where this command runs, and show the fresh result')
    .option('--concurrency <n>', 'probes in flight at once with --probe', '32')
    .action(async (options: StatusOptions, self: Command) => {
      const format = options.output;
      const concurrency = Number(options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1)
        throw new UsageError(`--concurrency takes a whole number of at least 1, got "${options.concurrency}"`);
      if (options.probe && options.fromFile)
        throw new UsageError(
          '--probe reads target pods and client certificates from the cluster; use it without --from-file',
        );
      // Loaded on demand, so the runtime's commands never load the operator tools.
      const [{ applyFilter, parseFilter, serverSelectors }, { toRows }, { renderStatus }, { stdoutPalette }] =
        await Promise.all([
          import('../../ops/filters.js'),
          import('../../ops/matrix.js'),
          import('../../ops/render-status.js'),
          import('../../ops/format.js'),
        ]);
      const filter = parseFilter(options);
      const palette = stdoutPalette();
      if (!options.probe) {
        // The API server picks the checks of the named sources, nodes and targets. When a name matches nothing, the
        // whole namespace is read, so the error lists the names that do exist.
        const selectors = options.fromFile ? undefined : serverSelectors(filter);
        // The heartbeats (one Lease per source instance) are read while the checks are.
        const { readHeartbeatsAlongside, sourceLiveness } = await import('../../ops/heartbeats.js');
        const heartbeatsRead = readHeartbeatsAlongside(options);
        const read = await readRowsFrom(options, self, selectors);
        const now = read.now;
        let rows;
        try {
          rows = applyFilter(read.rows, filter);
        } catch (error) {
          if (!(selectors && error instanceof UsageError)) throw error;
          rows = applyFilter((await readRowsFrom(options, self)).rows, filter);
        }
        const { heartbeats, unreadable } = await heartbeatsRead;
        if (unreadable) process.stderr.write(`note: ${unreadable}; quiet sources are not shown\n`);
        const sources = sourceLiveness(rows, heartbeats, now);
        process.stdout.write(renderStatus({ time: now, rows, sources }, format, palette));
        return;
      }
      const { clusterClient, listChecks } = await import('../../ops/cluster-checks.js');
      const client = clusterClient(options);
      try {
        const checks = await listChecks(client, options.namespace);
        const time = new Date();
        const rows = applyFilter(toRows(checks), filter);
        const { clusterLookups, probeChecks } = await import('../../ops/probe-now.js');
        const shown = new Set(rows.map((row) => row.check));
        const selected = checks.filter((check) => shown.has(check.metadata.name));
        const now = await probeChecks(selected, await clusterLookups(client, options.namespace, selected), concurrency);
        process.stdout.write(renderStatus({ time, rows, now }, format, palette));
      } finally {
        client.close();
      }
    });
  addExamples(
    command,
    [
      'p2pnc status                                   # every check, grouped by source and node',
      'p2pnc status --state failing -o wide           # only what fails, with the last failure',
      'p2pnc status --node worker-a --probe           # checks from or to worker-a, probed again from here',
      'p2pnc status --from-file pncc.json -o yaml     # saved checks (kubectl get pncc -o json)',
    ],
    [
      'Colour only on a terminal; NO_COLOR disables it, FORCE_COLOR=1 forces it. Exit code 0 unless the checks cannot be read.',
    ],
  );
}
