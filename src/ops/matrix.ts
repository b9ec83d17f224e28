/**
 * Check objects -> one row per check, in source / source node / target / target node order: who probes what,
 * and what the status says now. Pure: the time is passed in. Identity comes from the spec the generator writes
 * (spec.source, spec.target), falling back to the labels and the name for checks written by other tools.
 */
import { isIP } from 'node:net';
import type { LogEntry } from '../api/check.js';
import type { CheckObject } from '../runtime/kube/resources.js';
import { checkLabel, intervalMs, refreshMs } from '../runtime/source/check-target.js';
import { DEGRADED } from '../runtime/status/loss.js';
import { findCondition, REACHABLE, STALE } from '../runtime/status/reducer.js';
import { newestTimeMs } from '../runtime/status/log-entries.js';
import { timeMs } from '../runtime/status/time.js';
import {
  LABEL_SOURCE,
  LABEL_SOURCE_NODE,
  LABEL_TARGET,
  LABEL_TARGET_KIND,
  LABEL_TARGET_LAYER,
  LABEL_TARGET_NODE,
  LABEL_VANTAGE,
} from '../api/labels.js';
import { classifyFailure, type FailureKind } from './classify.js';
import { recentLoss, type RecentLoss } from './loss.js';
import { INVALID_CHECK_REASON } from '../api/constants.js';

/**
 * reachable / unreachable: the Reachable condition; unknown: failing but not confirmed yet, never reachable;
 * invalid: the check itself is malformed; pending: never probed; stale: marked Stale (no source probes it).
 */
export type CheckState = 'reachable' | 'unreachable' | 'unknown' | 'invalid' | 'pending' | 'stale';
export const CHECK_STATES: readonly CheckState[] = [
  'reachable',
  'unreachable',
  'unknown',
  'invalid',
  'pending',
  'stale',
];

/** How many rows are in each state; every state has a count, zero included. */
export function countStates(rows: readonly CheckRow[]): Record<CheckState, number> {
  const counts = Object.fromEntries(CHECK_STATES.map((state) => [state, 0])) as Record<CheckState, number>;
  for (const row of rows) counts[row.state] += 1;
  return counts;
}

export interface SourceRef {
  name: string;
  node?: string;
}

/** Where a check's source probes from: the pod network, the node's own network, or a sidecar in a user's pod. */
export type Vantage = 'pod' | 'host' | 'sidecar';

export interface TargetRef {
  name: string;
  kind: string;
  node?: string;
  nodeRoles: string[];
  backends?: string;
  /** For per-node p2pnc targets: the target's pod (pod network) or the node's own address (host network). */
  layer?: 'pod' | 'host';
}

export interface ProbeEntry {
  time: Date;
  success: boolean;
  reason: string;
  message: string;
  latency?: string;
}

export interface FailureEntry extends ProbeEntry {
  kind: FailureKind;
}

export interface CheckRow {
  check: string;
  source: SourceRef;
  /** From spec.source.vantage, else the p2pnc.io/vantage label; pod for checks that say neither. */
  vantage: Vantage;
  target: TargetRef;
  /** host:port probed; for the target pod of a node, `<service> pod on <node>:<port>`. */
  endpoint: string;
  /** The host when it is an IP address. */
  address?: string;
  /** The DNS name the probe resolves; undefined for IP addresses and target pods (found through EndpointSlices). */
  dnsName?: string;
  probe: string;
  /** HTTP path of http and https probes. */
  probePath?: string;
  intervalMs: number;
  /** How often a healthy check's status is written at least: its newest stored result may be this old. */
  refreshMs: number;
  state: CheckState;
  /** When Reachable last flipped. */
  changedAt?: Date;
  lastProbe?: ProbeEntry;
  lastSuccess?: ProbeEntry;
  lastFailure?: FailureEntry;
  /** The newest probe failed: since the first failure of the current streak (the open outage's start when one is open). */
  failingSince?: Date;
  /**
   * Failed probes in a row up to the newest: the stored failures newer than the newest success, or, where the list
   * keeps fewer than the streak, the probe intervals since it began. 0 when the newest probe succeeded.
   */
  failureStreak: number;
  openOutage?: { start: Date; message: string };
  /** Outages in the status (it keeps the newest 20). */
  outages: number;
  staleSince?: Date;
  createdAt?: Date;
  /** Failures interleaved with successes in the stored logs (loss, a flapping path): see loss.ts. */
  loss?: RecentLoss;
  /** The Degraded condition is True (the source judged the loss): its figure and when it flipped. */
  degraded?: { percent?: number; since?: Date };
}

