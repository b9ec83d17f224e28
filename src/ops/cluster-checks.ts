/** Reading the check objects from a cluster, shared by the operator commands (status, diagnose, report, prune). */
import type { ClusterOptions } from '../cli/cluster-options.js';
import { KubeApiError, KubeClient } from '../runtime/kube/client.js';
import { checkShardName, LABEL_CHECKS_OF, MAX_CHECK_SHARDS } from '../api/check-shards.js';
import { listInPages } from '../runtime/kube/list-pages.js';
import { loadKubeConfig } from '../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList, type ObjectMeta } from '../runtime/kube/resources.js';

/** Namespaces (shards) read at once. */
const PARALLEL_READS = 3;

export function clusterClient(options: ClusterOptions): KubeClient {
  return new KubeClient(
    loadKubeConfig({
      ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
      ...(options.context ? { context: options.context } : {}),
    }),
  );
}

/**
 * The namespace and its check shards (api/check-shards.ts), found by their label. A caller that may not list
 * namespaces finds them by their names instead: `<namespace>-checks-0`, `-1`, ... up to the first that holds no
 * check it can read (at 100 nodes per shard none is empty; a cluster without shards costs one request).
 */
export async function checkNamespaces(client: KubeClient, namespace: string): Promise<string[]> {
  try {
    const shards = await client.get<ObjectList<{ metadata: ObjectMeta }>>(paths.namespaces(), {
      query: { labelSelector: `${LABEL_CHECKS_OF}=${namespace}` },
      timeoutMs: 30_000,
    });
    const names = shards.items.map((shard) => shard.metadata.name);
    return [namespace, ...names.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))];
  } catch (error) {
    if (error instanceof KubeApiError && error.status === 403)
      return [namespace, ...(await shardsByName(client, namespace))];
    throw error;
  }
}

async function shardsByName(client: KubeClient, namespace: string): Promise<string[]> {
  const found: string[] = [];
  for (let index = 0; index < MAX_CHECK_SHARDS; index++) {
    const shard = checkShardName(namespace, index);
    try {
      const page = await client.get<ObjectList<CheckObject>>(paths.checks(shard), {
        query: { limit: 1 },
        timeoutMs: 30_000,
      });
      if (page.items.length === 0) break;
    } catch (error) {
      if (error instanceof KubeApiError && (error.status === 403 || error.status === 404)) break;
      throw error;
    }
    found.push(shard);
  }
  return found;
}

/**
 * Reads every namespace once per label selector (undefined: all checks), a few reads at once: the API server encodes
 * one page while this process turns another into values. Pages are mapped as they arrive, so memory follows what
 * `map` keeps rather than the size of one huge response; a check picked by several selectors is kept once.
 */
async function readEach<T>(
  client: KubeClient,
  namespaces: readonly string[],
  selectors: readonly (string | undefined)[],
  map: (check: CheckObject) => T,
  pageSize?: number,
): Promise<Map<string, T>> {
  const byName = new Map<string, T>();
  const reads = selectors.flatMap((labelSelector) => namespaces.map((namespace) => ({ labelSelector, namespace })));
  let next = 0;
  const reader = async () => {
    for (let read = reads[next++]; read; read = reads[next++]) {
      const values: Array<[string, T]> = [];
      await listInPages<CheckObject>(
        client,
        paths.checks(read.namespace),
        (items) => {
          for (const check of items) values.push([check.metadata.name, map(check)]);
        },
        {
          ...(read.labelSelector ? { labelSelector: read.labelSelector } : {}),
          ...(pageSize ? { pageSize } : {}),
          onRestart: () => (values.length = 0),
        },
      );
      for (const [name, value] of values) byName.set(name, value);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, reads.length) }, reader));
  return byName;
}

/** The check as the operator commands keep it: without managedFields, the bulk of a small object. */
function withoutManagedFields(check: CheckObject): CheckObject {
  delete check.metadata.managedFields;
  return check;
}

const byCheckName = (a: CheckObject, b: CheckObject) => a.metadata.name.localeCompare(b.metadata.name);

/**
 * Every check in the namespace and its check shards (or those the label selector picks, chosen by the API server),
 * sorted by name so output is stable, each stripped of managedFields.
 */
export async function listChecks(
  client: KubeClient,
  namespace: string,
  options: { labelSelector?: string; pageSize?: number } = {},
): Promise<CheckObject[]> {
  const namespaces = await checkNamespaces(client, namespace);
  const checks = await readEach(client, namespaces, [options.labelSelector], withoutManagedFields, options.pageSize);
  return [...checks.values()].sort(byCheckName);
}

/**
 * Opens a client, reads the checks (only those some label selector picks, when given), closes the client. A check
 * picked by several selectors is read once.
 */
export async function readChecks(options: ClusterOptions, selectors?: readonly string[]): Promise<CheckObject[]> {
  return (await readMapped(options, withoutManagedFields, selectors)).sort(byCheckName);
}

/**
 * Each check turned by `map` as its page arrives, the object then dropped, in no particular order: status and diagnose
 * keep rows (matrix.ts) and report timelines, never 40,000 statuses at once. A check picked by several selectors is
 * read once.
 */
export async function readMapped<T>(
  options: ClusterOptions,
  map: (check: CheckObject) => T,
  selectors?: readonly string[],
): Promise<T[]> {
  const client = clusterClient(options);
  try {
    const namespaces = await checkNamespaces(client, options.namespace);
    return [...(await readEach(client, namespaces, selectors ?? [undefined], map)).values()];
  } finally {
    client.close();
  }
}
