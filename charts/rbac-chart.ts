import * as kplus from 'cdk8s-plus-27';
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { commonLabels } from '../src/constructs/labels.js';
import { SourceRbac } from '../src/constructs/source-rbac.js';
import { assignSyncWave, SyncWave } from '../src/constructs/sync-wave.js';
import type { PlannedCheck } from '../src/topology/expand.js';
import type { Topology } from '../src/topology/schema.js';

/** One ServiceAccount with least-privilege Role per source; a target ServiceAccount with no access at all. */
export class RbacChart extends Chart {
  readonly sourceAccounts = new Map<string, kplus.IServiceAccount>();
  readonly targetAccount: kplus.IServiceAccount;

  constructor(
    scope: Construct,
    id: string,
    topology: Topology,
    checks: readonly PlannedCheck[],
    props: ChartProps = {},
  ) {
    super(scope, id, props);
    for (const source of topology.sources) {
      const own = checks.filter((check) => check.spec.source?.name === source.name);
      const rbac = new SourceRbac(this, `Source-${source.name}`, {
        sourceName: source.name,
        namespace: topology.namespace,
        clientCertSecrets: own.flatMap((check) => (check.spec.tlsClientCert ? [check.spec.tlsClientCert.name] : [])),
        resolvesTargetPods: own.some((check) => check.spec.targetPod !== undefined),
        electsLeader: source.kind === 'Deployment',
      });
      this.sourceAccounts.set(source.name, rbac.serviceAccount);
    }
    this.targetAccount = new kplus.ServiceAccount(this, 'TargetServiceAccount', {
      metadata: {
        name: topology.target.name,
        namespace: topology.namespace,
        labels: commonLabels('target', topology.target.name),
      },
      automountToken: false,
    });
    assignSyncWave(this, SyncWave.RBAC);
  }
}
