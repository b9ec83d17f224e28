/** Nodes as the topology lists them: name, addresses, roles from labels, the placement-relevant facts. */
import { isIP } from 'node:net';
import { isDnsLabel } from '../../topology/schema.js';
import type { KubeNode } from './facts.js';

export interface ImportedNode {
  name: string;
  /** At most one IPv4 and one IPv6, primary family first. */
  addresses: string[];
  /** Every IP in the node's status, to recognise the node behind an endpoint address. */
  allAddresses: string[];
  roles: string[];
  labels: Record<string, string>;
  /** False when a taint keeps ordinary DaemonSet pods (p2pnc's sources) off the node. */
  schedulable: boolean;
}

const ROLE_LABEL_PREFIX = 'node-role.kubernetes.io/';
const KEPT_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone'];
/** Taints the DaemonSet controller tolerates for every DaemonSet pod. */
const TOLERATED_BY_DAEMONSETS = new Set([
  'node.kubernetes.io/not-ready',
  'node.kubernetes.io/unreachable',
  'node.kubernetes.io/disk-pressure',
  'node.kubernetes.io/memory-pressure',
  'node.kubernetes.io/pid-pressure',
  'node.kubernetes.io/unschedulable',
]);

export function importNodes(nodes: readonly KubeNode[], notes: string[]): ImportedNode[] {
  const imported: ImportedNode[] = [];
  for (const node of [...nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const name = node.metadata.name;
    const addresses = pickAddresses(node.status?.addresses ?? []);
    if (addresses.length === 0) {
      notes.push(`node ${name} has no InternalIP or ExternalIP address; left out`);
      continue;
    }
    imported.push({
      name,
      addresses,
      allAddresses: (node.status?.addresses ?? [])
        .map((entry) => entry.address)
        .filter((address) => isIP(address) !== 0),
      roles: nodeRoles(node, notes),
      labels: Object.fromEntries(
        KEPT_LABELS.flatMap((key) => (node.metadata.labels?.[key] ? [[key, node.metadata.labels[key]]] : [])),
      ),
      schedulable: !(node.spec?.taints ?? []).some(
        (taint) => taint.effect !== 'PreferNoSchedule' && !TOLERATED_BY_DAEMONSETS.has(taint.key),
      ),
    });
  }
  return imported;
}

/**
 * Roles come only from `node-role.kubernetes.io/<role>` labels, never inferred: DaemonSet sources are placed by
 * those labels, so a role without its label would place nothing.
 */
function nodeRoles(node: KubeNode, notes: string[]): string[] {
  const roles: string[] = [];
  for (const key of Object.keys(node.metadata.labels ?? {})) {
    if (!key.startsWith(ROLE_LABEL_PREFIX)) continue;
    const role = key.slice(ROLE_LABEL_PREFIX.length);
    if (isDnsLabel(role)) roles.push(role);
    else notes.push(`node ${node.metadata.name}: role label ${key} is not a DNS-1123 label; role left out`);
  }
  return roles.sort();
}

/** The InternalIP of each family (ExternalIP only for a node with no InternalIP), in the node's own order. */
function pickAddresses(addresses: readonly { type: string; address: string }[]): string[] {
  const hasInternal = addresses.some((entry) => entry.type === 'InternalIP' && isIP(entry.address) !== 0);
  const wanted = hasInternal ? 'InternalIP' : 'ExternalIP';
  const byFamily = new Map<number, string>();
  for (const entry of addresses) {
    const family = isIP(entry.address);
    if (entry.type === wanted && family !== 0 && !byFamily.has(family)) byFamily.set(family, entry.address);
  }
  return [...byFamily.values()];
}
