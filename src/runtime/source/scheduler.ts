import { systemClock, type Clock, type ClockTimer } from '../kube/clock.js';

/**
 * Probes each check every interval, jittered so the waves of many checks never line up, with at most
 * `concurrency` probes in flight. A check can ask to be probed again sooner (confirming a first failure).
 */
export interface ScheduledCheck {
  intervalMs: number;
  /** Runs one probe; the scheduler only bounds how many run at once and when. */
  run(): Promise<void>;
}

export interface SchedulerOptions {
  concurrency: number;
  /** Fraction of the interval by which each period varies, e.g. 0.1 = ±5%. @default 0.1 */
  jitter?: number;
  random?: () => number;
  /** A run that threw (probes report failures as results, so this is a bug to see, not a network fault). */
  onError?: (check: string, error: unknown) => void;
  /** @default the system clock */
  clock?: Clock;
}

interface Entry {
  check: ScheduledCheck;
  timer?: ClockTimer;
  running: boolean;
  /** Set when a probe was asked for while one was running. */
  again?: number;
}

export class ProbeScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private inFlight = 0;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];
  private readonly random: () => number;
  private readonly clock: Clock;

  constructor(private readonly options: SchedulerOptions) {
    this.random = options.random ?? Math.random;
    this.clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Adds or replaces a check; a new check's first probe lands at a random point of its first interval. */
  upsert(name: string, check: ScheduledCheck): void {
    const existing = this.entries.get(name);
    if (existing) {
      const intervalChanged = existing.check.intervalMs !== check.intervalMs;
      existing.check = check;
      if (intervalChanged && !existing.running) this.arm(name, existing, this.random() * check.intervalMs);
      return;
    }
    const entry: Entry = { check, running: false };
    this.entries.set(name, entry);
    this.arm(name, entry, this.random() * Math.min(check.intervalMs, 60_000));
  }

  remove(name: string): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.clock.clearTimeout(entry.timer);
    this.entries.delete(name);
  }

  /** Probe `name` again after `delayMs` (at most its interval) instead of its regular period (e.g. to confirm a failure). */
  probeIn(name: string, delayMs: number): void {
    const entry = this.entries.get(name);
    if (!entry) return;
    // Sooner, never later: a check probed more often than the retry keeps its own pace.
    const delay = Math.min(delayMs, entry.check.intervalMs);
    if (entry.running) entry.again = delay;
    else this.arm(name, entry, delay);
  }

  /** Stops scheduling; resolves once the probes in flight have finished and reported. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) this.clock.clearTimeout(entry.timer);
    this.queue.length = 0;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private arm(name: string, entry: Entry, delayMs: number): void {
    this.clock.clearTimeout(entry.timer);
    if (this.stopped) return;
    entry.timer = this.clock.setTimeout(() => this.enqueue(name), Math.max(0, delayMs));
    entry.timer.unref?.();
  }

  private enqueue(name: string): void {
    if (this.stopped || !this.entries.has(name)) return;
    this.queue.push(name);
    this.pump();
  }

  private pump(): void {
    while (!this.stopped && this.inFlight < this.options.concurrency && this.queue.length > 0) {
      const name = this.queue.shift()!;
      const entry = this.entries.get(name);
      if (!entry || entry.running) continue;
      this.start(name, entry);
    }
  }

  private start(name: string, entry: Entry): void {
    entry.running = true;
    this.inFlight++;
    entry.check
      .run()
      .catch((error: unknown) => this.options.onError?.(name, error))
      .finally(() => {
        entry.running = false;
        this.inFlight--;
        if (this.entries.get(name) === entry) {
          const next = entry.again ?? this.period(entry.check.intervalMs);
          entry.again = undefined;
          this.arm(name, entry, next);
        }
        if (this.inFlight === 0 && this.stopped) for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.pump();
      });
  }

  private period(intervalMs: number): number {
    const jitter = this.options.jitter ?? 0.1;
    return intervalMs * (1 + jitter * (this.random() - 0.5));
  }
}
