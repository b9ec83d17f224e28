/** `p2pnc import`: read the cluster, build the topology, check that it loads as synth loads it, write it. */
import { existsSync } from 'node:fs';
import { KubeClient } from '../../runtime/kube/client.js';
import { loadKubeConfig } from '../../runtime/kube/config.js';
import { expand } from '../../topology/expand.js';
import { parseTopology } from '../../topology/load.js';
import { isDnsLabel } from '../../topology/schema.js';
import { UsageError } from '../../util/errors.js';
import { existsError, writeFileAtomic } from '../../util/write-file.js';
import { readClusterFacts } from './read-cluster.js';
import { renderTopology } from './render.js';
import { importTopology } from './topology.js';

export interface ImportCommandOptions {
  kubeconfig?: string;
  context?: string;
  namespace: string;
  cluster?: string;
  output: string;
  force?: boolean;
  meshNeighbours: string;
  controlPlaneVantage?: boolean;
}

export interface ImportIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
  now(): Date;
}

export async function runImport(options: ImportCommandOptions, io: ImportIo): Promise<void> {
  const meshNeighbours = Number(options.meshNeighbours);
  if (!Number.isInteger(meshNeighbours) || meshNeighbours < 0)
    throw new UsageError(`--mesh-neighbours must be a whole number (0 for no mesh), got "${options.meshNeighbours}"`);
  for (const [flag, value] of [
    ['--namespace', options.namespace],
    ['--cluster', options.cluster],
  ] as const) {
    if (value !== undefined && !isDnsLabel(value))
      throw new UsageError(`${flag} must be a DNS-1123 label (lower-case letters, digits and '-'), got "${value}"`);
  }
  const toStdout = options.output === '-';
  if (!toStdout && !options.force && existsSync(options.output)) throw existsError(options.output);

  const config = loadKubeConfig({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
  });
  const client = new KubeClient(config);
  let read: Awaited<ReturnType<typeof readClusterFacts>>;
  try {
    read = await readClusterFacts(client, config.server, { controlPlaneVantage: options.controlPlaneVantage === true });
  } finally {
    client.close();
  }
  const imported = importTopology(read.facts, {
    namespace: options.namespace,
    meshNeighbours,
    controlPlaneVantage: options.controlPlaneVantage === true,
    ...(options.cluster ? { cluster: options.cluster } : {}),
  });
  const notes = [...read.notes, ...imported.notes];
  const text = renderTopology(imported.topology, { server: config.server, generatedAt: io.now(), notes });
  const file = toStdout ? 'topology.yaml' : options.output;
  let checks: number;
  try {
    checks = expand(parseTopology(text, file)).length;
  } catch (error) {
    throw new Error(`the imported topology does not load: ${(error as Error).message}`, { cause: error });
  }

  for (const note of notes) io.writeErr(`note: ${note}\n`);
  if (toStdout) io.writeOut(text);
  else writeFileAtomic(options.output, text, { overwrite: options.force === true });
  const { nodes, sources, targets } = imported.topology;
  io.writeErr(
    `imported ${nodes.length} nodes, ${sources.length} sources and ${targets.length} targets (${checks} checks) from ${config.server}` +
      `${toStdout ? '' : ` into ${options.output}`}; next: p2pnc synth -f ${file} -o dist\n`,
  );
}
