import type { Command } from 'commander';

export function registerSynthCommand(program: Command): void {
  program
    .command('synth')
    .description('Validate the topology and write every manifest into the output folder (replacing it whole)')
    .option('-f, --file <topology>', 'topology file (YAML or JSON)', 'topology.yaml')
    .option('-o, --output <dir>', 'output folder, fully owned by p2pnc', 'dist')
    .action(async (options: { file: string; output: string }) => {
      // Loaded on demand: the runtime image's commands never pay for zod, yaml or cdk8s.
      const { loadTopologyFile } = await import('../../topology/load.js');
      const topology = loadTopologyFile(options.file);
      const { synthesize } = await import('../../../charts/app.js');
      const result = synthesize(topology, options.output);
      process.stdout.write(`wrote ${result.files.length} files with ${result.checks} checks to ${options.output}/\n`);
    });
}
