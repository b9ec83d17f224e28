/**
 * When to send status updates, and what to send. Pure: times are milliseconds passed in, randomness is a function
 * passed in, and nothing here talks to the API server.
 *
 * Budget: a transition (a condition flips, an outage opens or closes, a new failure mode) is written within
 * `transitionDelayMs`; anything else at most once per `steadyIntervalMs`. Pending work is just the latest status
 * per check: the reducer bounds every list in it, so however long the API server is away, memory stays
 * O(checks x one status) and nothing is lost but entries the caps would have dropped anyway.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CheckStatus, Condition, Outage } from '../../api/check.js';
import { DEFAULT_REFRESH_INTERVAL_MS } from '../../api/constants.js';
import { entryKey, unionNewestFirst } from './log-entries.js';
import {
  DEFAULT_STATUS_POLICY,
  findCondition,
  inFieldOrder,
  lastProbeTime,
  REACHABLE,
  STALE,
  type StatusPolicy,
} from './reducer.js';
import { timeMs } from './time.js';

export interface WritePolicy {
  /** Changes arriving this soon after a transition ride in the same write. Clamped to transitionDelayMs. */
  coalesceMs: number;
  /** Longest a transition waits before its write is due. */
  transitionDelayMs: number;
  /** Minimum spacing of writes that carry no transition. */
  steadyIntervalMs: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  /** Conflicts retried at once (after a merge) before they back off like other errors. */
  immediateConflictRetries: number;
  /**
   * First statuses of checks never written (a new deployment: Reachable appears on every check within one interval)
   * go out at most this many a second, in the order they come; an outage opening meanwhile is written at once.
   */
  firstWritesPerSecond: number;
  /** Writes in flight at once while flushing on SIGTERM. */
  flushConcurrency: number;
  /** A flush starts its writes evenly over this share of its deadline, keeping the rest for retries. */
  flushSpreadShare: number;
}

export const DEFAULT_WRITE_POLICY: WritePolicy = {
  coalesceMs: 1000,
  transitionDelayMs: 5000,
  steadyIntervalMs: DEFAULT_REFRESH_INTERVAL_MS,
  backoffBaseMs: 1000,
  backoffMaxMs: 60_000,
  immediateConflictRetries: 3,
  firstWritesPerSecond: 50,
  flushConcurrency: 16,
  flushSpreadShare: 0.5,
};

export function writePolicy(overrides: Partial<WritePolicy> = {}): WritePolicy {
  return { ...DEFAULT_WRITE_POLICY, ...overrides };
}

export type ChangeKind = 'none' | 'steady' | 'transition';

/**
 * How a status changed: `transition` when a condition's status flips (or a condition appears or goes), an outage
 * opens or closes, or an open outage records a new failure mode; `steady` for any other difference.
 */
export function classifyChange(before: CheckStatus | undefined, after: CheckStatus): ChangeKind {
  if (!STATUS_LISTS.some((list) => listDiffers(before?.[list], after[list]))) return 'none';
  if (conditionStatuses(before) !== conditionStatuses(after)) return 'transition';
  if (before?.outages !== after.outages && outageMilestones(before) !== outageMilestones(after)) return 'transition';
  return 'steady';
}

/** The lists most likely to differ come first: most changes are one more probe. */
const STATUS_LISTS = ['successes', 'failures', 'outages', 'conditions'] as const;

function listDiffers(before: readonly unknown[] | undefined, after: readonly unknown[] | undefined): boolean {
  return before !== after && !isDeepStrictEqual(before ?? [], after ?? []);
}

function conditionStatuses(status: CheckStatus | undefined): string {
  return (status?.conditions ?? []).map(conditionStatus).sort().join(',');
}

const conditionStatus = (condition: Condition): string => `${condition.type}=${condition.status}`;

function outageMilestones(status: CheckStatus | undefined): string {
  return JSON.stringify((status?.outages ?? []).map(outageMilestone));
}

function outageMilestone(outage: Outage): Array<string | number | null> {
  const latestMode = outage.startLogs?.[0];
  return [outage.start, outage.end ?? '', latestMode ? entryKey(latestMode) : '', outage.startLogs?.length ?? 0];
}

