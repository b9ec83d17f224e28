/**
 * Folds probe results into a check's status, OpenShift-compatible, with debounced outages.
 * Pure: no I/O and no clock; every time comes from the result or the caller.
 *
 * The status is the only state: the current failure streak is read back from the failures list (failures newer
 * than the newest success), so the reducer survives restarts and works on a status read from the API server.
 */
import type { CheckSpec, CheckStatus, Condition, LogEntry, Outage } from '../../api/check.js';
import { DEFAULT_STATUS_HISTORY } from '../../api/constants.js';
import { formatDuration, parseDuration } from '../../api/duration.js';
import type { ProbeResult } from '../types.js';
import { entryTimeMs, insertNewestFirst, newestTimeMs, toLogEntry } from './log-entries.js';
import {
  DEFAULT_LOSS_POLICY,
  DEGRADED,
  degradedConfirmFailures,
  isDegraded,
  lossWindow,
  NO_PACKET_LOSS,
  PACKET_LOSS,
  packetLossMessage,
  type LossPolicy,
  type LossWindow,
} from './loss.js';
import { formatTime, formatTimeNano, storedTimeMs, timeMs } from './time.js';
import { INVALID_CHECK_REASON, REACHABLE, STALE } from '../../api/constants.js';
import { DEFAULT_CONFIRM_FAILURES, DEFAULT_CONFIRM_RETRY_MS } from '../defaults.js';

export { REACHABLE, STALE };

export interface StatusPolicy {
  /** Successes and failures kept, each. */
  maxEntries: number;
  maxOutages: number;
  /** startLogs and endLogs kept per outage. */
  maxOutageLogs: number;
  /**
   * Consecutive failures that confirm an outage. 1 behaves like OpenShift (an outage per failure). The streak is
   * read from the failures list, so this must not exceed maxEntries + 1.
   */
  confirmFailures: number;
  /** Asked of the scheduler after an unconfirmed failure, so confirmation does not wait a whole interval. */
  confirmRetryMs: number;
  /** Reason of the True Reachable condition per success reason; others get `<reason>Success`. */
  successReasons: Readonly<Record<string, string>>;
  /** Failure reasons that say the check is malformed, not the network: they break a failure streak. */
  invalidCheckReasons: readonly string[];
  /** When intermittent failures make the check Degraded instead of opening outage after outage. */
  loss: LossPolicy;
}

export const DEFAULT_STATUS_POLICY: StatusPolicy = {
  maxEntries: DEFAULT_STATUS_HISTORY.entries,
  maxOutages: DEFAULT_STATUS_HISTORY.outages,
  maxOutageLogs: 5,
  confirmFailures: DEFAULT_CONFIRM_FAILURES,
  confirmRetryMs: DEFAULT_CONFIRM_RETRY_MS,
  successReasons: {
    TCPConnect: 'TCPConnectSuccess',
    TLSHandshake: 'TLSHandshakeSuccess',
    HTTPRequest: 'HTTPRequestSuccess',
  },
  invalidCheckReasons: [INVALID_CHECK_REASON],
  loss: DEFAULT_LOSS_POLICY,
};

export function statusPolicy(overrides: Partial<StatusPolicy> = {}): StatusPolicy {
  return { ...DEFAULT_STATUS_POLICY, ...overrides };
}

/**
 * The policy for one check: its spec's history caps over the source's policy, and the confirming retry no later than
 * its interval. A failure streak is read from the failures list, so confirming takes at most entries + 1 failures
 * however few the check keeps.
 */
export function policyForCheck(base: StatusPolicy, spec: Pick<CheckSpec, 'history' | 'interval'>): StatusPolicy {
  const entries = spec.history?.entries;
  const outages = spec.history?.outages;
  // A check probed more often than the confirming retry confirms at its own pace (a 1 s check within about 2 s).
  const intervalMs = spec.interval === undefined ? undefined : parseDuration(spec.interval);
  const confirmRetryMs =
    intervalMs !== undefined && intervalMs > 0 ? Math.min(base.confirmRetryMs, intervalMs) : base.confirmRetryMs;
  if (entries === undefined && outages === undefined && confirmRetryMs === base.confirmRetryMs) return base;
  const maxEntries = entries ?? base.maxEntries;
  return {
    ...base,
    maxEntries,
    maxOutages: outages ?? base.maxOutages,
    maxOutageLogs: entries === undefined ? base.maxOutageLogs : outageLogsFor(entries, base.maxOutageLogs),
    confirmFailures: Math.min(base.confirmFailures, maxEntries + 1),
    confirmRetryMs,
  };
}

