/** Reading the check objects from a cluster, shared by the operator commands (status, diagnose, report, prune). */
import type { ClusterOptions } from '../cli/cluster-options.js';
import { KubeClient } from '../runtime/kube/client.js';
import { loadKubeConfig } from '../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList } from '../runtime/kube/resources.js';

export function clusterClient(options: ClusterOptions): KubeClient {
  return new KubeClient(loadKubeConfig({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}) }));
}

/** Every check in the namespace, sorted by name so output is stable. */
export async function listChecks(client: KubeClient, namespace: string): Promise<CheckObject[]> {
  const list = await client.get<ObjectList<CheckObject>>(paths.checks(namespace), { timeoutMs: 60_000 });
  return [...list.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

/** Opens a client, reads the checks, closes the client. */
export async function readChecks(options: ClusterOptions): Promise<CheckObject[]> {
  const client = clusterClient(options);
  try {
    return await listChecks(client, options.namespace);
  } finally {
    client.close();
  }
}
