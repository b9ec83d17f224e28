/** Reading the check objects from a cluster, shared by the operator commands (status, diagnose, report, prune). */
import type { ClusterOptions } from '../cli/cluster-options.js';
import { KubeApiError, KubeClient } from '../runtime/kube/client.js';
import { LABEL_CHECKS_OF } from '../api/check-shards.js';
import { listInPages } from '../runtime/kube/list-pages.js';
import { loadKubeConfig } from '../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList, type ObjectMeta } from '../runtime/kube/resources.js';
import { compareRows, toRow, type CheckRow } from './matrix.js';

/** Namespaces (shards) read at once by readCheckRows. */
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
 * The namespace and its check shards (api/check-shards.ts), found by their label; the namespace alone when the
 * caller may not list namespaces (a cluster small enough to have no shards needs no such right).
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
    if (error instanceof KubeApiError && error.status === 403) return [namespace];
    throw error;
  }
}

/**
 * Every check in the namespace and its check shards (or those the label selector picks, chosen by the API server),
 * sorted by name so output is stable. Read in pages, each stripped of managedFields, so memory follows the checks'
 * statuses rather than the size of one huge response.
 */
export async function listChecks(
  client: KubeClient,
  namespace: string,
  options: { labelSelector?: string; pageSize?: number } = {},
): Promise<CheckObject[]> {
  const checks: CheckObject[] = [];
  for (const each of await checkNamespaces(client, namespace)) {
    const from = checks.length;
    await listInPages<CheckObject>(
      client,
      paths.checks(each),
      (items) => {
        for (const check of items) {
          delete check.metadata.managedFields;
          checks.push(check);
        }
      },
      { ...options, onRestart: () => (checks.length = from) },
    );
  }
  return checks.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/**
 * Opens a client, reads the checks (only those some label selector picks, when given), closes the client. A check
 * picked by several selectors is read once.
 */
export async function readChecks(options: ClusterOptions, selectors?: readonly string[]): Promise<CheckObject[]> {
  const client = clusterClient(options);
  try {
    if (!selectors) return await listChecks(client, options.namespace);
    const byName = new Map<string, CheckObject>();
    for (const labelSelector of selectors)
      for (const check of await listChecks(client, options.namespace, { labelSelector }))
        byName.set(check.metadata.name, check);
    return [...byName.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  } finally {
    client.close();
  }
}

/**
 * The checks as rows (matrix.ts), each page turned into rows and dropped as it arrives: what status and diagnose need,
 * without holding 40,000 statuses at once. A check picked by several selectors is read once.
 */
export async function readCheckRows(options: ClusterOptions, selectors?: readonly string[]): Promise<CheckRow[]> {
  const client = clusterClient(options);
  try {
    const byName = new Map<string, CheckRow>();
    const namespaces = await checkNamespaces(client, options.namespace);
    const reads = (selectors ?? [undefined]).flatMap((labelSelector) =>
      namespaces.map((namespace) => ({ labelSelector, namespace })),
    );
    // A few namespaces at once: the API server encodes one page while this process turns another into rows.
    let next = 0;
    const reader = async () => {
      for (let read = reads[next++]; read; read = reads[next++]) {
        const rows: CheckRow[] = [];
        await listInPages<CheckObject>(
          client,
          paths.checks(read.namespace),
          (items) => {
            for (const check of items) rows.push(toRow(check));
          },
          { ...(read.labelSelector ? { labelSelector: read.labelSelector } : {}), onRestart: () => (rows.length = 0) },
        );
        for (const row of rows) byName.set(row.check, row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL_READS, reads.length) }, reader));
    return [...byName.values()].sort(compareRows);
  } finally {
    client.close();
  }
}
