import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { ConnectivityCheck } from '../src/constructs/connectivity-check.js';
import { SYNC_WAVE, SyncWave } from '../src/constructs/sync-wave.js';
import type { PlannedCheck } from '../src/topology/expand.js';
import type { Topology } from '../src/topology/schema.js';

/**
 * One PodNetworkConnectivityCheck per planned pair. Argo CD skips the dry-run for them on the first sync,
 * when the CRD is created in the same sync.
 */
export class ChecksChart extends Chart {
  constructor(
    scope: Construct,
    id: string,
    topology: Topology,
    checks: readonly PlannedCheck[],
    props: ChartProps = {},
  ) {
    super(scope, id, props);
    const annotations = {
      [SYNC_WAVE]: String(SyncWave.CHECKS),
      'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
    };
    for (const check of checks)
      new ConnectivityCheck(this, check.name, {
        namespace: check.namespace ?? topology.namespace,
        check,
        annotations,
      });
  }
}