/**
 * Each outage's start and end logs follow the entries cap: they are most of a full status (7 of its 9 KiB at 5
 * entries and 5 outages), so a check that keeps few entries keeps the first failure and the recovery alone.
 */
export function outageLogsFor(entries: number, max: number): number {
  if (entries >= 20) return max;
  return entries >= 10 ? Math.min(2, max) : 1;
}

export type OutageTransition = 'outage-opened' | 'outage-closed';

export interface RecordOutcome {
  status: CheckStatus;
  transition?: OutageTransition;
  /** Set after a failure that is not confirmed yet: probe again this soon. */
  confirmRetryInMs?: number;
  /** The recent probes' loss (outside outages), for the loss gauge; absent for late and invalid-check results. */
  loss?: LossWindow;
}

export const outageDetectedMessage = (start: Date): string =>
  `Connectivity outage detected at ${formatTimeNano(start)}`;
export const outageRestoredMessage = (durationMs: number): string =>
  `Connectivity restored after ${formatDuration(durationMs)}`;
export const staleMessage = (since: Date | undefined): string =>
  since ? `no source has probed this check since ${formatTime(since)}` : 'no source has probed this check';

/** Records one probe result. The input status is not modified. */
export function record(
  status: CheckStatus | undefined,
  result: ProbeResult,
  policy: StatusPolicy = DEFAULT_STATUS_POLICY,
): RecordOutcome {
  const outcome = reduce(status ?? {}, result, policy);
  return { ...outcome, status: inFieldOrder(outcome.status) };
}

function reduce(previous: CheckStatus, result: ProbeResult, policy: StatusPolicy): RecordOutcome {
  const entry = toLogEntry(result);
  const logged = withLogEntry(previous, entry, policy);
  // A result older than what is already recorded only fills in the history: the state moved on since.
  if (isLate(previous, result)) return { status: logged };
  if (result.failure === 'config') return { status: withReachable(logged, 'False', entry, result.time) };
  const outcome = result.success
    ? recordSuccess(logged, entry, result, policy)
    : recordFailure(previous, logged, entry, result, policy);
  return withLoss(outcome, result.time, policy);
}

const lossWindowSize = (policy: StatusPolicy): number => Math.min(policy.loss.windowProbes, policy.maxEntries);

/**
 * Flips Degraded when the recent loss crosses its thresholds (a transition, written at once). While it stays True its
 * message follows the figure, a steady change: it rides the writes that happen anyway and never causes one.
 * Not judged while an outage is open.
 */
function withLoss(outcome: RecordOutcome, time: Date, policy: StatusPolicy): RecordOutcome {
  const window = lossWindow(outcome.status, lossWindowSize(policy), policy.invalidCheckReasons);
  if (openOutage(outcome.status)) return { ...outcome, loss: window };
  const current = findCondition(outcome.status, DEGRADED);
  const was = current?.status === 'True';
  const now = isDegraded(window, was, policy.loss);
  if (now === was && !(now && current?.message !== packetLossMessage(window))) return { ...outcome, loss: window };
  const condition = {
    type: DEGRADED,
    status: now ? 'True' : 'False',
    reason: now ? PACKET_LOSS : NO_PACKET_LOSS,
    message: packetLossMessage(window),
  };
  return { ...outcome, status: withCondition(outcome.status, condition, time), loss: window };
}

/** Failures in a row that confirm an outage: more on a Degraded check, as many as its loss makes a fluke unlikely. */
function confirmFailures(status: CheckStatus, streak: number, policy: StatusPolicy): number {
  if (findCondition(status, DEGRADED)?.status !== 'True') return policy.confirmFailures;
  const before = lossWindow(status, lossWindowSize(policy), policy.invalidCheckReasons, streak);
  return Math.min(degradedConfirmFailures(before, policy.confirmFailures, policy.loss), policy.maxEntries + 1);
}

/** Fields in the order of OpenShift's Go struct, so written objects read the same; absent fields stay absent. */
export function inFieldOrder(status: CheckStatus): CheckStatus {
  const ordered: CheckStatus = {};
  if (status.conditions) ordered.conditions = status.conditions;
  if (status.successes) ordered.successes = status.successes;
  if (status.failures) ordered.failures = status.failures;
  if (status.outages) ordered.outages = status.outages;
  return ordered;
}

