import { ApiObject, Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { CheckCrd } from '../src/constructs/check-crd.js';
import { commonLabels } from '../src/constructs/labels.js';
import { assignSyncWave, SyncWave } from '../src/constructs/sync-wave.js';
import { HostNamespace } from '../src/constructs/host-network.js';
import { hostNamespaceOf, usesHostNetwork, type Topology } from '../src/topology/schema.js';
import { checkShardNamespaces } from '../src/topology/cluster-size.js';
import { LABEL_CHECKS_OF } from '../src/api/check-shards.js';

/** The namespace (Pod Security "restricted" enforced, audited and warned), its check shards if any, and the CRD. */
export class FoundationChart extends Chart {
  constructor(scope: Construct, id: string, topology: Topology, props: ChartProps = {}) {
    super(scope, id, props);
    const restrictedNamespace = (id: string, name: string, labels: Record<string, string> = {}) =>
      new ApiObject(this, id, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          labels: {
            ...commonLabels('namespace', topology.cluster),
            'pod-security.kubernetes.io/enforce': 'restricted',
            'pod-security.kubernetes.io/enforce-version': 'latest',
            'pod-security.kubernetes.io/audit': 'restricted',
            'pod-security.kubernetes.io/audit-version': 'latest',
            'pod-security.kubernetes.io/warn': 'restricted',
            'pod-security.kubernetes.io/warn-version': 'latest',
            ...labels,
          },
        },
      });
    restrictedNamespace('Namespace', topology.namespace);
    // Checks only, no pods; the label is how the operator commands find them.
    for (const shard of checkShardNamespaces(topology))
      restrictedNamespace(`Namespace-${shard}`, shard, { [LABEL_CHECKS_OF]: topology.namespace });
    new CheckCrd(this, 'CheckCrd');
    if (usesHostNetwork(topology))
      new HostNamespace(this, 'HostNamespace', { name: hostNamespaceOf(topology), cluster: topology.cluster });
    assignSyncWave(this, SyncWave.FOUNDATION);
  }
}