export function toRows(checks: readonly CheckObject[]): CheckRow[] {
  return checks.map(toRow).sort(compareRows);
}

export function toRow(object: CheckObject): CheckRow {
  const { metadata, spec } = object;
  const status = object.status;
  const labels = metadata.labels ?? {};
  const source: SourceRef = { name: spec.source?.name ?? labels[LABEL_SOURCE] ?? spec.sourcePod };
  const sourceNode = spec.source?.node ?? labels[LABEL_SOURCE_NODE];
  if (sourceNode) source.node = sourceNode;
  const target: TargetRef = {
    name: spec.target?.name ?? labels[LABEL_TARGET] ?? checkLabel(metadata.name),
    kind: spec.target?.kind ?? labels[LABEL_TARGET_KIND] ?? 'endpoint',
    nodeRoles: [...(spec.target?.nodeRoles ?? [])],
  };
  const targetNode = spec.target?.node ?? spec.targetPod?.node ?? labels[LABEL_TARGET_NODE];
  if (targetNode) target.node = targetNode;
  if (spec.target?.backends) target.backends = spec.target.backends;
  const layer = spec.target?.layer ?? labels[LABEL_TARGET_LAYER];
  if (layer === 'pod' || layer === 'host') target.layer = layer;

  const row: CheckRow = {
    check: metadata.name,
    source,
    vantage: vantageOf(spec.source?.vantage ?? labels[LABEL_VANTAGE]),
    target,
    endpoint: spec.targetPod
      ? `${spec.targetPod.service} pod on ${spec.targetPod.node}:${spec.targetPod.port}`
      : spec.targetEndpoint,
    probe: spec.probe?.kind ?? 'tcp',
    intervalMs: intervalMs(spec),
    refreshMs: refreshMs(spec),
    state: 'pending',
    outages: status?.outages?.length ?? 0,
    failureStreak: 0,
  };
  if (spec.probe?.path) row.probePath = spec.probe.path;
  const host = hostOf(spec.targetEndpoint);
  if (host && isIP(host) !== 0) row.address = host;
  else if (host && !spec.targetPod) row.dnsName = host;

  const created = dateOf(metadata.creationTimestamp);
  if (created) row.createdAt = created;
  const reachable = findCondition(status, REACHABLE);
  const changedAt = dateOf(reachable?.lastTransitionTime);
  if (changedAt) row.changedAt = changedAt;
  const lastSuccess = entryOf(status?.successes?.[0]);
  const lastFailureEntry = entryOf(status?.failures?.[0]);
  if (lastSuccess) row.lastSuccess = lastSuccess;
  if (lastFailureEntry) row.lastFailure = { ...lastFailureEntry, kind: classifyFailure(lastFailureEntry) };
  const lastProbe = newestOf(lastSuccess, row.lastFailure, reachable?.status);
  if (lastProbe) row.lastProbe = lastProbe;
  const open = status?.outages?.[0];
  if (open && !open.end) {
    const start = dateOf(open.start);
    if (start) row.openOutage = { start, message: open.message ?? '' };
  }
  if (row.lastProbe && !row.lastProbe.success) {
    const since =
      row.openOutage?.start ?? firstFailureOfStreak(status?.failures ?? [], newestTimeMs(status?.successes));
    if (since) row.failingSince = since;
    row.failureStreak = failureStreakOf(status?.failures ?? [], newestTimeMs(status?.successes), row);
  }
  const degraded = findCondition(status, DEGRADED);
  if (degraded?.status === 'True') row.degraded = degradedOf(degraded.message, degraded.lastTransitionTime);
  const stale = findCondition(status, STALE);
  if (stale?.status === 'True') row.staleSince = dateOf(stale.lastTransitionTime) ?? new Date(Number.NaN);

  row.state = stateOf(row, reachable?.status, reachable?.reason);
  const loss = row.state === 'invalid' ? undefined : recentLoss(status);
  if (loss) row.loss = loss;
  return row;
}

