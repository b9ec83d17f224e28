// The probe scheduler on a fake clock: when each check is probed, how many at once, and what a failing probe does.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProbeScheduler } from '../../src/runtime/source/scheduler.js';
import { FakeClock } from './support/fake-clock.js';

/** A probe that records when it ran (fake time) and finishes when the test says, or at once. */
function probe(clock: FakeClock, intervalMs: number, options: { hold?: boolean; throws?: boolean } = {}) {
  const runs: number[] = [];
  const pending: (() => void)[] = [];
  let running = 0;
  let maxRunning = 0;
  return {
    runs,
    release: () => pending.splice(0).forEach((finish) => finish()),
    get maxRunning() {
      return maxRunning;
    },
    check: {
      intervalMs,
      run: async () => {
        runs.push(clock.now());
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        try {
          if (options.hold) await new Promise<void>((resolve) => pending.push(resolve));
          if (options.throws) throw new Error('probe bug');
        } finally {
          running -= 1;
        }
      },
    },
  };
}

describe('ProbeScheduler on a fake clock', () => {
  test('each check runs once per interval, varied by at most ±5%, the first within its first interval', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const randoms = [0.5, 0, 1, 0.5];
    const scheduler = new ProbeScheduler({ concurrency: 4, clock, random: () => randoms.shift() ?? 0.5 });
    const a = probe(clock, 10_000);
    scheduler.upsert('a', a.check);
    await clock.advance(40_000);
    // First at 0.5 x 10 s; then periods of 10 s x (1 + 0.1 x (r - 0.5)): 9.5 s, 10.5 s, 10 s.
    assert.deepEqual(
      a.runs.map((at) => at - start),
      [5_000, 14_500, 25_000, 35_000],
    );
    await scheduler.stop();
  });

  test('a check with a long interval still gets its first probe within a minute', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const scheduler = new ProbeScheduler({ concurrency: 4, clock, random: () => 0.999 });
    const a = probe(clock, 3_600_000);
    scheduler.upsert('a', a.check);
    await clock.advance(60_000);
    assert.equal(a.runs.length, 1);
    assert.ok(a.runs[0]! - start <= 60_000);
    await scheduler.stop();
  });

  test('at most `concurrency` probes run at once; the others wait their turn and none is dropped', async () => {
    const clock = new FakeClock();
    const scheduler = new ProbeScheduler({ concurrency: 2, clock, random: () => 0 });
    const shared = probe(clock, 10_000, { hold: true });
    for (const name of ['a', 'b', 'c', 'd', 'e']) scheduler.upsert(name, shared.check);
    await clock.advance(0);
    assert.equal(shared.runs.length, 2);
    for (let round = 0; round < 3; round++) {
      shared.release();
      await clock.advance(0);
    }
    assert.equal(shared.runs.length, 5, 'every check ran');
    assert.equal(shared.maxRunning, 2);
    shared.release();
    await scheduler.stop();
  });

  test('a probe that throws is reported, and its check stays on its schedule', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const errors: string[] = [];
    const scheduler = new ProbeScheduler({
      concurrency: 1,
      clock,
      random: () => 0.5,
      onError: (check, error) => errors.push(`${check}: ${(error as Error).message}`),
    });
    const a = probe(clock, 1_000, { throws: true });
    scheduler.upsert('a', a.check);
    await clock.advance(3_000);
    assert.deepEqual(
      a.runs.map((at) => at - start),
      [500, 1_500, 2_500],
    );
    assert.deepEqual(errors, ['a: probe bug', 'a: probe bug', 'a: probe bug']);
    await scheduler.stop();
  });

  test('probeIn brings the next probe forward; asked during a probe, it counts from the probe’s end', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const scheduler = new ProbeScheduler({ concurrency: 1, clock, random: () => 0.5 });
    const a = probe(clock, 60_000, { hold: true });
    scheduler.upsert('a', a.check);
    await clock.advance(30_000);
    assert.equal(a.runs.length, 1);
    scheduler.probeIn('a', 5_000);
    await clock.advance(1_000);
    a.release();
    await clock.advance(5_000);
    assert.deepEqual(
      a.runs.map((at) => at - start),
      [30_000, 36_000],
    );
    a.release();
    await scheduler.stop();
  });

  test('stop waits for the probes in flight and schedules nothing after', async () => {
    const clock = new FakeClock();
    const scheduler = new ProbeScheduler({ concurrency: 1, clock, random: () => 0 });
    const a = probe(clock, 1_000, { hold: true });
    scheduler.upsert('a', a.check);
    await clock.advance(0);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await clock.advance(0);
    assert.equal(stopped, false, 'a probe is still running');
    a.release();
    await stopping;
    await clock.advance(10_000);
    assert.equal(a.runs.length, 1);
    assert.equal(clock.pendingTimers, 0);
  });
});