function withLogEntry(status: CheckStatus, entry: LogEntry, policy: StatusPolicy): CheckStatus {
  const list = entry.success ? 'successes' : 'failures';
  return { ...status, [list]: insertNewestFirst(status[list] ?? [], entry, policy.maxEntries) };
}

function isLate(status: CheckStatus, result: ProbeResult): boolean {
  return storedTimeMs(result.time) < newestProbeMs(status);
}

function newestProbeMs(status: CheckStatus): number {
  return Math.max(newestTimeMs(status.successes), newestTimeMs(status.failures));
}

function recordSuccess(status: CheckStatus, entry: LogEntry, result: ProbeResult, policy: StatusPolicy): RecordOutcome {
  const reason = policy.successReasons[result.reason] ?? `${result.reason}Success`;
  const reachable = withReachable(status, 'True', { ...entry, reason }, result.time);
  const open = openOutage(status);
  if (!open) return { status: reachable };
  const closed = closeOutage(open, entry, result.time, status.failures ?? [], policy);
  return {
    status: { ...reachable, outages: [closed, ...(status.outages ?? []).slice(1)] },
    transition: 'outage-closed',
  };
}

function recordFailure(
  previous: CheckStatus,
  status: CheckStatus,
  entry: LogEntry,
  result: ProbeResult,
  policy: StatusPolicy,
): RecordOutcome {
  const open = openOutage(status);
  if (open) {
    const outages = [withFailureMode(open, entry, policy), ...(status.outages ?? []).slice(1)];
    return { status: withReachable({ ...status, outages }, 'False', entry, result.time) };
  }
  const streak = [entry, ...failureStreak(previous, policy)];
  if (streak.length < confirmFailures(status, streak.length, policy)) {
    return { status: withUnconfirmedFailure(status, entry, result.time), confirmRetryInMs: policy.confirmRetryMs };
  }
  const outage = newOutage(streak, result, policy);
  const outages = [outage, ...(status.outages ?? [])].slice(0, policy.maxOutages);
  return {
    status: withReachable({ ...status, outages }, 'False', entry, new Date(timeMs(outage.start))),
    transition: 'outage-opened',
  };
}

/** Failures since the newest success, newest first; a failure of the check itself ends the streak. */
function failureStreak(status: CheckStatus, policy: StatusPolicy): LogEntry[] {
  const newestSuccess = entryTimeMs(status.successes?.[0]);
  const streak: LogEntry[] = [];
  for (const failure of status.failures ?? []) {
    if (entryTimeMs(failure) <= newestSuccess || policy.invalidCheckReasons.includes(failure.reason ?? '')) break;
    streak.push(failure);
  }
  return streak;
}

function openOutage(status: CheckStatus): Outage | undefined {
  const latest = status.outages?.[0];
  return latest && !latest.end ? latest : undefined;
}

/** `streak` is newest first and its head is the current result, whose time is known to the millisecond. */
function newOutage(streak: readonly LogEntry[], result: ProbeResult, policy: StatusPolicy): Outage {
  const first = streak[streak.length - 1]!;
  const start = streak.length === 1 ? result.time : new Date(timeMs(first.time));
  let startLogs: readonly LogEntry[] = [first];
  for (const failure of streak.slice(0, -1).reverse()) startLogs = withStartLog(startLogs, failure, policy);
  return { start: formatTime(start), message: outageDetectedMessage(start), startLogs: [...startLogs] };
}

/** Adds a failure to startLogs when its message differs from the latest one: a change of failure mode. */
function withFailureMode(outage: Outage, failure: LogEntry, policy: StatusPolicy): Outage {
  const startLogs = outage.startLogs ?? [];
  const updated = withStartLog(startLogs, failure, policy);
  return updated === startLogs ? outage : { ...outage, startLogs: [...updated] };
}

/** Newest first and capped, always keeping the first failure of the outage (the last entry). */
function withStartLog(startLogs: readonly LogEntry[], failure: LogEntry, policy: StatusPolicy): readonly LogEntry[] {
  const first = startLogs[startLogs.length - 1];
  if (!first) return [failure];
  if (startLogs[0]?.message === failure.message) return startLogs;
  const modeChanges = [failure, ...startLogs.slice(0, -1)].slice(0, Math.max(policy.maxOutageLogs - 1, 0));
  return [...modeChanges, first];
}

