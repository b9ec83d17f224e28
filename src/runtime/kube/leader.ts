/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it: the holder renews every renewMs; others
 * take over once the lease is older than its duration. Defaults fail over within ~20 s of a leader's death.
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
  onError?(error: unknown): void;
  now?: () => Date;
}

export class LeaderElector {
  private leading = false;
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
    let lastRenew = 0;
    while (!signal.aborted) {
      try {
        const held = await this.tryAcquireOrRenew();
        if (held) lastRenew = Date.now();
        this.setLeading(held);
      } catch (error) {
        this.options.onError?.(error);
        // A leader that cannot renew steps down before anyone else may take over.
        if (this.leading && Date.now() - lastRenew > this.leaseDurationMs - this.renewMs) this.setLeading(false);
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
    const now = this.now().toISOString().replace(/(\.\d{3})Z$/, '$1000Z');
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
          spec: { holderIdentity: identity, leaseDurationSeconds: this.leaseDurationMs / 1000, acquireTime: now, renewTime: now, leaseTransitions: 0 },
        },
        timeoutMs: this.renewMs,
      });
      return true;
    }
    const spec = lease.spec;
    const renewedAt = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = this.now().getTime() > renewedAt + (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
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
