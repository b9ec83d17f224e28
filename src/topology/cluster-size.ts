/**
 * What a cluster's size changes, chosen from bench:scale's measurements on a real API server and etcd:
 * - what each check's status keeps and how often a healthy one is written: the status is the API server's and etcd's
 *   cost per check (44 KiB full at 20/20 caps, 11 KiB at 5/5; 54 vs 15 apiserver CPU-ms per patch), so large
 *   clusters keep less, drop the label OpenShift repeats in every message, and write healthy checks more rarely.
 *   Transitions are always written at once;
 * - how widely the per-node sources of a DaemonSet spread their first list after a rollout or an API server restart,
 *   and how many namespaces their checks are spread over, so that each source's list scans a share of them;
 * - how often each source instance renews its heartbeat Lease (3-4.5 apiserver CPU-ms each): every probe interval up to
 *   250 nodes, every 2 and 5 minutes beyond, so heartbeats and refreshes together stay within 0.2 apiserver cores at
 *   5,000 nodes (two per-node sources each). With liveness carried by heartbeats, a healthy check's refresh can be
 *   rare: its result only has to be rewritten before the 48 h stale sweep would take it for abandoned.
 */
import type { CheckSpec } from '../api/check.js';
import { DEFAULT_REFRESH_INTERVAL, DEFAULT_STATUS_HISTORY, type MessageStyle } from '../api/constants.js';
import type { Topology } from './schema.js';
import { checkShardNames } from '../api/check-shards.js';

export interface CheckStatusSettings {
  entries: number;
  outages: number;
  refreshInterval: string;
  messages: MessageStyle;
}

interface SizeClass {
  upToNodes: number;
  status: CheckStatusSettings;
  /** Each per-node source waits a random time below this before its first list ('0s': none). */
  startJitter: string;
  /** How often a source renews its heartbeat at least ('': every probe interval, at most every 60 s). */
  heartbeatPeriod: string;
  /** Nodes per check shard (api/check-shards.ts); Infinity: one namespace for every check. */
  nodesPerCheckShard: number;
}

/** Size classes by node count, smallest first; the first whose bound the cluster does not exceed applies. */
export const SIZE_CLASSES: readonly SizeClass[] = [
  {
    upToNodes: 250,
    status: { ...DEFAULT_STATUS_HISTORY, refreshInterval: DEFAULT_REFRESH_INTERVAL, messages: 'full' },
    startJitter: '0s',
    heartbeatPeriod: '',
    nodesPerCheckShard: Number.POSITIVE_INFINITY,
  },
  {
    upToNodes: 1000,
    status: { entries: 10, outages: 10, refreshInterval: '1h', messages: 'full' },
    startJitter: '10s',
    heartbeatPeriod: '2m',
    nodesPerCheckShard: Number.POSITIVE_INFINITY,
  },
  {
    upToNodes: Number.POSITIVE_INFINITY,
    status: { entries: 5, outages: 3, refreshInterval: '6h', messages: 'compact' },
    startJitter: '30s',
    heartbeatPeriod: '5m',
    nodesPerCheckShard: 100,
  },
];

/** `20 up to 250 nodes, 10 up to 1,000, 5 beyond`: a setting by size class, for the schema's `@default`s. */
export function bySizeText(setting: (status: CheckStatusSettings) => string | number): string {
  return SIZE_CLASSES.map((candidate, index) => {
    const value = String(setting(candidate.status));
    if (!Number.isFinite(candidate.upToNodes)) return `${value} beyond`;
    return `${value} up to ${candidate.upToNodes.toLocaleString('en-US')}${index === 0 ? ' nodes' : ''}`;
  }).join(', ');
}

function sizeClass(topology: Pick<Topology, 'nodes'>): SizeClass {
  return SIZE_CLASSES.find((candidate) => topology.nodes.length <= candidate.upToNodes)!;
}

export function checkStatusSettings(topology: Pick<Topology, 'nodes' | 'checkStatus'>): CheckStatusSettings {
  return { ...sizeClass(topology).status, ...definedOnly(topology.checkStatus ?? {}) };
}

/** The spread of a DaemonSet source's first lists (`p2pnc source --start-jitter`), '0s' for none. */
export function sourceStartJitter(topology: Pick<Topology, 'nodes'>): string {
  return sizeClass(topology).startJitter;
}

/** How often the sources renew their heartbeats at least (`p2pnc source --heartbeat-period`), '' for every interval. */
export function sourceHeartbeatPeriod(topology: Pick<Topology, 'nodes'>): string {
  return sizeClass(topology).heartbeatPeriod;
}

/**
 * How many namespaces the per-node sources' checks are spread over: the topology's `checkShards`, else one up to
 * 1,000 nodes and one per 100 nodes beyond (5,000 nodes: 50, 800 checks each at 8 checks per node). A source's list
 * walks its shard: 10,000 sources restarting over 30,000 checks took 57 apiserver CPU-s in 20 shards, 35 in 100.
 */
export function checkShards(topology: Pick<Topology, 'nodes' | 'checkShards'>): number {
  return topology.checkShards ?? Math.max(1, Math.ceil(topology.nodes.length / sizeClass(topology).nodesPerCheckShard));
}

/** The check shard namespaces of this topology (api/check-shards.ts); none when every check stays in its namespace. */
export function checkShardNamespaces(topology: Pick<Topology, 'nodes' | 'checkShards' | 'namespace'>): string[] {
  return checkShardNames(topology.namespace, checkShards(topology));
}

/** The spec fields that say so, only where they differ from the runtime's defaults (small clusters' checks stay as they were). */
export function checkStatusSpec(settings: CheckStatusSettings): Pick<CheckSpec, 'history' | 'refreshInterval'> {
  const history = {
    ...(settings.entries !== DEFAULT_STATUS_HISTORY.entries && { entries: settings.entries }),
    ...(settings.outages !== DEFAULT_STATUS_HISTORY.outages && { outages: settings.outages }),
    ...(settings.messages !== 'full' && { messages: settings.messages }),
  };
  return {
    ...(Object.keys(history).length > 0 && { history }),
    ...(settings.refreshInterval !== DEFAULT_REFRESH_INTERVAL && { refreshInterval: settings.refreshInterval }),
  };
}

function definedOnly<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
