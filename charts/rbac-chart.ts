import * as kplus from 'cdk8s-plus-27';
import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { heartbeatLeaseName } from '../src/api/heartbeat.js';
import { commonLabels } from '../src/constructs/labels.js';
import { CheckShardAccess } from '../src/constructs/check-shard-access.js';
import { SourceRbac } from '../src/constructs/source-rbac.js';
import { checkShardNamespaces } from '../src/topology/cluster-size.js';
import { assignSyncWave, SyncWave } from '../src/constructs/sync-wave.js';
import type { PlannedCheck } from '../src/topology/expand.js';
import { hostNamespaceOf, type Topology } from '../src/topology/schema.js';
import { hostTargetName, usesHostTarget } from './vantage.js';

/** One ServiceAccount with least-privilege Role per source; a target ServiceAccount with no access at all. */
export class RbacChart extends Chart {
  readonly sourceAccounts = new Map<string, kplus.IServiceAccount>();
  readonly targetAccount: kplus.IServiceAccount;
  /** The host-network target's account, in the host namespace, when a target of layer host needs it. */
  readonly hostTargetAccount?: kplus.IServiceAccount;

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
      const sidecar = source.kind === 'Sidecar' ? source.workload : undefined;
      const rbac = new SourceRbac(this, `Source-${source.name}`, {
        sourceName: source.name,
        // A sidecar's checks, Lease and Role are in its workload's namespace, bound to the workload's ServiceAccount.
        namespace: sidecar?.namespace ?? topology.namespace,
        ...(sidecar ? { existingServiceAccount: sidecar.serviceAccount, roleName: `p2pnc-${source.name}` } : {}),
        ...(source.kind !== 'Sidecar' && source.hostNetwork
          ? { serviceAccountNamespace: hostNamespaceOf(topology) }
          : {}),
        clientCertSecrets: own.flatMap((check) => (check.spec.tlsClientCert ? [check.spec.tlsClientCert.name] : [])),
        resolvesTargetPods: own.some((check) => check.spec.targetPod !== undefined),
        electsLeader: source.kind !== 'DaemonSet',
        heartbeatLeases:
          source.kind !== 'DaemonSet'
            ? [heartbeatLeaseName(source.name)]
            : [...new Set(own.flatMap((check) => (check.spec.source?.node ? [check.spec.source.node] : [])))].map(
                (node) => heartbeatLeaseName(source.name, node),
              ),
      });
      this.sourceAccounts.set(source.name, rbac.serviceAccount);
    }
    // Per-node sources read and write their node's shard; Deployment sources' leaders sweep every shard.
    const shardAccounts = topology.sources
      .filter((source) => source.kind !== 'Sidecar')
      .map((source) => this.sourceAccounts.get(source.name)!);
    if (shardAccounts.length > 0)
      for (const shard of checkShardNamespaces(topology))
        new CheckShardAccess(this, `Shard-${shard}`, { namespace: shard, serviceAccounts: shardAccounts });
    this.targetAccount = new kplus.ServiceAccount(this, 'TargetServiceAccount', {
      metadata: {
        name: topology.target.name,
        namespace: topology.namespace,
        labels: commonLabels('target', topology.target.name),
      },
      automountToken: false,
    });
    if (usesHostTarget(topology))
      this.hostTargetAccount = new kplus.ServiceAccount(this, 'HostTargetServiceAccount', {
        metadata: {
          name: hostTargetName(topology),
          namespace: hostNamespaceOf(topology),
          labels: commonLabels('target', hostTargetName(topology)),
        },
        automountToken: false,
      });
    assignSyncWave(this, SyncWave.RBAC);
  }
}
