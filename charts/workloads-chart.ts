import { Chart, Size, type ChartProps } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { NetworkPolicies } from '../src/constructs/network-policies.js';
import { checksPerInstance, DEFAULT_SOURCE_MEMORY_MIB, sourceMemory } from '../src/constructs/source-memory.js';
import { METRICS_PORT, SourceWorkload } from '../src/constructs/source-workload.js';
import { assignSyncWave, SyncWave } from '../src/constructs/sync-wave.js';
import { TargetWorkload } from '../src/constructs/target-workload.js';
import { needsPingSockets, udpProbePorts } from '../src/constructs/probe-needs.js';
import { checkShards, sourceHeartbeatPeriod, sourceStartJitter } from '../src/topology/cluster-size.js';
import type { PlannedCheck } from '../src/topology/expand.js';
import { sourceRoles } from '../src/topology/expand.js';
import { DEFAULT_HOST_TARGET_PORT, hostNamespaceOf, type PodSource, type Topology } from '../src/topology/schema.js';
import { tolerateControlPlane, useHostNetwork } from '../src/constructs/host-network.js';
import { hostTargetName, usesHostTarget } from './vantage.js';

export interface WorkloadsChartProps extends ChartProps {
  readonly sourceAccounts: ReadonlyMap<string, kplus.IServiceAccount>;
  readonly targetAccount: kplus.IServiceAccount;
  /** @default none: required when a target has layer host */
  readonly hostTargetAccount?: kplus.IServiceAccount;
}

/** The source workloads, the target DaemonSet and Service, and the NetworkPolicies around them. */
export class WorkloadsChart extends Chart {
  constructor(
    scope: Construct,
    id: string,
    topology: Topology,
    checks: readonly PlannedCheck[],
    props: WorkloadsChartProps,
  ) {
    super(scope, id, props);
    const podSources = topology.sources.filter((source): source is PodSource => source.kind !== 'Sidecar');
    for (const source of podSources) {
      const roles = source.kind === 'DaemonSet' ? sourceRoles(source) : undefined;
      const memory = sourceMemory(checksPerInstance(source, checks));
      const { workload } = new SourceWorkload(this, `Source-${source.name}`, {
        source,
        ...(memory.requestMiB !== DEFAULT_SOURCE_MEMORY_MIB.request && {
          memoryRequest: Size.mebibytes(memory.requestMiB),
        }),
        ...(memory.limitMiB !== DEFAULT_SOURCE_MEMORY_MIB.limit && { memoryLimit: Size.mebibytes(memory.limitMiB) }),
        pingSockets: needsPingSockets(source.name, checks),
        namespace: source.hostNetwork ? hostNamespaceOf(topology) : topology.namespace,
        ...(source.hostNetwork ? { checksNamespace: topology.namespace } : {}),
        ...(source.metricsPort ? { metricsPort: source.metricsPort } : {}),
        image: topology.image,
        serviceAccount: props.sourceAccounts.get(source.name)!,
        startJitter: sourceStartJitter(topology),
        heartbeatPeriod: sourceHeartbeatPeriod(topology),
        checkShards: checkShards(topology),
        placement:
          source.kind === 'Deployment'
            ? { ...(source.node ? { nodeName: source.node } : {}) }
            : {
                ...(roles ? { roles } : {}),
                ...(source.nodeLabels ? { nodeLabels: source.nodeLabels } : {}),
              },
      });
      if (source.hostNetwork) useHostNetwork(workload);
      if (source.kind === 'DaemonSet' && source.controlPlane) tolerateControlPlane(workload);
    }
    new TargetWorkload(this, 'Target', {
      name: topology.target.name,
      namespace: topology.namespace,
      image: topology.image,
      port: topology.target.port,
      servicePort: topology.target.servicePort,
      serviceAccount: props.targetAccount,
    });
    if (usesHostTarget(topology))
      new TargetWorkload(this, 'HostTarget', {
        name: hostTargetName(topology),
        namespace: hostNamespaceOf(topology),
        image: topology.image,
        port: topology.target.hostPort ?? DEFAULT_HOST_TARGET_PORT,
        servicePort: topology.target.servicePort,
        serviceAccount: props.hostTargetAccount!,
        hostNetwork: true,
      });
    const inPods = podSources.filter((source) => !source.hostNetwork);
    const podChecks = checks.filter((check) => check.spec.source?.vantage === 'pod');
    new NetworkPolicies(this, 'NetworkPolicies', {
      namespace: topology.namespace,
      targetName: topology.target.name,
      targetPort: topology.target.port,
      sourceNames: inPods.map((source) => source.name),
      sourceEgressPorts: [...podChecks.map((check) => probedPort(check)), topology.apiServer.port, 443],
      sourceEgressUdpPorts: udpProbePorts(checks),
      targetUdp: udpProbePorts(checks).length > 0,
      metricsPort: METRICS_PORT,
    });
    assignSyncWave(this, SyncWave.WORKLOADS);
  }
}

function probedPort(check: PlannedCheck): number {
  return (
    check.spec.targetPod?.port ??
    Number(check.spec.targetEndpoint.slice(check.spec.targetEndpoint.lastIndexOf(':') + 1))
  );
}
