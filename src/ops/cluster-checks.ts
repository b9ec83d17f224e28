/** Reading the check objects from a cluster, shared by the operator commands (status, diagnose, report, prune). */
import type { ClusterOptions } from '../cli/cluster-options.js';
import { KubeApiError, KubeClient } from '../runtime/kube/client.js';
import { loadKubeConfig } from '../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList } from '../runtime/kube/resources.js';

export function clusterClient(options: ClusterOptions): KubeClient {
  return new KubeClient(loadKubeConfig({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}) }));
}

/** Checks per page: a whole 40,000-check namespace in one response is a string too large for JavaScript. */
export const LIST_PAGE_SIZE = 500;

/**
 * Every check in the namespace (or those the label selector picks, chosen by the API server), sorted by name so
 * output is stable. Read in pages of LIST_PAGE_SIZE, each parsed on its own and stripped of managedFields, so memory
 * follows the checks' statuses rather than the size of one huge response.
 */
export async function listChecks(client: KubeClient, namespace: string, options: { labelSelector?: string; pageSize?: number } = {}): Promise<CheckObject[]> {
  const checks: CheckObject[] = [];
  let next: string | undefined;
  let restarted = false;
  do {
    let page: ObjectList<CheckObject>;
    try {
      page = await client.get<ObjectList<CheckObject>>(paths.checks(namespace), {
        query: { limit: options.pageSize ?? LIST_PAGE_SIZE, continue: next, labelSelector: options.labelSelector },
        timeoutMs: 60_000,
      });
    } catch (error) {
      // The continue token expired (the list took longer than etcd keeps the revision): start over once.
      if (error instanceof KubeApiError && error.isExpired && next !== undefined && !restarted) {
        restarted = true;
        checks.length = 0;
        next = undefined;
        continue;
      }
      throw error;
    }
    for (const check of page.items) {
      delete check.metadata.managedFields;
      checks.push(check);
    }
    next = page.metadata.continue || undefined;
  } while (next !== undefined);
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
    for (const labelSelector of selectors) for (const check of await listChecks(client, options.namespace, { labelSelector })) byName.set(check.metadata.name, check);
    return [...byName.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  } finally {
    client.close();
  }
}
