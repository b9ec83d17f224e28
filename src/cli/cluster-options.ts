/** The flags every command that reads the cluster takes; commander only, so registering a command stays cheap. */
import { type Command, Option } from 'commander';

export interface ClusterOptions {
  namespace: string;
  kubeconfig?: string;
  context?: string;
}

/** Adds -n/--namespace, --kubeconfig and --context. */
export function addClusterOptions(command: Command): Command {
  return command
    .addOption(new Option('-n, --namespace <ns>', 'namespace of the checks').default('p2pnc').env('P2PNC_NAMESPACE'))
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context');
}
