import type { Command } from 'commander';
import { addClusterOptions } from '../cluster-options.js';
import { addExamples } from '../help.js';

export function registerImportCommand(program: Command): void {
  const command = program
    .command('import')
    .description('Read a live cluster (nodes, API servers, etcd, load balancer) and write a topology to start from')
    .option('-o, --output <file>', 'write the topology to this file ("-" for stdout)', '-')
    .option('--force', 'replace the output file if it exists')
    .option(
      '--cluster <name>',
      "the topology's cluster name (default: OpenShift's infrastructure name, kubeadm's clusterName, or kubernetes)",
    )
    .option(
      '--mesh-neighbours <k>',
      'with 3 or more untainted nodes, add a DaemonSet mesh checking k neighbours each (0: none)',
      '3',
    )
    .option(
      '--control-plane-vantage',
      'add a host-network source on the control-plane nodes probing etcd, kubelets, webhooks, aggregated APIs and Konnectivity',
    );
  addClusterOptions(command, "p2pnc's namespace in the topology").action(async (options) => {
    // Loaded on demand: other commands never pay for the kube client, zod or yaml through this one.
    const { runImport } = await import('../../ops/import/run.js');
    await runImport(options, {
      writeOut: (text) => process.stdout.write(text),
      writeErr: (text) => process.stderr.write(text),
      now: () => new Date(),
    });
  });
  addExamples(command, [
    'p2pnc import                                        # print a topology of the current context',
    'p2pnc import -o topology.yaml && p2pnc synth        # start from the live cluster, then synthesize',
    'p2pnc import --context prod --cluster prod-eu1 --mesh-neighbours 0 -o envs/prod.yaml',
  ]);
}