/** Maps a back-off delay to the delay actually waited; tests pass identity, the runtime a random spread. */
export type Jitter = (delayMs: number) => number;

export const noJitter: Jitter = (delayMs) => delayMs;

/** Half fixed, half random: keeps the exponential growth while de-synchronising writers. */
export const equalJitter =
  (random: () => number): Jitter =>
  (delayMs) =>
    delayMs / 2 + (random() * delayMs) / 2;

/** Exponential back-off after `consecutiveErrors` (>= 1) errors: base, 2 x base, ... capped, then jittered. */
export function backoffDelayMs(consecutiveErrors: number, policy: WritePolicy, jitter: Jitter = noJitter): number {
  const exponent = Math.max(consecutiveErrors - 1, 0);
  const capped = Math.min(policy.backoffBaseMs * 2 ** Math.min(exponent, 52), policy.backoffMaxMs);
  return Math.min(Math.max(jitter(capped), 0), policy.backoffMaxMs);
}

/**
 * `conflict`: 409, someone else wrote the check; `check`: an error about this object (e.g. 422; a 404 means the
 * check is gone: call forget instead); `server`: the API server is unavailable or throttling (5xx, 429, connection
 * errors) — it backs off every check.
 */
export type WriteErrorKind = 'conflict' | 'check' | 'server';

/** Changes not yet written: when the first one happened, and the first transition among them. */
interface DirtyMarks {
  since: number;
  transitionSince?: number;
  /** A never-written check's first status: due at this slot of the first-write budget instead. */
  firstWriteAt?: number;
}

interface CheckWriteState {
  status: CheckStatus;
  dirty?: DirtyMarks;
  /** Marks handed to the write in progress; they come back to `dirty` if it fails. */
  inFlight?: DirtyMarks;
  lastWriteAt?: number;
  consecutiveErrors: number;
  consecutiveConflicts: number;
  retryAt?: number;
  /** The last attempt failed because the API server did (unreachable, 5xx), not because of this check. */
  failedOnServer?: boolean;
  /** The last attempt failed in a way that means the remote copy may differ from what we last wrote. */
  mergeWithRemote: boolean;
  /** This check's own spacing of writes without a transition, when its spec sets one. */
  steadyIntervalMs?: number;
  /** No status of this check was ever stored (no condition), nor written by this process. */
  neverWritten: boolean;
}

export interface WriteJob {
  status: CheckStatus;
  /** Read the check and write mergeForWrite(status, remote) instead: after a conflict or an API outage. */
  mergeWithRemote: boolean;
  /** When the oldest change in this write happened. */
  changedSince: number;
  /** When the first transition in this write happened, if it carries one. */
  transitionSince?: number;
}

/** What a flush writes first: transitions, then the oldest changes. */
export interface PendingCheck {
  check: string;
  transition: boolean;
  since: number;
}

