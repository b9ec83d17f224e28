/**
 * How many checks a topology makes, counted without making them: a full mesh of thousands of nodes would be
 * millions of objects, hours of synth and an API server full of them. Above the limit the topology is refused.
 */
import { isIP } from 'node:net';
import { selectNodes, sourceRoles } from './expand.js';
import type { TopologyProblem } from './issues.js';
import type { Source, Target, Topology, TopologyNode } from './schema.js';

/** Checks one topology may make: five times a 5,000-node cluster's mesh with 3 neighbours. */
export const MAX_CHECKS = 100_000;

export function checkCountProblem(topology: Topology): TopologyProblem | undefined {
  const count = countChecks(topology);
  if (count <= MAX_CHECKS) return undefined;
  return {
    path: 'sources',
    segments: ['sources'],
    message: `these sources and targets make ${count.toLocaleString('en-US')} checks, more than the ${MAX_CHECKS.toLocaleString('en-US')} p2pnc supports (each is an object the API server stores and a source probes): give DaemonSet sources mesh: { neighbours: 3 }, select fewer nodes, or list fewer targets per source`,
  };
}

/** An upper bound of expand(topology).length, exact for full meshes. */
export function countChecks(topology: Topology): number {
  const endpoints = new Map(topology.targets.map((target) => [target.name, targetEndpoints(topology.nodes, target)]));
  let total = 0;
  for (const source of topology.sources) {
    const sourceNodes =
      source.kind !== 'DaemonSet' ? 1 : selectNodes(topology.nodes, sourceRoles(source), source.nodeLabels).length;
    for (const target of topology.targets) {
      if (source.targets !== undefined && !source.targets.includes(target.name)) continue;
      total += sourceNodes * perSourceNode(source, endpoints.get(target.name)!);
      if (total > MAX_CHECKS * 10) return total;
    }
  }
  return total;
}

interface EndpointCount {
  shared: number;
  nodes: number;
  perNode: number;
}

function perSourceNode(source: Source, { shared, nodes, perNode }: EndpointCount): number {
  if (source.kind === 'DaemonSet' && source.mesh !== 'full')
    return shared + Math.min(source.mesh.neighbours, nodes) * perNode;
  return shared + nodes * perNode;
}

function targetEndpoints(nodes: readonly TopologyNode[], target: Target): EndpointCount {
  switch (target.kind) {
    case 'endpoint':
    case 'service':
      return { shared: 1, nodes: 0, perNode: 0 };
    case 'node': {
      const selected = selectNodes(nodes, target.roles, target.nodeLabels);
      const dual =
        target.addressFamily === 'both' &&
        selected.some((node) => new Set(node.addresses.map((address) => isIP(address))).size === 2);
      return { shared: 0, nodes: selected.length, perNode: dual ? 2 : 1 };
    }
    case 'p2pnc-target':
      return {
        shared: target.layer === 'pod' && target.viaService ? 1 : 0,
        nodes:
          target.perNode || target.layer === 'host' ? selectNodes(nodes, target.roles, target.nodeLabels).length : 0,
        perNode: 1,
      };
  }
}
