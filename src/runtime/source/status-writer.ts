/**
 * Sends status updates when the write policy says they are due: a JSON merge patch of /status, merged with the
 * stored status and guarded by its resourceVersion, so another writer's entries are never lost.
 */
import type { CheckStatus } from '../../api/check.js';
import { isServerUnavailable, KubeApiError, type KubeClient } from '../kube/client.js';
import { systemClock, type Clock, type ClockTimer } from '../kube/clock.js';
import { paths, type CheckObject } from '../kube/resources.js';
import type { StatusPolicy } from '../status/reducer.js';
import {
  mergeForWrite,
  statusPatch,
  WriteScheduler,
  type WriteErrorKind,
  type WriteJob,
} from '../status/write-policy.js';

export interface StatusWriterOptions {
  namespace: string;
  scheduler: WriteScheduler;
  /** The stored object as last seen by the watch (no request needed in the common case). */
  cached(name: string): CheckObject | undefined;
  /** The history caps of a check, for merging with the stored status. @default the runtime's defaults */
  caps?(name: string): Pick<StatusPolicy, 'maxEntries' | 'maxOutages'>;
  /** Called with the merged status after a write, so probing continues from what is stored. */
  onWritten(name: string, status: CheckStatus): void;
  onError?(name: string, error: unknown): void;
  /** Every write's outcome, for metrics. */
  onResult?(result: 'success' | 'conflict' | 'error'): void;
  /** @default the clock's */
  now?: () => number;
  /** Timers (and the time, unless `now` is given). @default the system clock */
  clock?: Clock;
  /** Writes in flight at once. @default 4 */
  concurrency?: number;
}

export class StatusWriter {
  private timer?: ClockTimer;
  private inFlight = 0;
  private stopped = false;
  private readonly now: () => number;
  private readonly clock: Clock;
  readonly stats = { writes: 0, conflicts: 0, errors: 0 };

  constructor(
    private readonly client: KubeClient,
    private readonly options: StatusWriterOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.now = options.now ?? (() => this.clock.now());
  }

  /** Looks for due writes now and whenever the earliest pending one falls due. */
  kick(): void {
    if (this.stopped) return;
    // Every slot busy: a scan could start nothing, and each finishing write kicks again. A scan visits every check, so
    // at 10,000 checks one per probe result kept a core busy and wrote a new deployment's first statuses at 3 a
    // second instead of 50.
    if (this.inFlight >= (this.options.concurrency ?? 4)) return;
    this.clock.clearTimeout(this.timer);
    const now = this.now();
    for (const name of this.options.scheduler.dueChecks(now)) {
      if (this.inFlight >= (this.options.concurrency ?? 4)) break;
      const job = this.options.scheduler.beginWrite(name, now);
      if (job) void this.write(name, job);
    }
    const next = this.options.scheduler.nextDueAt();
    const delay = next === undefined ? 1_000 : Math.min(Math.max(next - this.now(), 50), 1_000);
    this.timer = this.clock.setTimeout(() => this.kick(), delay);
    this.timer.unref?.();
  }

  /**
   * Writes everything pending, due or not (on SIGTERM or when losing leadership), until done or the deadline:
   * transitions first, then the oldest changes, at most the policy's flushConcurrency at once, and started evenly
   * over its flushSpreadShare of the deadline rather than all in the same instant. Returns the checks left unwritten.
   */
  async flush(deadlineMs: number): Promise<number> {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    const { scheduler } = this.options;
    const { flushConcurrency, flushSpreadShare } = scheduler.policy;
    const start = this.now();
    const deadline = start + deadlineMs;
    const first = scheduler.pendingCount();
    const gapMs = first > 0 ? (deadlineMs * flushSpreadShare) / first : 0;
    const running = new Set<Promise<void>>();
    let launched = 0;
    // One pass over the pending checks in flush order, sorted once per pass (not once per write: 10,000 pending
    // checks made that 10,000 sorts); checks that failed or were held back come again in the next pass.
    let order: { check: string }[] = [];
    let next = 0;
    while (this.now() < deadline) {
      if (next >= order.length) {
        order = scheduler.pendingInFlushOrder();
        next = 0;
        if (order.length === 0) return 0;
      }
      for (; next < order.length; next++) {
        if (running.size >= Math.max(flushConcurrency, 1) || this.now() < start + launched * gapMs) break;
        const { check } = order[next]!;
        const job = scheduler.beginWrite(check, this.now());
        if (!job) continue;
        launched++;
        const writing: Promise<void> = this.write(check, job).finally(() => running.delete(writing));
        running.add(writing);
      }
      // Until the next slot, a write ends, or (writes held back by a failing API server) a short pause.
      const waitMs = Math.min(Math.max(start + launched * gapMs - this.now(), 1), 100, deadline - this.now());
      let timer: ClockTimer | undefined;
      await Promise.race([
        ...running,
        new Promise<void>((resolve) => (timer = this.clock.setTimeout(resolve, Math.max(waitMs, 0)))),
      ]);
      this.clock.clearTimeout(timer);
    }
    return scheduler.pendingCount();
  }

  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
  }

  private async write(name: string, job: WriteJob): Promise<void> {
    this.inFlight++;
    const { scheduler, namespace } = this.options;
    try {
      let remote = this.options.cached(name);
      if (job.mergeWithRemote || !remote)
        remote = await this.client.get<CheckObject>(paths.check(namespace, name), { timeoutMs: 10_000 });
      const merged = mergeForWrite(job.status, remote.status, this.options.caps?.(name));
      await this.client.mergePatch(
        paths.checkStatus(namespace, name),
        statusPatch(merged, remote.metadata.resourceVersion),
        { timeoutMs: 10_000 },
      );
      scheduler.writeSucceeded(name, this.now());
      this.stats.writes++;
      this.options.onResult?.('success');
      this.options.onWritten(name, merged);
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound) scheduler.forget(name);
      else {
        const kind = classify(error);
        if (kind === 'conflict') this.stats.conflicts++;
        else this.stats.errors++;
        this.options.onResult?.(kind === 'conflict' ? 'conflict' : 'error');
        scheduler.writeFailed(name, this.now(), kind);
        this.options.onError?.(name, error);
      }
    } finally {
      this.inFlight--;
      if (!this.stopped) setImmediate(() => this.kick());
    }
  }
}

function classify(error: unknown): WriteErrorKind {
  if (error instanceof KubeApiError && error.isConflict) return 'conflict';
  return isServerUnavailable(error) ? 'server' : 'check';
}
