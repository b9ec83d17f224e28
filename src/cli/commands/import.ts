import { type Command, Option } from 'commander';

export function registerImportCommand(program: Command): void {
  program
    .command('import')
    .description('Read a live cluster (nodes, API servers, etcd, load balancer) and write a topology to start from')
    .option('-o, --output <file>', 'write the topology to this file ("-" for stdout)', '-')
    .option('--force', 'replace the output file if it exists')
    .option('--cluster <name>', "the topology's cluster name (default: OpenShift's infrastructure name, kubeadm's clusterName, or kubernetes)")
    .addOption(new Option('-n, --namespace <ns>', "p2pnc's namespace in the topology").default('p2pnc').env('P2PNC_NAMESPACE'))
    .option('--mesh-neighbours <k>', 'with 3 or more untainted nodes, add a DaemonSet mesh checking k neighbours each (0: none)', '3')
    .option('--kubeconfig <file>', 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context')
    .action(async (options) => {
      // Loaded on demand: other commands never pay for the kube client, zod or yaml through this one.
      const { runImport } = await import('../../ops/import/run.js');
      await runImport(options, { writeOut: (text) => process.stdout.write(text), writeErr: (text) => process.stderr.write(text), now: () => new Date() });
    });
}
