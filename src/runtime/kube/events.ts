/**
 * Events on checks (outage detected / restored), rate-limited with a token bucket per recorder so a flapping
 * network cannot flood the API server: a burst of 25, then one every 10 s. Events the API server could not take
 * (unreachable, 5xx, 429) wait in a small queue, newest kept, and go out in order when it answers again.
 */
import { API_VERSION, KIND } from '../../api/constants.js';
import { isServerUnavailable, type KubeClient } from './client.js';
import { paths, type ObjectMeta } from './resources.js';

/** Events kept while the API server is away; older ones are dropped first. */
const MAX_PENDING = 50;

export interface EventRecorderOptions {
  component: string;
  instance: string;
  burst?: number;
  refillMs?: number;
  /** Events kept while the API server is unreachable. @default 50 */
  maxPending?: number;
  now?: () => Date;
}

export class EventRecorder {
  private tokens: number;
  private lastRefill: number;
  private dropped = 0;
  private readonly pending: Array<{ namespace: string; body: object }> = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventRecorderOptions,
  ) {
    this.tokens = options.burst ?? 25;
    this.lastRefill = this.now().getTime();
  }

  get droppedEvents(): number {
    return this.dropped;
  }

  /** Events waiting for the API server to answer again. */
  get pendingEvents(): number {
    return this.pending.length;
  }

  /**
   * Records an event on a check; returns false when rate-limited. When the API server cannot take it, the event is
   * kept for sendPending() and the error is thrown for the caller to log; an event it rejects is not kept.
   */
  async record(check: ObjectMeta, type: 'Normal' | 'Warning', reason: string, message: string): Promise<boolean> {
    if (!this.take()) {
      this.dropped++;
      return false;
    }
    const now = this.now().toISOString();
    const namespace = check.namespace!;
    const event = {
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${check.name.slice(0, 200)}.`, namespace },
        involvedObject: {
          apiVersion: API_VERSION,
          kind: KIND,
          name: check.name,
          namespace,
          uid: check.uid,
          resourceVersion: check.resourceVersion,
        },
        type,
        reason,
        message,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        source: { component: this.options.component },
        reportingComponent: `p2pnc.io/${this.options.component}`,
        reportingInstance: this.options.instance,
      },
    };
    // Behind events already waiting, so they keep their order.
    if (this.pending.length > 0) {
      this.keep(event);
      return true;
    }
    try {
      await this.post(event);
    } catch (error) {
      if (isServerUnavailable(error)) this.keep(event);
      throw error;
    }
    return true;
  }

  /** Sends the events kept during an API outage, oldest first, until one fails. */
  sendPending(): Promise<void> {
    this.flushing ??= (async () => {
      try {
        while (this.pending.length > 0) {
          await this.post(this.pending[0]!);
          this.pending.shift();
        }
      } catch {
        // Still unavailable: the next call tries again.
      } finally {
        this.flushing = undefined;
      }
    })();
    return this.flushing;
  }

  private keep(event: { namespace: string; body: object }): void {
    this.pending.push(event);
    const max = this.options.maxPending ?? MAX_PENDING;
    while (this.pending.length > max) {
      this.pending.shift();
      this.dropped++;
    }
  }

  private async post(event: { namespace: string; body: object }): Promise<void> {
    await this.client.request('POST', paths.events(event.namespace), { body: event.body, timeoutMs: 10_000 });
  }

  private take(): boolean {
    const burst = this.options.burst ?? 25;
    const refillMs = this.options.refillMs ?? 10_000;
    const now = this.now().getTime();
    const earned = Math.floor((now - this.lastRefill) / refillMs);
    if (earned > 0) {
      this.tokens = Math.min(burst, this.tokens + earned);
      this.lastRefill += earned * refillMs;
    }
    if (this.tokens <= 0) return false;
    this.tokens--;
    return true;
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }
}