function closeOutage(
  open: Outage,
  success: LogEntry,
  end: Date,
  failures: readonly LogEntry[],
  policy: StatusPolicy,
): Outage {
  const storedStartMs = timeMs(open.start);
  const endMs = timeMs(success.time);
  const outageFailures = failures.filter(
    (failure) => timeMs(failure.time) >= storedStartMs && timeMs(failure.time) <= endMs,
  );
  return {
    start: open.start,
    end: formatTime(end),
    message: outageRestoredMessage(end.getTime() - outageStartMs(open)),
    startLogs: open.startLogs ?? [],
    endLogs: [success, ...outageFailures].slice(0, policy.maxOutageLogs),
  };
}

/** The start to the millisecond when the detection message still holds it, else the stored second. */
function outageStartMs(outage: Outage): number {
  const detectedAt = /^Connectivity outage detected at (\S+)$/.exec(outage.message ?? '')?.[1];
  const precise = timeMs(detectedAt);
  return Number.isFinite(precise) ? precise : timeMs(outage.start);
}

/** An unconfirmed failure changes nothing visible, except on a check that has no Reachable condition yet. */
function withUnconfirmedFailure(status: CheckStatus, failure: LogEntry, time: Date): CheckStatus {
  const current = findCondition(status, REACHABLE);
  if (current && current.status !== 'Unknown') return status;
  return withReachable(status, 'Unknown', failure, time);
}

function withReachable(
  status: CheckStatus,
  value: 'True' | 'False' | 'Unknown',
  from: LogEntry,
  flippedAt: Date,
): CheckStatus {
  return withCondition(
    status,
    { type: REACHABLE, status: value, reason: from.reason ?? '', message: from.message ?? '' },
    flippedAt,
  );
}

type ConditionContent = Omit<Condition, 'lastTransitionTime'>;

/**
 * Replaces the condition of the same type in place (or appends it); lastTransitionTime moves to `flippedAt` only
 * when the status flips. An identical condition leaves `status` as it is, which keeps change detection cheap.
 */
function withCondition(status: CheckStatus, content: ConditionContent, flippedAt: Date): CheckStatus {
  const conditions = status.conditions ?? [];
  const current = conditions.find((existing) => existing.type === content.type);
  if (!current)
    return { ...status, conditions: [...conditions, { ...content, lastTransitionTime: formatTime(flippedAt) }] };
  if (current.status === content.status && current.reason === content.reason && current.message === content.message)
    return status;
  const lastTransitionTime = current.status === content.status ? current.lastTransitionTime : formatTime(flippedAt);
  const next = { ...content, lastTransitionTime };
  return { ...status, conditions: conditions.map((existing) => (existing === current ? next : existing)) };
}

export function findCondition(status: CheckStatus | undefined, type: string): Condition | undefined {
  return status?.conditions?.find((condition) => condition.type === type);
}

/** Start time of the newest probe recorded, successful or not. */
export function lastProbeTime(status: CheckStatus | undefined): Date | undefined {
  const newest = newestProbeMs(status ?? {});
  return Number.isFinite(newest) ? new Date(newest) : undefined;
}

/**
 * Whether no source has probed the check for longer than `staleAfterMs`. A check never probed is measured from
 * its creation; with no creation time either, it is stale (nothing shows it is looked after).
 */
export function isStale(status: CheckStatus | undefined, now: Date, staleAfterMs: number, createdAt?: Date): boolean {
  return staleSince(lastProbeTime(status), now, staleAfterMs, createdAt) !== false;
}

/** The time staleness is measured from when the check is stale (undefined when unknown), false when fresh. */
function staleSince(
  lastProbe: Date | undefined,
  now: Date,
  staleAfterMs: number,
  createdAt?: Date,
): Date | undefined | false {
  const since = lastProbe ?? createdAt;
  if (since && now.getTime() - since.getTime() <= staleAfterMs) return false;
  return since;
}

/**
 * Sets the Stale condition (True, NoRecentProbe) when no probe is recent, and removes it when one is, so a healthy
 * check keeps OpenShift's shape. Returns `status` itself when nothing changes, so callers can skip a write.
 */
export function markStale(
  status: CheckStatus,
  lastProbe: Date | undefined,
  now: Date,
  staleAfterMs: number,
  createdAt?: Date,
): CheckStatus {
  const since = staleSince(lastProbe, now, staleAfterMs, createdAt);
  const current = findCondition(status, STALE);
  if (since === false) {
    if (!current) return status;
    return { ...status, conditions: (status.conditions ?? []).filter((condition) => condition !== current) };
  }
  const becameStale = since ? new Date(since.getTime() + staleAfterMs) : now;
  return withCondition(
    status,
    { type: STALE, status: 'True', reason: 'NoRecentProbe', message: staleMessage(since) },
    becameStale,
  );
}
