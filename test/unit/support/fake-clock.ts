/** A clock the test moves: timers fire in time order as `advance` passes them, and nothing waits for real time. */
import type { Clock, ClockTimer } from '../../../src/runtime/kube/clock.js';

interface FakeTimer extends ClockTimer {
  at: number;
  seq: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: FakeTimer[] = [];
  /** Every delay asked of setTimeout, in order. */
  readonly requested: number[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    this.requested.push(ms);
    const timer: FakeTimer = { at: this.time + Math.max(0, ms), seq: this.seq++, callback, unref: () => timer };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    this.timers = this.timers.filter((pending) => pending !== timer);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /**
   * Moves time forward by `ms`, firing each timer that falls due at its own time, and lets the work each one starts
   * settle before the next: promises and immediate callbacks, or whatever `settled` waits for (real I/O).
   */
  async advance(ms: number, settled: () => Promise<void> = settle): Promise<void> {
    const end = this.time + ms;
    await settled();
    for (;;) {
      const next = this.timers.filter((timer) => timer.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((timer) => timer !== next);
      this.time = Math.max(this.time, next.at);
      next.callback();
      await settled();
    }
    this.time = end;
    await settled();
  }
}

/** Lets pending promise chains and immediate callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Polls `condition` in real time (the I/O the fake clock does not drive) until it holds, or fails after `timeoutMs`. */
export async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
