/** Entry point of `cdk8s synth` (see cdk8s.yaml): synthesizes the topology named by P2PNC_TOPOLOGY (default topology.yaml). */
import { loadTopologyFile } from '../src/topology/load.js';
import { runOrExit } from '../src/util/report-error.js';
import { synthesize } from './app.js';

runOrExit(() => {
  const topology = loadTopologyFile(process.env.P2PNC_TOPOLOGY ?? 'topology.yaml');
  synthesize(topology, process.env.CDK8S_OUTDIR ?? 'dist');
});
