/**
 * Events on checks (outage detected / restored), rate-limited with a token bucket per recorder so a flapping
 * network cannot flood the API server: a burst of 25, then one every 10 s.
 */
import { API_VERSION, KIND } from '../../api/check.js';
import type { KubeClient } from './client.js';
import { paths, type ObjectMeta } from './resources.js';

export interface EventRecorderOptions {
  component: string;
  instance: string;
  burst?: number;
  refillMs?: number;
  now?: () => Date;
}

export class EventRecorder {
  private tokens: number;
  private lastRefill: number;
  private dropped = 0;

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

  /** Records an event on a check; returns false when rate-limited. API errors are reported, never thrown. */
  async record(check: ObjectMeta, type: 'Normal' | 'Warning', reason: string, message: string): Promise<boolean> {
    if (!this.take()) {
      this.dropped++;
      return false;
    }
    const now = this.now().toISOString();
    const namespace = check.namespace!;
    await this.client.request('POST', paths.events(namespace), {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { generateName: `${check.name.slice(0, 200)}.`, namespace },
        involvedObject: { apiVersion: API_VERSION, kind: KIND, name: check.name, namespace, uid: check.uid, resourceVersion: check.resourceVersion },
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
      timeoutMs: 10_000,
    });
    return true;
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
