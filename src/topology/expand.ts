/**
 * expand(topology) -> PlannedCheck[]: every point-to-point pair, with its name, labels and spec.
 * Pure: charts render what this decides; the runtime, diagnose and import reuse it.
 */
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { CheckSpec } from '../api/check.js';
import { checkShards, checkStatusSettings, checkStatusSpec } from './cluster-size.js';
import { checkNamespaceOf } from '../api/check-shards.js';
import { MAX_LABEL_VALUE, nodeLabelValue, shortHash, truncateWithHash } from '../api/labels.js';
import { checkName, uniqueSlugs } from './naming.js';
import { CONTROL_PLANE_ROLE, DEFAULT_HOST_TARGET_PORT } from './schema.js';
import type { Source, Target, Topology, TopologyNode } from './schema.js';

import {
  LABEL_SOURCE,
  LABEL_SOURCE_NODE,
  LABEL_TARGET,
  LABEL_TARGET_KIND,
  LABEL_TARGET_LAYER,
  LABEL_TARGET_NODE,
  LABEL_VANTAGE,
} from '../api/labels.js';

export type Vantage = 'pod' | 'host' | 'sidecar';
export type Layer = 'pod' | 'host';

export interface PlannedCheck {
  name: string;
  /**
   * Set for checks outside the topology's namespace: a sidecar source's, in its workload's namespace; a per-node
   * source's, in its node's check shard when the cluster has several (api/check-shards.ts).
   */
  namespace?: string;
  labels: Record<string, string>;
  /** The full node names, under the label keys, when a node name is too long for a label value (over 63 characters). */
  annotations?: Record<string, string>;
  spec: CheckSpec;
}

interface Endpoint {
  /** Name part after `-to-`: the target name, plus the node for per-node targets. */
  targetPart: string;
  node?: TopologyNode;
  layer?: Layer;
  spec: Pick<CheckSpec, 'targetEndpoint' | 'targetPod'>;
}

/** Where a source probes from. */
export function vantageOf(source: Source): Vantage {
  if (source.kind === 'Sidecar') return 'sidecar';
  return source.hostNetwork ? 'host' : 'pod';
}

export function expand(topology: Topology): PlannedCheck[] {
  const slugs = uniqueSlugs(topology.nodes.map((node) => node.name));
  const endpointsByTarget = new Map(
    topology.targets.map((target) => [target.name, targetEndpoints(topology, target, slugs)]),
  );
  const checks: PlannedCheck[] = [];
  const statusSpec = checkStatusSpec(checkStatusSettings(topology));
  const shards = checkShards(topology);
  for (const source of topology.sources) {
    const targets = topology.targets
      .filter((target) => source.targets === undefined || source.targets.includes(target.name))
      .map((target) => ({
        target,
        selector: endpointSelector(source, target, sourceEndpoints(source, endpointsByTarget.get(target.name)!)),
      }));
    for (const sourceNode of sourceNodes(topology, source)) {
      for (const { target, selector } of targets) {
        for (const endpoint of selector(sourceNode))
          checks.push(plan(topology, source, sourceNode, target, endpoint, slugs, statusSpec, shards));
      }
    }
  }
  return disambiguate(checks);
}

/** The nodes a source runs on; `[undefined]` for a Deployment that is not pinned to a node. */
function sourceNodes(topology: Topology, source: Source): (TopologyNode | undefined)[] {
  if (source.kind === 'Sidecar') return [undefined];
  if (source.kind === 'Deployment') return [topology.nodes.find((node) => node.name === source.node)];
  return selectNodes(topology.nodes, sourceRoles(source), source.nodeLabels);
}

/** The roles a DaemonSet source is placed by: the control-plane roles for controlPlane sources. */
export function sourceRoles(source: Source & { kind: 'DaemonSet' }): readonly string[] | undefined {
  return source.controlPlane ? [CONTROL_PLANE_ROLE] : source.roles;
}

export function selectNodes(
  nodes: readonly TopologyNode[],
  roles?: readonly string[],
  labels?: Record<string, string>,
): TopologyNode[] {
  return nodes.filter(
    (node) =>
      (roles === undefined || roles.some((role) => node.roles.includes(role))) &&
      Object.entries(labels ?? {}).every(([key, value]) => node.labels[key] === value),
  );
}