function degradedOf(message: string | undefined, since: string | null | undefined): NonNullable<CheckRow['degraded']> {
  const degraded: NonNullable<CheckRow['degraded']> = {};
  const percent = Number(/^(\d+(?:\.\d+)?)% of /.exec(message ?? '')?.[1]);
  if (Number.isFinite(percent)) degraded.percent = percent;
  const at = dateOf(since);
  if (at) degraded.since = at;
  return degraded;
}

function vantageOf(text: string | undefined): Vantage {
  return text === 'host' || text === 'sidecar' ? text : 'pod';
}

function stateOf(row: CheckRow, reachable: string | undefined, reason: string | undefined): CheckState {
  if (row.staleSince) return 'stale';
  if (reachable === 'True') return 'reachable';
  if (reachable === 'False') return reason === INVALID_CHECK_REASON ? 'invalid' : 'unreachable';
  if (row.lastProbe)
    return row.lastProbe.success ? 'reachable' : row.lastFailure?.kind === 'config' ? 'invalid' : 'unknown';
  return 'pending';
}

/** Stored times have whole seconds; a success and a failure in the same second are told apart by Reachable. */
function newestOf(
  success: ProbeEntry | undefined,
  failure: FailureEntry | undefined,
  reachable: string | undefined,
): ProbeEntry | undefined {
  if (!success || !failure) return success ?? failure;
  const order = success.time.getTime() - failure.time.getTime();
  if (order !== 0) return order > 0 ? success : failure;
  return reachable === 'True' ? success : failure;
}

function failureStreakOf(failures: readonly LogEntry[], newestSuccessMs: number, row: CheckRow): number {
  let stored = 0;
  for (const failure of failures) {
    if (timeMs(failure.time) <= newestSuccessMs) break;
    stored++;
  }
  const span = row.failingSince && row.lastProbe ? row.lastProbe.time.getTime() - row.failingSince.getTime() : 0;
  return Math.max(stored, row.intervalMs > 0 ? Math.floor(span / row.intervalMs) + 1 : 0);
}

function firstFailureOfStreak(failures: readonly LogEntry[], newestSuccessMs: number): Date | undefined {
  let first: LogEntry | undefined;
  for (const failure of failures) {
    if (timeMs(failure.time) <= newestSuccessMs) break;
    first = failure;
  }
  return dateOf(first?.time);
}

function entryOf(entry: LogEntry | undefined): ProbeEntry | undefined {
  const time = dateOf(entry?.time);
  if (!entry || !time) return undefined;
  const result: ProbeEntry = { time, success: entry.success, reason: entry.reason ?? '', message: entry.message ?? '' };
  if (entry.latency) result.latency = entry.latency;
  return result;
}

function dateOf(text: string | null | undefined): Date | undefined {
  const ms = timeMs(text);
  return Number.isFinite(ms) ? new Date(ms) : undefined;
}

function hostOf(endpoint: string): string | undefined {
  if (endpoint.startsWith('[')) return endpoint.slice(1, endpoint.indexOf(']'));
  const colon = endpoint.lastIndexOf(':');
  return colon > 0 ? endpoint.slice(0, colon) : undefined;
}

export function sourceKey(source: SourceRef): string {
  return source.node ? `${source.name}@${source.node}` : source.name;
}

/** `mesh on worker-1`, or the name alone for an unpinned Deployment. */
export function describeSource(source: SourceRef): string {
  return source.node ? `${source.name} on ${source.node}` : source.name;
}

/** Source, source node, target, target node, then check name: the order every view lists checks in. */
export function compareRows(a: CheckRow, b: CheckRow): number {
  return (
    a.source.name.localeCompare(b.source.name) ||
    (a.source.node ?? '').localeCompare(b.source.node ?? '') ||
    a.target.name.localeCompare(b.target.name) ||
    (a.target.node ?? '').localeCompare(b.target.node ?? '') ||
    a.check.localeCompare(b.check)
  );
}
