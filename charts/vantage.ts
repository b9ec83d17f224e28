/** Facts about the vantage points a topology uses, shared by the charts. */
import { checkShardNamespaces } from '../src/topology/cluster-size.js';
import { hostNamespaceOf, usesHostNetwork, type Topology } from '../src/topology/schema.js';

/** Whether a target of layer host needs the host-network target DaemonSet. */
export function usesHostTarget(topology: Topology): boolean {
  return topology.targets.some((target) => target.kind === 'p2pnc-target' && target.layer === 'host');
}

/** The host-network target's DaemonSet and ServiceAccount. */
export function hostTargetName(topology: Topology): string {
  return `${topology.target.name}-host`;
}

/** The namespaces dist/ writes to besides the topology's: the host namespace, the sidecars' workloads' namespaces. */
export function otherNamespaces(topology: Topology): string[] {
  const namespaces = new Set<string>();
  if (usesHostNetwork(topology)) namespaces.add(hostNamespaceOf(topology));
  for (const source of topology.sources) if (source.kind === 'Sidecar') namespaces.add(source.workload.namespace);
  for (const shard of checkShardNamespaces(topology)) namespaces.add(shard);
  namespaces.delete(topology.namespace);
  return [...namespaces].sort();
}

/** The file of a sidecar source's kustomize patch: written next to the charts, never listed as a resource. */
export function sidecarPatchFile(sourceName: string): string {
  return `${sidecarPatchChartId(sourceName)}.yaml`;
}

/** The chart writing it (cdk8s names a chart's file after its id). */
export function sidecarPatchChartId(sourceName: string): string {
  return `sidecar-${sourceName}-patch`;
}

export const SIDECAR_PATCH_FILE = /^sidecar-[a-z0-9]([-a-z0-9]*[a-z0-9])?-patch\.yaml$/;
