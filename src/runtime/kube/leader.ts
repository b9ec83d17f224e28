/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews every retry period; a
 * standby retries every retry period, jittered by client-go's factor 1.2 so standbys do not retry in step, and takes
 * the Lease once it has not changed for the lease duration (measured on the standby's own clock from when it saw the
 * record change, so clock skew between nodes cannot hand the lease over early). The durations are checked as
 * client-go's NewLeaderElector checks them (see leader-timing.ts). A leader that sees another holder steps down at
 * once.
 *
 * One deliberate difference, on by default (`stayThroughApiOutage`, `--leader-stay-through-api-outage`): a leader
 * keeps leading while it cannot renew because the API server fails (unreachable, restarting, refusing it). Every
 * replica runs as the same ServiceAccount through the same API server, so none can take the Lease then either, and a
 * prober that stopped would miss what a control-plane outage does to the network. After a partition that cut off only
 * the leader, two replicas probe until the old leader sees the new holder; their results still count, as status
 * writes merge with what is stored. Turned off, a leader that could not renew within the renew deadline steps down,
 * as client-go's does: at most one replica probes, and none during an API outage.
 */
import { KubeApiError, type KubeClient } from './client.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { LEADER_JITTER_FACTOR, leaderTimingProblem, type LeaderTiming } from './leader-timing.js';
import { paths, type Lease } from './resources.js';
import { formatMicroTime } from '../status/time.js';

export interface LeaderElectionOptions extends LeaderTiming {
  namespace: string;
  name: string;
  identity: string;
  /** Keep leading while the API server fails renewals, instead of stepping down after the renew deadline. */
  stayThroughApiOutage: boolean;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  /** Each round that reached the API server (the Lease was read or written), leading or not. */
  onApiServerAnswered?(): void;
  onError?(error: unknown): void;
  /** @default the system clock */
  clock?: Clock;
  /** @default Math.random */
  random?: () => number;
}

/** What one round saw: the Lease is ours now, another replica holds it, or it changed under us (409). */
type Round = 'held' | 'other' | 'conflict';

export class LeaderElector {
  private leading = false;
  /** The lease record as this replica last saw it change, on its own clock (client-go's observedTime). */
  private observed?: { resourceVersion: string | undefined; at: number };
  /** When this replica last wrote the Lease as its holder, on its clock. */
  private renewedAt = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Each request may take half the renew deadline, so a read and a write fit in it. */
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
  ) {
    const problem = leaderTimingProblem(options);
    if (problem) throw new Error(`leader election: ${problem}`);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.requestTimeoutMs = Math.max(1_000, options.renewDeadlineMs / 2);
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async run(signal: AbortSignal): Promise<void> {
    const { retryPeriodMs } = this.options;
    while (!signal.aborted) {
      try {
        const round = await this.tryAcquireOrRenew();
        this.options.onApiServerAnswered?.();
        if (round === 'held') this.renewedAt = this.clock.now();
        if (round === 'other') this.setLeading(false);
        else if (round === 'held') this.setLeading(true);
        else this.checkRenewDeadline();
      } catch (error) {
        // A record not seen through the error may have been renewed by a holder this replica could not see: watch
        // it for a full duration again before taking over.
        this.observed = undefined;
        this.options.onError?.(error);
        if (!this.options.stayThroughApiOutage) this.checkRenewDeadline();
      }
      // client-go's wait.JitterUntil: a standby waits retryPeriod x (1 + 1.2 x random); the leader renews on time.
      const wait = this.leading ? retryPeriodMs : retryPeriodMs * (1 + LEADER_JITTER_FACTOR * this.random());
      await sleep(wait, signal, this.clock);
    }
    if (this.leading) await this.release().catch(() => undefined);
    this.setLeading(false);
  }

  /** A leader that has not renewed within the renew deadline steps down. */
  private checkRenewDeadline(): void {
    if (this.leading && this.clock.now() - this.renewedAt >= this.options.renewDeadlineMs) this.setLeading(false);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<Round> {
    const { namespace, name, identity, leaseDurationMs } = this.options;
    const timeoutMs = this.requestTimeoutMs;
    // The API server keeps whole seconds.
    const leaseDurationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1000));
    const now = formatMicroTime(new Date(this.clock.now()));
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(paths.lease(namespace, name), { timeoutMs });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isNotFound)) throw error;
      await this.client.request('POST', paths.leases(namespace), {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
        timeoutMs,
      });
      return 'held';
    }
    const spec = lease.spec;
    const nowMs = this.clock.now();
    const seen =
      this.observed && this.observed.resourceVersion === lease.metadata.resourceVersion
        ? this.observed
        : { resourceVersion: lease.metadata.resourceVersion, at: nowMs };
    this.observed = seen;
    // Measured from when this replica saw the record change, not from the holder's renewTime: clock skew between
    // nodes cannot hand the lease over early.
    const expired = nowMs > seen.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    const mine = spec.holderIdentity === identity;
    if (!mine && !expired && spec.holderIdentity) return 'other';
    const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    try {
      await this.client.request('PUT', paths.lease(namespace, name), {
        body: {
          ...lease,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds,
            acquireTime: mine ? spec.acquireTime : now,
            renewTime: now,
            leaseTransitions: transitions,
          },
        },
        timeoutMs,
      });
      return 'held';
    } catch (error) {
      if (error instanceof KubeApiError && error.isConflict) return 'conflict';
      throw error;
    }
  }

  private async release(): Promise<void> {
    const { namespace, name, identity } = this.options;
    const lease = await this.client.get<Lease>(paths.lease(namespace, name), { timeoutMs: 2_000 });
    if (lease.spec.holderIdentity !== identity) return;
    await this.client.request('PUT', paths.lease(namespace, name), {
      body: { ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } },
      timeoutMs: 2_000,
    });
  }
}
