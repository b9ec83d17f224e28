import { type Command, Option } from 'commander';
import { parseDuration } from '../../topology/duration.js';
import { KubeClient } from '../../runtime/kube/client.js';
import { loadKubeConfig } from '../../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList } from '../../runtime/kube/resources.js';
import { isStale, lastProbeTime } from '../../runtime/status/reducer.js';
import { formatTime } from '../../runtime/status/time.js';
import { UsageError } from '../../util/errors.js';

interface PruneOptions {
  inactive: string;
  namespace: string;
  kubeconfig?: string;
  context?: string;
  dryRun?: boolean;
}

/** For users who do not manage checks in git: delete checks no source has probed for a while. */
export function registerPruneCommand(program: Command): void {
  program
    .command('prune')
    .description('Delete checks that no source has probed for the given time (for checks not managed in git)')
    .requiredOption('--inactive <duration>', 'delete checks not probed for this long, e.g. 48h')
    .addOption(new Option('-n, --namespace <ns>', 'namespace of the checks').default('p2pnc').env('P2PNC_NAMESPACE'))
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .option('--dry-run', 'list what would be deleted, delete nothing')
    .action(async (options: PruneOptions) => {
      const inactiveMs = parseDuration(options.inactive);
      if (inactiveMs === undefined || inactiveMs <= 0) throw new UsageError(`--inactive must be a Go duration such as 48h, got "${options.inactive}"`);
      const client = new KubeClient(loadKubeConfig({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}) }));
      try {
        const list = await client.get<ObjectList<CheckObject>>(paths.checks(options.namespace), { timeoutMs: 60_000 });
        const now = new Date();
        const stale = list.items.filter((check) =>
          isStale(check.status, now, inactiveMs, check.metadata.creationTimestamp ? new Date(check.metadata.creationTimestamp) : undefined),
        );
        for (const check of stale) {
          const last = lastProbeTime(check.status);
          const verb = options.dryRun ? 'would delete' : 'deleted';
          if (!options.dryRun) await client.request('DELETE', paths.check(options.namespace, check.metadata.name), { timeoutMs: 30_000 });
          process.stdout.write(`${verb} ${check.metadata.name} (last probed ${last ? formatTime(last) : 'never'})\n`);
        }
        process.stdout.write(`${stale.length} of ${list.items.length} checks inactive for ${options.inactive}${options.dryRun ? ' (dry run)' : ''}\n`);
      } finally {
        client.close();
      }
    });
}
