import type { Command } from 'commander';
import { addClusterOptions, type ClusterOptions } from '../cluster-options.js';
import { parseDuration } from '../../api/duration.js';
import { UsageError } from '../../util/errors.js';
import { addExamples } from '../help.js';

interface PruneOptions extends ClusterOptions {
  inactive: string;
  dryRun?: boolean;
}

/** For users who do not manage checks in git: delete checks no source has probed for a while. */
export function registerPruneCommand(program: Command): void {
  const command = addClusterOptions(
    program
      .command('prune')
      .description('Delete checks that no source has probed for the given time (for checks not managed in git)')
      .requiredOption('--inactive <duration>', 'delete checks not probed for this long, e.g. 48h'),
  )
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (options: PruneOptions) => {
      const inactiveMs = parseDuration(options.inactive);
      if (inactiveMs === undefined || inactiveMs <= 0)
        throw new UsageError(`--inactive must be a Go duration such as 48h, got "${options.inactive}"`);
      const [{ clusterClient, listChecks }, { paths }, { isStale, lastProbeTime }, { formatTime }] = await Promise.all([
        import('../../ops/cluster-checks.js'),
        import('../../runtime/kube/resources.js'),
        import('../../runtime/status/reducer.js'),
        import('../../runtime/status/time.js'),
      ]);
      const client = clusterClient(options);
      try {
        const checks = await listChecks(client, options.namespace);
        const now = new Date();
        const stale = checks.filter((check) =>
          isStale(
            check.status,
            now,
            inactiveMs,
            check.metadata.creationTimestamp ? new Date(check.metadata.creationTimestamp) : undefined,
          ),
        );
        for (const check of stale) {
          const last = lastProbeTime(check.status);
          const verb = options.dryRun ? 'would delete' : 'deleted';
          if (!options.dryRun)
            await client.request(
              'DELETE',
              paths.check(check.metadata.namespace ?? options.namespace, check.metadata.name),
              { timeoutMs: 30_000 },
            );
          process.stdout.write(`${verb} ${check.metadata.name} (last probed ${last ? formatTime(last) : 'never'})\n`);
        }
        process.stdout.write(
          `${stale.length} of ${checks.length} checks inactive for ${options.inactive}${options.dryRun ? ' (dry run)' : ''}\n`,
        );
      } finally {
        client.close();
      }
    });
  addExamples(
    command,
    [
      'p2pnc prune --inactive 48h --dry-run        # list checks no source probed for two days',
      'p2pnc prune --inactive 48h --context prod   # and delete them',
    ],
    ['Checks managed in git (dist/) are pruned by Argo CD instead: remove the target from the topology and synth.'],
  );
}