export class WriteScheduler {
  private readonly checks = new Map<string, CheckWriteState>();
  private serverErrors = 0;
  private serverRetryAt = Number.NEGATIVE_INFINITY;
  private writesInFlight = 0;
  /** The next free slot of the first-write budget. */
  private nextFirstWriteAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly policy: WritePolicy = DEFAULT_WRITE_POLICY,
    private readonly jitter: Jitter = noJitter,
  ) {}

  /**
   * Starts tracking a check at the status the API server holds, without anything to write. `lastWriteAt` (e.g.
   * now, after a restart) spaces the first steady write; unknown, the first steady change waits a full interval.
   */
  adopt(check: string, status: CheckStatus, lastWriteAt?: number): void {
    this.checks.set(check, { ...cleanState(status), ...(lastWriteAt !== undefined && { lastWriteAt }) });
  }

  /** Spaces this check's writes without a transition by `steadyIntervalMs` instead of the policy's (its spec's refreshInterval). */
  setSteadyInterval(check: string, steadyIntervalMs: number | undefined): void {
    const state = this.checks.get(check);
    if (!state) return;
    if (steadyIntervalMs === undefined) delete state.steadyIntervalMs;
    else state.steadyIntervalMs = steadyIntervalMs;
  }

  /** Takes the latest local status of a check (tracking it if new); returns how it changed from the previous one. */
  update(check: string, status: CheckStatus, now: number): ChangeKind {
    const tracked = this.checks.get(check);
    const change = classifyChange(tracked?.status, status);
    const state = tracked ?? cleanState(status);
    state.status = status;
    this.checks.set(check, state);
    if (change !== 'none') this.markDirty(state, change, now);
    return change;
  }

  private markDirty(state: CheckWriteState, change: Exclude<ChangeKind, 'none'>, now: number): void {
    if (change === 'transition' && state.neverWritten && isFirstStatus(state.status)) {
      if (state.dirty?.firstWriteAt !== undefined || state.dirty?.transitionSince !== undefined) return;
      state.dirty = addMarks(state.dirty, { since: now, firstWriteAt: this.firstWriteSlot(now) });
      return;
    }
    state.dirty = addMarks(state.dirty, { since: now, ...(change === 'transition' && { transitionSince: now }) });
  }

  /** Slots `1 / firstWritesPerSecond` apart, the first after the coalescing window. */
  private firstWriteSlot(now: number): number {
    const at = Math.max(now + Math.min(this.policy.coalesceMs, this.policy.transitionDelayMs), this.nextFirstWriteAt);
    this.nextFirstWriteAt = at + 1000 / Math.max(this.policy.firstWritesPerSecond, 1e-3);
    return at;
  }

  /** When the pending write of `check` is due; undefined when nothing is pending or a write is in flight. */
  dueAt(check: string): number | undefined {
    const state = this.checks.get(check);
    if (!state?.dirty || state.inFlight) return undefined;
    return Math.max(
      this.unthrottledDueAt(state, state.dirty),
      state.retryAt ?? Number.NEGATIVE_INFINITY,
      this.serverRetryAt,
    );
  }

  private unthrottledDueAt(state: CheckWriteState, dirty: DirtyMarks): number {
    if (dirty.transitionSince !== undefined) {
      return dirty.transitionSince + Math.min(this.policy.coalesceMs, this.policy.transitionDelayMs);
    }
    if (dirty.firstWriteAt !== undefined) return dirty.firstWriteAt;
    const steadyFrom = state.lastWriteAt ?? dirty.since;
    return Math.max(dirty.since, steadyFrom + (state.steadyIntervalMs ?? this.policy.steadyIntervalMs));
  }

  /**
   * Checks whose write is due at `now`, earliest first. While the API server is failing, only one goes out as a
   * probe: a thousand writes against a server that is down only slow its recovery.
   */
  dueChecks(now: number): string[] {
    const due: Array<[string, number]> = [];
    for (const check of this.checks.keys()) {
      const at = this.dueAt(check);
      if (at !== undefined && at <= now) due.push([check, at]);
    }
    due.sort((a, b) => a[1] - b[1]);
    const names = due.map(([check]) => check);
    return this.holdsBackWrites(now) ? [] : names.slice(0, this.serverErrors > 0 ? 1 : names.length);
  }

  /** The API server is failing and either its back-off runs or a probe write is already out. */
  private holdsBackWrites(now: number): boolean {
    return this.serverErrors > 0 && (now < this.serverRetryAt || this.writesInFlight > 0);
  }

  /** The earliest due time over all checks, to arm a timer. */
  nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const check of this.checks.keys()) {
      const at = this.dueAt(check);
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  /**
   * Hands the pending status of `check` to a write; call writeSucceeded or writeFailed when it ends. Undefined when
   * nothing is pending, a write of the check is in flight, or the failing API server holds writes back (look again
   * when a write ends). It does not wait for dueAt, so a stopping process can flush everything pending.
   */
  beginWrite(check: string, now: number): WriteJob | undefined {
    const state = this.checks.get(check);
    if (!state?.dirty || state.inFlight || this.holdsBackWrites(now)) return undefined;
    state.inFlight = state.dirty;
    delete state.dirty;
    this.writesInFlight += 1;
    return {
      status: state.status,
      mergeWithRemote: state.mergeWithRemote,
      changedSince: state.inFlight.since,
      ...(state.inFlight.transitionSince !== undefined && { transitionSince: state.inFlight.transitionSince }),
    };
  }

  writeSucceeded(check: string, now: number): void {
    const state = this.checks.get(check);
    this.serverErrors = 0;
    this.serverRetryAt = Number.NEGATIVE_INFINITY;
    if (!state) return;
    this.endFlight(state);
    delete state.retryAt;
    state.lastWriteAt = now;
    state.consecutiveErrors = 0;
    state.consecutiveConflicts = 0;
    state.mergeWithRemote = false;
    state.neverWritten = false;
    delete state.failedOnServer;
  }

  /**
   * Another request to the API server (a list, a Lease renewal) succeeded: the outage is over, so writes held back
   * by its back-off go out now instead of when the back-off, grown during the outage, runs out.
   */
  apiServerAnswered(): boolean {
    if (this.serverErrors === 0) return false;
    this.serverErrors = 0;
    this.serverRetryAt = Number.NEGATIVE_INFINITY;
    for (const state of this.checks.values()) {
      if (!state.failedOnServer) continue;
      delete state.retryAt;
      state.consecutiveErrors = 0;
      delete state.failedOnServer;
    }
    return true;
  }

  /** Keeps the changes pending and schedules the retry. */
  writeFailed(check: string, now: number, kind: WriteErrorKind): void {
    const state = this.checks.get(check);
    if (!state) return;
    if (state.inFlight) state.dirty = addMarks(state.dirty, state.inFlight);
    this.endFlight(state);
    state.mergeWithRemote = kind !== 'check' || state.mergeWithRemote;
    if (kind === 'conflict' && state.consecutiveConflicts < this.policy.immediateConflictRetries) {
      state.consecutiveConflicts += 1;
      state.retryAt = now;
      return;
    }
    state.consecutiveErrors += 1;
    state.retryAt = now + backoffDelayMs(state.consecutiveErrors, this.policy, this.jitter);
    if (kind === 'server') {
      state.failedOnServer = true;
      this.backOffServer(now);
    } else delete state.failedOnServer;
  }

  /** Grows the shared back-off once per window, not once per check that failed inside it. */
  private backOffServer(now: number): void {
    if (now < this.serverRetryAt) return;
    this.serverErrors += 1;
    this.serverRetryAt = now + backoffDelayMs(this.serverErrors, this.policy, this.jitter);
  }

  private endFlight(state: CheckWriteState): void {
    if (state.inFlight) this.writesInFlight -= 1;
    delete state.inFlight;
  }

  forget(check: string): void {
    const state = this.checks.get(check);
    if (state) this.endFlight(state);
    this.checks.delete(check);
  }

  /** Pending checks in the order a flush writes them: transitions first, then the oldest changes. */
  pendingInFlushOrder(): PendingCheck[] {
    const pending: PendingCheck[] = [];
    for (const [check, state] of this.checks) {
      const marks = state.dirty ?? state.inFlight;
      if (marks) pending.push({ check, transition: marks.transitionSince !== undefined, since: marks.since });
    }
    return pending.sort((a, b) => Number(b.transition) - Number(a.transition) || a.since - b.since);
  }

  pendingCount(): number {
    let pending = 0;
    for (const state of this.checks.values()) if (state.dirty || state.inFlight) pending += 1;
    return pending;
  }
}

