/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews every renewMs; others
 * take over once the lease is older than its duration. Defaults fail over within ~20 s of a leader's death.
 *
 * Unlike client-go, a leader keeps leading while it cannot renew (API server unreachable, restarting, or refusing
 * it): every replica runs as the same ServiceAccount through the same API server, so none can take the lease then
 * either, and a prober that stopped would miss what a control-plane outage does to the network. It steps down
 * when it sees another holder; after a partition that cut off only the leader, its results from meanwhile still
 * count, as status writes merge with what is stored.
 */
import { KubeApiError, type KubeClient } from './client.js';
import { sleep } from './informer.js';
import { paths, type Lease } from './resources.js';

export interface LeaderElectionOptions {
  namespace: string;
  name: string;
  identity: string;
  /** @default 15_000 */
  leaseDurationMs?: number;
  /** @default 5_000 */
  renewMs?: number;
  onStartedLeading(): void;
  onStoppedLeading(): void;
  /** Each round that reached the API server (the Lease was read or written), leading or not. */
  onApiServerAnswered?(): void;
  onError?(error: unknown): void;
  now?: () => Date;
}

export class LeaderElector {
  private leading = false;
  /** The lease record as this replica last saw it change, on its own clock (client-go's observedTime). */
  private observed?: { resourceVersion: string | undefined; at: number };
  private readonly leaseDurationMs: number;
  private readonly renewMs: number;
  private readonly now: () => Date;

  constructor(
    private readonly client: KubeClient,
    private readonly options: LeaderElectionOptions,
  ) {
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewMs = options.renewMs ?? 5_000;
    this.now = options.now ?? (() => new Date());
  }

  get isLeader(): boolean {
    return this.leading;
  }

  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        this.setLeading(await this.tryAcquireOrRenew());
        this.options.onApiServerAnswered?.();
      } catch (error) {
        // The role stays as it is: see the top of this file. A record not seen through the error may have been
        // renewed by a holder this replica could not see: watch it for a full duration again before taking over.
        this.observed = undefined;
        this.options.onError?.(error);
      }
      await sleep(this.leading ? this.renewMs : this.renewMs / 2, signal);
    }
    if (this.leading) await this.release().catch(() => undefined);
    this.setLeading(false);
  }

  private setLeading(leading: boolean): void {
    if (leading === this.leading) return;
    this.leading = leading;
    if (leading) this.options.onStartedLeading();
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = this.now()
      .toISOString()
      .replace(/(\.\d{3})Z$/, '$1000Z');
    let lease: Lease;
    try {
      lease = await this.client.get<Lease>(paths.lease(namespace, name), { timeoutMs: this.renewMs });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isNotFound)) throw error;
      await this.client.request('POST', paths.leases(namespace), {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: this.leaseDurationMs / 1000,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: 0,
          },
        },
        timeoutMs: this.renewMs,
      });
      return true;
    }
    const spec = lease.spec;
    const nowMs = this.now().getTime();
    const seen =
      this.observed && this.observed.resourceVersion === lease.metadata.resourceVersion
        ? this.observed
        : { resourceVersion: lease.metadata.resourceVersion, at: nowMs };
    this.observed = seen;
    // Measured from when this replica saw the record change, not from the holder's renewTime: clock skew between
    // nodes cannot hand the lease over early.
    const expired = nowMs > seen.at + (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    const mine = spec.holderIdentity === identity;
    if (!mine && !expired && spec.holderIdentity) return false;
    const transitions = (spec.leaseTransitions ?? 0) + (mine ? 0 : 1);
    try {
      await this.client.request('PUT', paths.lease(namespace, name), {
        body: {
          ...lease,
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: this.leaseDurationMs / 1000,
            acquireTime: mine ? spec.acquireTime : now,
            renewTime: now,
            leaseTransitions: transitions,
          },
        },
        timeoutMs: this.renewMs,
      });
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.isConflict) return false;
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
