/** Reading the check objects from a cluster, shared by the operator commands (status, diagnose, report, prune). */
import { type Command, Option } from 'commander';
import { KubeClient } from '../runtime/kube/client.js';
import { loadKubeConfig } from '../runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList } from '../runtime/kube/resources.js';

export interface ClusterOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
}

/** Adds -n/--namespace, --kubeconfig and --context, the flags every command that reads the cluster takes. */
export function addClusterOptions(command: Command): Command {
  return command
    .addOption(new Option('-n, --namespace <ns>', 'namespace of the checks').default('p2pnc').env('P2PNC_NAMESPACE'))
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context');
}

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
