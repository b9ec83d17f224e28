/**
 * Source heartbeats: one coordination.k8s.io Lease per source instance (the Deployment source's leader, or a
 * per-node source on one node), renewed once per probe period while the source probes, the way kubelets renew their
 * node Leases. The generator names them (RBAC), the runtime renews them, and the operator commands read them to tell
 * a live source from a quiet one within a few periods, instead of waiting for its checks' results to age.
 */
import { LABEL_SOURCE, LABEL_SOURCE_NODE, MAX_NAME, nodeLabelValue, truncateWithHash } from './labels.js';

/** Selects every heartbeat Lease (`kubectl get leases -l p2pnc.io/heartbeat`). */
export const LABEL_HEARTBEAT = 'p2pnc.io/heartbeat';
/** The node the source pod runs on: a Deployment source's checks name no node, its heartbeat does. */
export const ANNOTATION_RUNNING_ON = 'p2pnc.io/running-on';
/** The full node name of a per-node source (its label value may be cut to 63 characters). */
export const ANNOTATION_SOURCE_NODE = 'p2pnc.io/source-node';

/** A source renews at least this often, whatever its checks' intervals. */
export const HEARTBEAT_MAX_PERIOD_MS = 60_000;
/** ... and at most this often (a check probed every second keeps its source's heartbeat as fresh). */
export const HEARTBEAT_MIN_PERIOD_MS = 1_000;
/**
 * A heartbeat older than this many periods is stale. Two and a half: one late renewal (a slow API server, a long
 * garbage collection) never marks a source quiet, two missed ones do, so a dead source shows within three periods.
 */
export const HEARTBEAT_PERIODS_UNTIL_QUIET = 2.5;

/** The Lease a source instance renews: `<source>-heartbeat`, or `<source>-heartbeat-<node label value>` per node. */
export function heartbeatLeaseName(source: string, node?: string): string {
  const base = `${source}-heartbeat`;
  return node === undefined ? base : truncateWithHash(`${base}-${nodeLabelValue(node)}`, MAX_NAME);
}

/** The labels of a heartbeat Lease: the source, and its node for a per-node source, as checks carry them. */
export function heartbeatLabels(source: string, node?: string): Record<string, string> {
  return {
    [LABEL_HEARTBEAT]: 'true',
    [LABEL_SOURCE]: source,
    ...(node === undefined ? {} : { [LABEL_SOURCE_NODE]: nodeLabelValue(node) }),
  };
}

/**
 * How often a source renews: its shortest check interval, at most 60 s, so a quiet source shows within 2.5 of its
 * intervals (up to 60 s intervals) and 1 to 2.5 minutes beyond.
 */
export function heartbeatPeriodMs(shortestIntervalMs: number | undefined): number {
  const interval = shortestIntervalMs ?? HEARTBEAT_MAX_PERIOD_MS;
  return Math.min(HEARTBEAT_MAX_PERIOD_MS, Math.max(HEARTBEAT_MIN_PERIOD_MS, interval));
}

/** The Lease duration a source declares: after it, without a renewal, the source counts as quiet. */
export function heartbeatDurationSeconds(periodMs: number): number {
  return Math.ceil((periodMs * HEARTBEAT_PERIODS_UNTIL_QUIET) / 1000);
}

/** What the operator commands read from a heartbeat Lease. */
export interface SourceHeartbeat {
  source: string;
  /** Per-node sources: the node they probe from. */
  node?: string;
  /** The node the pod runs on. */
  runningOn?: string;
  /** The pod renewing it. */
  holder?: string;
  renewTime?: Date;
  durationMs: number;
}

export type SourceLiveness = { state: 'alive'; since: Date } | { state: 'quiet'; since: Date | undefined };

/** Alive while the last renewal is younger than the declared duration; quiet since the renewal that was not followed. */
export function livenessOf(heartbeat: SourceHeartbeat, now: Date): SourceLiveness {
  const renewed = heartbeat.renewTime;
  if (!renewed || Number.isNaN(renewed.getTime())) return { state: 'quiet', since: undefined };
  if (now.getTime() - renewed.getTime() <= heartbeat.durationMs) return { state: 'alive', since: renewed };
  return { state: 'quiet', since: renewed };
}