function targetEndpoints(topology: Topology, target: Target, slugs: Map<string, string>): Endpoint[] {
  switch (target.kind) {
    case 'endpoint':
      return [{ targetPart: target.name, spec: { targetEndpoint: hostPort(target.host, target.port) } }];
    case 'service': {
      const { namespace, name, port } = target.service;
      return [
        {
          targetPart: target.name,
          spec: { targetEndpoint: hostPort(`${name}.${namespace}.svc.${topology.clusterDomain}`, port) },
        },
      ];
    }
    case 'node':
      return selectNodes(topology.nodes, target.roles, target.nodeLabels).flatMap((node) =>
        nodeAddresses(node, target.addressFamily).map(({ address, suffix }) => ({
          targetPart: `${target.name}-${slugs.get(node.name)}${suffix}`,
          node,
          spec: { targetEndpoint: hostPort(address, target.port) },
        })),
      );
    case 'p2pnc-target': {
      if (target.layer === 'host') {
        const port = topology.target.hostPort ?? DEFAULT_HOST_TARGET_PORT;
        return selectNodes(topology.nodes, target.roles, target.nodeLabels).flatMap((node) =>
          nodeAddresses(node, 'IPv4').map(({ address }) => ({
            targetPart: `${target.name}-${slugs.get(node.name)}`,
            node,
            layer: 'host' as const,
            spec: { targetEndpoint: hostPort(address, port) },
          })),
        );
      }
      const service = topology.target.name;
      const serviceHost = `${service}.${topology.namespace}.svc.${topology.clusterDomain}`;
      const perNode: Endpoint[] = target.perNode
        ? selectNodes(topology.nodes, target.roles, target.nodeLabels).map((node) => ({
            targetPart: `${target.name}-${slugs.get(node.name)}`,
            node,
            layer: 'pod' as const,
            spec: {
              targetEndpoint: hostPort(serviceHost, topology.target.port),
              targetPod: { service, node: node.name, port: topology.target.port },
            },
          }))
        : [];
      const viaService: Endpoint[] = target.viaService
        ? [
            {
              targetPart: `${target.name}-service-cluster`,
              spec: { targetEndpoint: hostPort(serviceHost, topology.target.servicePort) },
            },
          ]
        : [];
      return [...viaService, ...perNode];
    }
  }
}

function nodeAddresses(node: TopologyNode, family: 'IPv4' | 'IPv6' | 'both'): { address: string; suffix: string }[] {
  const v4 = node.addresses.find((address) => isIP(address) === 4);
  const v6 = node.addresses.find((address) => isIP(address) === 6);
  if (family === 'both' && v4 && v6)
    return [
      { address: v4, suffix: '' },
      { address: v6, suffix: '-ipv6' },
    ];
  const preferred = family === 'IPv6' ? (v6 ?? v4) : (v4 ?? v6);
  return preferred ? [{ address: preferred, suffix: '' }] : [];
}

/**
 * A sidecar runs in its workload's namespace, where no target Service's EndpointSlices are (nor may it read them):
 * it probes the target pods through the Service and the host-layer target, not each pod.
 */
function sourceEndpoints(source: Source, endpoints: Endpoint[]): Endpoint[] {
  return source.kind === 'Sidecar' ? endpoints.filter((endpoint) => endpoint.spec.targetPod === undefined) : endpoints;
}

/** `host:port`, with brackets for IPv6 as Go's net.JoinHostPort writes it. */
export function hostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Full mesh keeps every endpoint. With `neighbours: k`, a source node keeps the k per-node endpoints that follow
 * it on a hash ring of target nodes (skipping itself): stable when nodes come and go, and each node is checked
 * by about k others (exactly k when sources and targets are the same nodes). The ring is built once per target.
 */
function endpointSelector(
  source: Source,
  target: Target,
  endpoints: Endpoint[],
): (sourceNode: TopologyNode | undefined) => Endpoint[] {
  if (source.kind !== 'DaemonSet' || source.mesh === 'full') return () => endpoints;
  const k = source.mesh.neighbours;
  const shared = endpoints.filter((endpoint) => endpoint.node === undefined);
  const byNode = new Map<string, Endpoint[]>();
  for (const endpoint of endpoints) {
    if (endpoint.node) byNode.set(endpoint.node.name, [...(byNode.get(endpoint.node.name) ?? []), endpoint]);
  }
  const ring = new HashRing([...byNode.keys()], target.name);
  return (sourceNode) =>
    sourceNode ? [...shared, ...ring.next(sourceNode.name, k).flatMap((name) => byNode.get(name)!)] : endpoints;
}

class HashRing {
  private readonly entries: { name: string; at: bigint }[];

  constructor(
    names: readonly string[],
    private readonly salt: string,
  ) {
    this.entries = names
      .map((name) => ({ name, at: this.position(name) }))
      .sort((a, b) => compare(a.at, b.at) || (a.name < b.name ? -1 : 1));
  }

