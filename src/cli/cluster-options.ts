/** The flags every command that reads the cluster takes; commander only, so registering a command stays cheap. */
import { type Command, Option } from 'commander';
import { ENV } from '../api/constants.js';
import type { CheckRow } from '../ops/matrix.js';
import type { CheckObject } from '../runtime/kube/resources.js';

export interface ClusterOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * Adds -n/--namespace, --kubeconfig and --context. With `kubeconfig: 'kubectl'` (the operator commands), the
 * kubeconfig is resolved as kubectl resolves it (cli/kubeconfig.ts: exec plugins, basic auth, OIDC, proxy-url) before
 * the command runs, unless it reads --from-file or runs in a pod; 'lean' (the long-running source) keeps the lean
 * loader and never loads @kubernetes/client-node.
 */
export function addClusterOptions(
  command: Command,
  namespaceHelp = 'namespace of the checks',
  kubeconfig: 'kubectl' | 'lean' = 'kubectl',
): Command {
  command
    .addOption(new Option('-n, --namespace <ns>', namespaceHelp).default('p2pnc').env(ENV.namespace))
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context');
  if (kubeconfig === 'kubectl')
    command.hook('preAction', async (self) => {
      const options = self.opts<CheckSourceOptions>();
      if (options.fromFile) return;
      const { usesInClusterConfig, useResolvedKubeConfig } = await import('../runtime/kube/config.js');
      if (usesInClusterConfig(options)) return;
      const { resolveKubeconfig } = await import('./kubeconfig.js');
      useResolvedKubeConfig(
        options,
        await resolveKubeconfig(options).catch((error: unknown) =>
          error instanceof Error ? error : new Error(String(error)),
        ),
      );
    });
  return command;
}

export interface CheckSourceOptions extends ClusterOptions {
  fromFile?: string;
}

/** Adds --from-file: the operator commands read saved checks (a must-gather, a CI artifact) as well as the cluster. */
export function addFromFileOption(command: Command): Command {
  return command.option(
    '--from-file <file>',
    'read the checks from this file (kubectl get pncc -o json or -o yaml) instead of the cluster',
  );
}

/**
 * The checks of --from-file, else of the cluster; the time to read them at: now for the cluster, and for a file the
 * time it was saved, as its newest entry tells; and their namespace: for a file, the one its checks carry unless -n
 * was given (advice such as `kubectl -n <ns> ...` must name where they live). Loads only the reader it uses.
 */
export async function readChecksFrom(
  options: CheckSourceOptions,
  command?: Command,
  /** Label selectors for the API server (see ops/filters serverSelectors); a file is read whole. */
  selectors?: readonly string[],
): Promise<{ checks: CheckObject[]; now: Date; namespace: string }> {
  if (options.fromFile) {
    const { capturedAt, readChecksFile } = await import('../ops/checks-file.js');
    const checks = readChecksFile(options.fromFile);
    const namespaceGiven = command !== undefined && command.getOptionValueSource('namespace') !== 'default';
    return {
      checks,
      now: capturedAt(checks) ?? new Date(),
      namespace: namespaceGiven ? options.namespace : (commonNamespace(checks) ?? options.namespace),
    };
  }
  const checks = await (await import('../ops/cluster-checks.js')).readChecks(options, selectors);
  return { checks, now: new Date(), namespace: options.namespace };
}

/**
 * As readChecksFrom, but the checks as rows (status, diagnose): from the cluster each page becomes rows as it
 * arrives, so memory follows the rows, not the statuses.
 */
export async function readRowsFrom(
  options: CheckSourceOptions,
  command?: Command,
  selectors?: readonly string[],
): Promise<{ rows: CheckRow[]; now: Date; namespace: string }> {
  const { toRow, compareRows } = await import('../ops/matrix.js');
  const { items, now, namespace } = await readMappedFrom(options, command, toRow, selectors);
  return { rows: items.sort(compareRows), now, namespace };
}

/**
 * Like readChecksFrom, each check turned by `map` as it is read: from the cluster a page at a time, the objects then
 * dropped, so a command that keeps less than the whole check never holds 40,000 statuses. In no particular order.
 */
export async function readMappedFrom<T>(
  options: CheckSourceOptions,
  command: Command | undefined,
  map: (check: CheckObject) => T,
  selectors?: readonly string[],
): Promise<{ items: T[]; now: Date; namespace: string }> {
  if (options.fromFile) {
    const { checks, now, namespace } = await readChecksFrom(options, command);
    return { items: checks.map(map), now, namespace };
  }
  const items = await (await import('../ops/cluster-checks.js')).readMapped(options, map, selectors);
  return { items, now: new Date(), namespace: options.namespace };
}

/** The namespace most of the checks carry (the first in name order on a tie), if any carries one. */
function commonNamespace(checks: readonly CheckObject[]): string | undefined {
  const counts = new Map<string, number>();
  for (const check of checks) {
    const namespace = check.metadata.namespace;
    if (namespace) counts.set(namespace, (counts.get(namespace) ?? 0) + 1);
  }
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))[0]?.[0];
}