function cleanState(status: CheckStatus): CheckWriteState {
  return {
    status,
    consecutiveErrors: 0,
    consecutiveConflicts: 0,
    mergeWithRemote: false,
    neverWritten: (status.conditions ?? []).length === 0,
  };
}

/** A check's first status that tells no failure: conditions appear, no outage, Reachable not False. */
function isFirstStatus(status: CheckStatus): boolean {
  if ((status.outages ?? []).length > 0) return false;
  return findCondition(status, REACHABLE)?.status !== 'False';
}

function addMarks(current: DirtyMarks | undefined, added: DirtyMarks): DirtyMarks {
  if (!current) return added;
  const transitionSince = earliest(current.transitionSince, added.transitionSince);
  const firstWriteAt = earliest(current.firstWriteAt, added.firstWriteAt);
  return {
    since: Math.min(current.since, added.since),
    ...(transitionSince !== undefined && { transitionSince }),
    ...(transitionSince === undefined && firstWriteAt !== undefined && { firstWriteAt }),
  };
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/**
 * Merges our status with one another writer stored meanwhile, losing neither side's probes: log entries are a
 * union (deduplicated by time, success, reason and message), outages are matched by start (a closed copy beats an
 * open one, as closing is the later fact; otherwise ours), and each condition type keeps the copy with the newer
 * lastTransitionTime (ours on a tie). Lists stay newest first and capped.
 */
export function mergeForWrite(
  local: CheckStatus,
  remote: CheckStatus | undefined,
  caps: Pick<StatusPolicy, 'maxEntries' | 'maxOutages'> = DEFAULT_STATUS_POLICY,
): CheckStatus {
  if (!remote) return inFieldOrder(local);
  return inFieldOrder(
    withoutObsoleteStale({
      ...mergedList('conditions', mergeConditions(local.conditions, remote.conditions)),
      ...mergedList('successes', unionNewestFirst(local.successes ?? [], remote.successes ?? [], caps.maxEntries)),
      ...mergedList('failures', unionNewestFirst(local.failures ?? [], remote.failures ?? [], caps.maxEntries)),
      ...mergedList('outages', mergeOutages(local.outages ?? [], remote.outages ?? [], caps.maxOutages)),
    }),
  );
}

/**
 * A Stale mark (set by the sweep, so only ever remote) is obsolete once a probe newer than the mark is recorded:
 * the source that probes again clears it with its next write rather than leaving it until the next sweep.
 */
function withoutObsoleteStale(status: CheckStatus): CheckStatus {
  const stale = findCondition(status, STALE);
  const lastProbe = lastProbeTime(status);
  if (!stale || !lastProbe || lastProbe.getTime() <= timeMs(stale.lastTransitionTime)) return status;
  return { ...status, conditions: status.conditions!.filter((condition) => condition !== stale) };
}

/** Leaves a list out rather than writing an empty one neither side had. */
function mergedList<K extends keyof CheckStatus>(key: K, list: NonNullable<CheckStatus[K]>): Partial<CheckStatus> {
  return list.length > 0 ? { [key]: list } : {};
}

function mergeConditions(local: readonly Condition[] = [], remote: readonly Condition[] = []): Condition[] {
  const merged = local.map((ours) => {
    const theirs = remote.find((condition) => condition.type === ours.type);
    return theirs && timeMs(theirs.lastTransitionTime) > timeMs(ours.lastTransitionTime) ? theirs : ours;
  });
  const remoteOnly = remote.filter((theirs) => !local.some((ours) => ours.type === theirs.type));
  return [...merged, ...remoteOnly];
}

function mergeOutages(local: readonly Outage[], remote: readonly Outage[], max: number): Outage[] {
  const byStart = new Map<string, Outage>();
  for (const ours of local) byStart.set(outageKey(ours), ours);
  for (const theirs of remote) {
    const ours = byStart.get(outageKey(theirs));
    if (!ours || (!ours.end && theirs.end)) byStart.set(outageKey(theirs), theirs);
  }
  return [...byStart.values()].sort((a, b) => timeMs(b.start) - timeMs(a.start)).slice(0, max);
}

function outageKey(outage: Outage): string {
  return String(timeMs(outage.start));
}

export interface StatusPatch {
  metadata?: { resourceVersion: string };
  status: Required<CheckStatus>;
}

/**
 * The JSON merge-patch body for the status subresource. Merge-patch replaces arrays, so every list is sent whole,
 * and empty lists are sent as [] so that the stored status becomes exactly ours. With `resourceVersion` the API
 * server rejects the patch with 409 when the object changed since we read it: optimistic concurrency for merges.
 */
export function statusPatch(status: CheckStatus, resourceVersion?: string): StatusPatch {
  return {
    ...(resourceVersion !== undefined && { metadata: { resourceVersion } }),
    status: {
      conditions: status.conditions ?? [],
      successes: status.successes ?? [],
      failures: status.failures ?? [],
      outages: status.outages ?? [],
    },
  };
}