  /** The first k names clockwise from `from`'s position, excluding `from` itself. */
  next(from: string, k: number): string[] {
    const start = this.position(from);
    let low = 0;
    let high = this.entries.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (this.entries[middle]!.at <= start) low = middle + 1;
      else high = middle;
    }
    const picked: string[] = [];
    for (let i = 0; i < this.entries.length && picked.length < k; i++) {
      const name = this.entries[(low + i) % this.entries.length]!.name;
      if (name !== from) picked.push(name);
    }
    return picked;
  }

  private position(name: string): bigint {
    return createHash('sha256').update(`${this.salt}/${name}`).digest().readBigUInt64BE(0);
  }
}

function compare(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function ringNeighbours(from: string, candidates: readonly string[], k: number, salt: string): string[] {
  return new HashRing(candidates, salt).next(from, k);
}

function plan(
  topology: Topology,
  source: Source,
  sourceNode: TopologyNode | undefined,
  target: Target,
  endpoint: Endpoint,
  slugs: Map<string, string>,
  statusSpec: Pick<CheckSpec, 'history' | 'refreshInterval'>,
  shards: number,
): PlannedCheck {
  const sourcePart = sourceNode ? `${source.name}-${slugs.get(sourceNode.name)}` : source.name;
  const vantage = vantageOf(source);
  const labels: Record<string, string> = {
    'app.kubernetes.io/name': 'p2pnc',
    'app.kubernetes.io/component': 'connectivity-check',
    'app.kubernetes.io/part-of': 'p2pnc',
    [LABEL_SOURCE]: source.name,
    ...(sourceNode ? { [LABEL_SOURCE_NODE]: nodeLabelValue(sourceNode.name) } : {}),
    [LABEL_TARGET]: target.name,
    ...(endpoint.node ? { [LABEL_TARGET_NODE]: nodeLabelValue(endpoint.node.name) } : {}),
    [LABEL_TARGET_KIND]: target.kind,
    [LABEL_VANTAGE]: vantage,
    ...(endpoint.layer ? { [LABEL_TARGET_LAYER]: endpoint.layer } : {}),
  };
  const annotations = fullNodeNames(labels, {
    [LABEL_SOURCE_NODE]: sourceNode?.name,
    [LABEL_TARGET_NODE]: endpoint.node?.name,
  });
  const probe = target.probe ?? { kind: 'tcp' as const };
  const { tlsClientCert, ...probeSpec } = probe;
  const spec: CheckSpec = {
    sourcePod: truncateWithHash(sourcePart, MAX_LABEL_VALUE),
    targetEndpoint: endpoint.spec.targetEndpoint,
    ...(tlsClientCert ? { tlsClientCert: { name: tlsClientCert } } : {}),
    probe: probeSpec,
    interval: target.interval ?? topology.interval,
    timeout: target.timeout ?? topology.timeout,
    ...statusSpec,
    source: { name: source.name, ...(sourceNode ? { node: sourceNode.name } : {}), vantage },
    target: {
      name: target.name,
      kind: target.kind,
      ...(endpoint.node ? { node: endpoint.node.name } : {}),
      ...(endpoint.node && endpoint.node.roles.length > 0 ? { nodeRoles: [...endpoint.node.roles] } : {}),
      ...((target.kind === 'endpoint' || target.kind === 'service') && target.backends
        ? { backends: target.backends }
        : {}),
      ...(endpoint.layer ? { layer: endpoint.layer } : {}),
    },
    ...(endpoint.spec.targetPod ? { targetPod: endpoint.spec.targetPod } : {}),
  };
  return {
    name: checkName(sourcePart, endpoint.targetPart),
    ...(source.kind === 'Sidecar'
      ? { namespace: source.workload.namespace }
      : source.kind === 'DaemonSet' && sourceNode && shards > 1
        ? { namespace: checkNamespaceOf(topology.namespace, sourceNode.name, shards) }
        : {}),
    labels,
    ...(annotations ? { annotations } : {}),
    spec,
  };
}

/** Node names whose label holds a cut and hashed value, under the same keys: `kubectl get pncc -o yaml` shows them. */
function fullNodeNames(
  labels: Record<string, string>,
  names: Record<string, string | undefined>,
): Record<string, string> | undefined {
  const full = Object.entries(names).filter(
    (entry): entry is [string, string] => entry[1] !== undefined && labels[entry[0]] !== entry[1],
  );
  return full.length > 0 ? Object.fromEntries(full) : undefined;
}

/** Names are unique by construction unless names with `-to-` in them line up; then later ones get an identity hash. */
function disambiguate(checks: PlannedCheck[]): PlannedCheck[] {
  const seen = new Set<string>();
  return checks.map((check) => {
    if (!seen.has(check.name)) {
      seen.add(check.name);
      return check;
    }
    const identity = JSON.stringify([check.spec.source, check.spec.target, check.spec.targetEndpoint]);
    const name = truncateWithHash(`${check.name.slice(0, 240)}-${shortHash(identity)}`, 253);
    seen.add(name);
    return { ...check, name };
  });
}
