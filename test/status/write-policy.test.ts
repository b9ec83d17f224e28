import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CheckStatus, Condition, LogEntry, Outage } from '../../src/api/check.js';
import { markStale, record } from '../../src/runtime/status/reducer.js';
import {
  backoffDelayMs,
  classifyChange,
  DEFAULT_WRITE_POLICY,
  equalJitter,
  mergeForWrite,
  statusPatch,
  writePolicy,
  WriteScheduler,
  type ChangeKind,
  type Jitter,
  type WriteErrorKind,
  type WritePolicy,
} from '../../src/runtime/status/write-policy.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { assertValidStatus, at, clock, clockAfter, clocks, clockSeries, ok, refused, rfc, timeout } from './helpers.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const T0 = at('20:00:00').getTime();
const CHECK = 'web';

const statusAfter = (results: ProbeResult[]): CheckStatus | undefined =>
  results.reduce<CheckStatus | undefined>((status, result) => record(status, result).status, undefined);

describe('classifyChange', () => {
  const table: Array<{
    name: string;
    before: ProbeResult[];
    next: ProbeResult | ((status: CheckStatus) => CheckStatus);
    kind: ChangeKind;
  }> = [
    { name: 'the first result (Reachable appears)', before: [], next: ok('20:00:00'), kind: 'transition' },
    { name: 'another success', before: [ok('20:00:00')], next: ok('20:01:00'), kind: 'steady' },
    { name: 'an unconfirmed failure', before: [ok('20:00:00')], next: refused('20:01:00'), kind: 'steady' },
    {
      name: 'the confirming failure (outage opens, Reachable flips)',
      before: [ok('20:00:00'), refused('20:01:00')],
      next: refused('20:01:05'),
      kind: 'transition',
    },
    {
      name: 'the same failure again during an outage',
      before: [refused('20:00:00'), refused('20:00:05')],
      next: refused('20:01:00'),
      kind: 'steady',
    },
    {
      name: 'a new failure mode during an outage',
      before: [refused('20:00:00'), refused('20:00:05')],
      next: timeout('20:01:00'),
      kind: 'transition',
    },
    {
      name: 'a new failure mode once startLogs are full',
      before: [
        refused('20:00:00'),
        refused('20:00:05'),
        timeout('20:01:00'),
        refused('20:02:00'),
        timeout('20:03:00'),
        refused('20:04:00'),
      ],
      next: timeout('20:05:00'),
      kind: 'transition',
    },
    {
      name: 'the success that closes the outage',
      before: [refused('20:00:00'), refused('20:00:05')],
      next: ok('20:01:00'),
      kind: 'transition',
    },
    {
      name: 'Stale appears',
      before: [ok('20:00:00')],
      next: (status) => markStale(status, at('20:00:00'), at('21:00:00'), 10 * MINUTE),
      kind: 'transition',
    },
    { name: 'nothing changes', before: [ok('20:00:00')], next: (status) => structuredClone(status), kind: 'none' },
  ];
  for (const { name, before, next, kind } of table) {
    test(`${name} -> ${kind}`, () => {
      const previous = statusAfter(before);
      const after = typeof next === 'function' ? next(previous!) : record(previous, next).status;
      assert.equal(classifyChange(previous, after), kind);
    });
  }
});

/** Statuses that differ from the previous one by a steady change (one more success) or a transition (a flip). */
function statusChanges(kinds: Array<'steady' | 'transition'>): CheckStatus[] {
  let reachable: Condition = {
    type: 'Reachable',
    status: 'True',
    reason: 'TCPConnectSuccess',
    message: 'm',
    lastTransitionTime: rfc('19:00:00'),
  };
  const successes: LogEntry[] = [];
  return kinds.map((kind, index) => {
    if (kind === 'transition') reachable = { ...reachable, status: reachable.status === 'True' ? 'False' : 'True' };
    else successes.unshift({ time: new Date(T0 + index * SECOND).toISOString(), success: true });
    return { conditions: [reachable], successes: [...successes] };
  });
}

const BASELINE: CheckStatus = {
  conditions: [
    {
      type: 'Reachable',
      status: 'True',
      reason: 'TCPConnectSuccess',
      message: 'm',
      lastTransitionTime: rfc('19:00:00'),
    },
  ],
};

describe('WriteScheduler.dueAt', () => {
  const table: Array<{
    name: string;
    lastWriteAt?: number;
    changes: Array<[number, 'steady' | 'transition']>;
    policy?: Partial<WritePolicy>;
    due: number | undefined;
  }> = [
    { name: 'nothing pending', lastWriteAt: T0, changes: [], due: undefined },
    {
      name: 'a steady change, never written: a full interval after it',
      changes: [[T0, 'steady']],
      due: T0 + 10 * MINUTE,
    },
    {
      name: 'a steady change 2 min after a write: 10 min after the write',
      lastWriteAt: T0,
      changes: [[T0 + 2 * MINUTE, 'steady']],
      due: T0 + 10 * MINUTE,
    },
    {
      name: 'a steady change 20 min after a write: at once',
      lastWriteAt: T0,
      changes: [[T0 + 20 * MINUTE, 'steady']],
      due: T0 + 20 * MINUTE,
    },
    {
      name: 'a transition right after a write: within 1 s',
      lastWriteAt: T0,
      changes: [[T0 + 1 * SECOND, 'transition']],
      due: T0 + 2 * SECOND,
    },
    {
      name: 'a transition after steady changes takes them along',
      lastWriteAt: T0,
      changes: [
        [T0 + MINUTE, 'steady'],
        [T0 + 2 * MINUTE, 'transition'],
      ],
      due: T0 + 2 * MINUTE + SECOND,
    },
    {
      name: 'changes within the coalescing window share the write',
      lastWriteAt: T0,
      changes: [
        [T0 + MINUTE, 'transition'],
        [T0 + MINUTE + 500, 'transition'],
        [T0 + MINUTE + 900, 'steady'],
      ],
      due: T0 + MINUTE + SECOND,
    },
    {
      name: 'a shorter steady interval',
      lastWriteAt: T0,
      policy: { steadyIntervalMs: MINUTE },
      changes: [[T0 + 10 * SECOND, 'steady']],
      due: T0 + MINUTE,
    },
    {
      name: 'coalescing never exceeds the transition delay',
      lastWriteAt: T0,
      policy: { coalesceMs: 30 * SECOND },
      changes: [[T0 + MINUTE, 'transition']],
      due: T0 + MINUTE + 5 * SECOND,
    },
  ];
  for (const { name, lastWriteAt, changes, policy, due } of table) {
    test(name, () => {
      const scheduler = new WriteScheduler(writePolicy(policy));
      scheduler.adopt(CHECK, BASELINE, lastWriteAt);
      const statuses = statusChanges(changes.map(([, kind]) => kind));
      changes.forEach(([time, kind], index) => assert.equal(scheduler.update(CHECK, statuses[index]!, time), kind));
      assert.equal(scheduler.dueAt(CHECK), due);
    });
  }
});

interface WriteRecord {
  at: number;
  transitionSince?: number;
}

/**
 * Feeds results through the reducer into a scheduler and performs every write when due (instantly, successfully),
 * like the runtime with a healthy API server.
 */
function drive(results: ProbeResult[], until: number): WriteRecord[] {
  const scheduler = new WriteScheduler();
  scheduler.adopt(CHECK, {}, T0);
  const writes: WriteRecord[] = [];
  const flushUntil = (time: number) => {
    for (let due = scheduler.dueAt(CHECK); due !== undefined && due <= time; due = scheduler.dueAt(CHECK)) {
      const job = scheduler.beginWrite(CHECK, due)!;
      writes.push({ at: due, ...(job.transitionSince !== undefined && { transitionSince: job.transitionSince }) });
      scheduler.writeSucceeded(CHECK, due);
    }
  };
  let status: CheckStatus | undefined;
  for (const result of results) {
    flushUntil(result.time.getTime());
    status = record(status, result).status;
    scheduler.update(CHECK, status, result.time.getTime());
  }
  flushUntil(until);
  return writes;
}

describe('WriteScheduler with the reducer', () => {
  const table: Array<{
    name: string;
    results: ProbeResult[];
    until: number;
    writesAt: string[];
    transitionsWritten?: number;
  }> = [
    {
      name: 'a healthy check writes once per 10 minutes',
      results: clockSeries('20:00:00', 61, 60).map((time) => ok(time)),
      until: T0 + 61 * MINUTE,
      writesAt: ['20:00:01', '20:10:01', '20:20:01', '20:30:01', '20:40:01', '20:50:01', '21:00:01'],
      // The first status of a never-written check goes out in a first-write slot, not as a transition.
      transitionsWritten: 0,
    },
    {
      name: 'a single dropped probe waits for the steady slot',
      results: [ok('20:00:00'), refused('20:03:00'), ok('20:03:05'), ok('20:04:00')],
      until: T0 + 20 * MINUTE,
      writesAt: ['20:00:01', '20:10:01'],
      transitionsWritten: 0,
    },
    {
      name: 'an outage is written 1 s after it is confirmed and 1 s after it ends',
      results: [
        ok('20:00:00'),
        refused('20:03:00'),
        refused('20:03:05'),
        refused('20:04:00'),
        ok('20:05:00'),
        ok('20:06:00'),
      ],
      until: T0 + 20 * MINUTE,
      writesAt: ['20:00:01', '20:03:06', '20:05:01', '20:15:01'],
      transitionsWritten: 2,
    },
  ];
  for (const { name, results, until, writesAt, transitionsWritten } of table) {
    test(name, () => {
      const writes = drive(results, until);
      assert.deepEqual(
        writes.map((write) => clockAfter('00:00:00', write.at - at('00:00:00').getTime())),
        writesAt,
      );
      if (transitionsWritten !== undefined)
        assert.equal(writes.filter((write) => write.transitionSince !== undefined).length, transitionsWritten);
      for (const write of writes)
        if (write.transitionSince !== undefined) assert.ok(write.at - write.transitionSince <= 5 * SECOND);
    });
  }
});

describe('backoffDelayMs', () => {
  const half: Jitter = (delayMs) => delayMs / 2;
  const overshoot: Jitter = (delayMs) => delayMs * 3;
  const table: Array<{ name: string; jitter?: Jitter; delays: number[] }> = [
    { name: 'doubles from 1 s and caps at 60 s', delays: [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000] },
    {
      name: 'jitter applies to the capped delay',
      jitter: half,
      delays: [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    },
    {
      name: 'jitter never exceeds the cap',
      jitter: overshoot,
      delays: [3000, 6000, 12000, 24000, 48000, 60000, 60000, 60000, 60000],
    },
  ];
  for (const { name, jitter, delays } of table) {
    test(name, () =>
      assert.deepEqual(
        delays.map((_, index) => backoffDelayMs(index + 1, DEFAULT_WRITE_POLICY, jitter)),
        delays,
      ),
    );
  }

  test('a huge error count does not overflow', () => assert.equal(backoffDelayMs(10_000, DEFAULT_WRITE_POLICY), 60000));

  test('equal jitter stays within [delay/2, delay]', () => {
    assert.equal(
      backoffDelayMs(
        3,
        DEFAULT_WRITE_POLICY,
        equalJitter(() => 0),
      ),
      2000,
    );
    assert.equal(
      backoffDelayMs(
        3,
        DEFAULT_WRITE_POLICY,
        equalJitter(() => 0.999999),
      ),
      3999.998,
    );
  });
});

describe('WriteScheduler errors', () => {
  /** A scheduler with one transition pending on each of `checks`, due at T0 + 1 s. */
  function pendingTransitions(checks: string[]): WriteScheduler {
    const scheduler = new WriteScheduler();
    const [flipped] = statusChanges(['transition']);
    for (const check of checks) {
      scheduler.adopt(check, BASELINE, T0 - MINUTE);
      scheduler.update(check, flipped!, T0);
    }
    return scheduler;
  }

  const attempt = (scheduler: WriteScheduler, check: string, at: number, outcome: 'ok' | WriteErrorKind) => {
    const job = scheduler.beginWrite(check, at);
    assert.ok(job, `nothing to write for ${check}`);
    if (outcome === 'ok') scheduler.writeSucceeded(check, at);
    else scheduler.writeFailed(check, at, outcome);
    return job;
  };

  const table: Array<{ name: string; outcomes: WriteErrorKind[]; retryDelays: number[]; merge: boolean[] }> = [
    {
      name: 'server errors back off exponentially',
      outcomes: ['server', 'server', 'server', 'server'],
      retryDelays: [1000, 2000, 4000, 8000],
      merge: [false, true, true, true],
    },
    {
      name: 'check errors back off without a merge',
      outcomes: ['check', 'check', 'check'],
      retryDelays: [1000, 2000, 4000],
      merge: [false, false, false],
    },
    {
      name: 'conflicts retry at once three times, then back off',
      outcomes: ['conflict', 'conflict', 'conflict', 'conflict', 'conflict'],
      retryDelays: [0, 0, 0, 1000, 2000],
      merge: [false, true, true, true, true],
    },
  ];
  for (const { name, outcomes, retryDelays, merge } of table) {
    test(name, () => {
      const scheduler = pendingTransitions([CHECK]);
      let now = T0 + SECOND;
      const delays: number[] = [];
      const merges: boolean[] = [];
      for (const outcome of outcomes) {
        assert.equal(scheduler.dueAt(CHECK)! <= now, true);
        merges.push(attempt(scheduler, CHECK, now, outcome).mergeWithRemote);
        const due = scheduler.dueAt(CHECK)!;
        delays.push(due - now);
        now = due;
      }
      assert.deepEqual(delays, retryDelays);
      assert.deepEqual(merges, merge);
      assert.equal(scheduler.pendingCount(), 1, 'the change stays pending');
      const last = attempt(scheduler, CHECK, now, 'ok');
      assert.equal(last.transitionSince, T0, 'the pending write still carries the transition');
      assert.equal(scheduler.pendingCount(), 0);
      assert.equal(scheduler.dueAt(CHECK), undefined);
    });
  }

  test('while the API server fails, one write probes it; recovery releases the rest', () => {
    const checks = Array.from({ length: 100 }, (_, index) => `check-${index}`);
    const scheduler = pendingTransitions(checks);
    let now = T0 + SECOND;
    const firstWave = scheduler.dueChecks(now);
    assert.equal(firstWave.length, 100);
    for (const check of firstWave) assert.ok(scheduler.beginWrite(check, now), 'all in flight together');
    for (const check of firstWave) scheduler.writeFailed(check, now, 'server');
    assert.equal(scheduler.beginWrite(firstWave[0]!, now), undefined, 'held back during the back-off');
    const attempts: number[] = [];
    for (let round = 0; round < 6; round += 1) {
      now = scheduler.nextDueAt()!;
      const due = scheduler.dueChecks(now);
      attempts.push(due.length);
      assert.ok(scheduler.beginWrite(due[0]!, now));
      assert.equal(
        scheduler.beginWrite(
          firstWave.find((check) => check !== due[0])!,
          now,
        ),
        undefined,
        'held back while the probe write is out',
      );
      scheduler.writeFailed(due[0]!, now, 'server');
    }
    assert.deepEqual(attempts, [1, 1, 1, 1, 1, 1], 'one probe write per back-off window');
    assert.equal(scheduler.pendingCount(), 100);
    now = scheduler.nextDueAt()!;
    const [probe] = scheduler.dueChecks(now);
    assert.equal(attempt(scheduler, probe!, now, 'ok').mergeWithRemote, true);
    const rest = scheduler.dueChecks(now);
    assert.equal(rest.length, 99);
    for (const check of rest) assert.equal(attempt(scheduler, check, now, 'ok').mergeWithRemote, true);
    assert.equal(scheduler.pendingCount(), 0);
  });

  test('when another request reaches the API server again, held-back writes go out at once', () => {
    const checks = ['check-a', 'check-b', 'check-c'];
    const scheduler = pendingTransitions(checks);
    let now = T0 + SECOND;
    for (let round = 0; round < 6; round += 1) {
      if (round > 0) now = scheduler.nextDueAt()!;
      const [probe] = scheduler.dueChecks(now);
      attempt(scheduler, probe!, now, 'server');
    }
    assert.ok(scheduler.nextDueAt()! - now >= 32_000, 'the back-off has grown to half a minute');
    now += SECOND;
    assert.deepEqual(scheduler.dueChecks(now), [], 'held back by the grown back-off');
    scheduler.apiServerAnswered();
    assert.deepEqual([...scheduler.dueChecks(now)].sort(), checks, 'all released together');
    for (const check of checks) attempt(scheduler, check, now, 'ok');
    assert.equal(scheduler.pendingCount(), 0);
  });

  test('a check error keeps its own back-off when the API server answers', () => {
    const scheduler = pendingTransitions([CHECK]);
    const now = T0 + SECOND;
    attempt(scheduler, CHECK, now, 'check');
    scheduler.apiServerAnswered();
    assert.equal(scheduler.dueAt(CHECK), now + 1000);
  });

  test('a change during a write stays pending after it succeeds', () => {
    const scheduler = pendingTransitions([CHECK]);
    const [, second] = statusChanges(['transition', 'transition']);
    const job = scheduler.beginWrite(CHECK, T0 + SECOND)!;
    assert.equal(scheduler.dueAt(CHECK), undefined, 'one write at a time');
    scheduler.update(CHECK, second!, T0 + 2 * SECOND);
    scheduler.writeSucceeded(CHECK, T0 + 2 * SECOND);
    assert.equal(job.transitionSince, T0);
    assert.equal(scheduler.dueAt(CHECK), T0 + 3 * SECOND);
    assert.equal(scheduler.beginWrite(CHECK, T0 + 3 * SECOND)!.status, second);
  });

  test('a failed write gives its changes back, merged with newer ones', () => {
    const scheduler = pendingTransitions([CHECK]);
    const [, , steady] = statusChanges(['transition', 'transition', 'steady']);
    scheduler.beginWrite(CHECK, T0 + SECOND);
    scheduler.update(CHECK, steady!, T0 + 2 * SECOND);
    scheduler.writeFailed(CHECK, T0 + 3 * SECOND, 'check');
    const job = scheduler.beginWrite(CHECK, T0 + 4 * SECOND)!;
    assert.deepEqual([job.changedSince, job.transitionSince, job.status], [T0, T0, steady]);
  });

  test('forget drops a deleted check', () => {
    const scheduler = pendingTransitions([CHECK]);
    scheduler.forget(CHECK);
    assert.deepEqual(
      [scheduler.pendingCount(), scheduler.dueAt(CHECK), scheduler.nextDueAt()],
      [0, undefined, undefined],
    );
  });
});

const entry = (time: string, success: boolean, message = 'm', latency = '1ms'): LogEntry => ({
  time: rfc(time),
  success,
  reason: success ? 'TCPConnect' : 'TCPConnectError',
  message,
  latency,
});
const condition = (type: string, status: string, since: string, message = 'm'): Condition => ({
  type,
  status,
  reason: 'R',
  message,
  lastTransitionTime: rfc(since),
});
const outage = (start: string, end?: string): Outage => ({
  start: rfc(start),
  ...(end && { end: rfc(end) }),
  message: end ? 'Connectivity restored after 1m0s' : `Connectivity outage detected at ${rfc(start)}`,
  startLogs: [entry(start, false)],
  ...(end && { endLogs: [entry(end, true)] }),
});
/** One entry a minute from 20:00 + `fromMinute`, newest first. */
const minutes = (fromMinute: number, count: number, success: boolean): LogEntry[] =>
  clockSeries(clockAfter('20:00:00', fromMinute * MINUTE), count, 60)
    .map((time) => entry(time, success))
    .reverse();

describe('mergeForWrite', () => {
  interface MergeCase {
    name: string;
    local: CheckStatus;
    remote: CheckStatus | undefined;
    expected: {
      successes?: string[];
      failures?: string[];
      outages?: Array<[string, string?]>;
      conditions?: Array<[string, string, string]>;
      latencies?: string[];
    };
  }
  const table: MergeCase[] = [
    {
      name: 'no remote: ours as is',
      local: { successes: [entry('20:01:00', true)] },
      remote: undefined,
      expected: { successes: ['20:01:00'] },
    },
    {
      name: 'both writers keep their entries, newest first',
      local: { successes: [entry('20:03:00', true), entry('20:01:00', true)], failures: [entry('20:02:00', false)] },
      remote: { successes: [entry('20:02:30', true)], failures: [entry('20:00:30', false)] },
      expected: { successes: ['20:03:00', '20:02:30', '20:01:00'], failures: ['20:02:00', '20:00:30'] },
    },
    {
      name: 'the same probe on both sides is kept once, ours',
      local: { successes: [entry('20:01:00', true, 'm', '1ms')] },
      remote: { successes: [entry('20:01:00', true, 'm', '2ms'), entry('20:00:00', true)] },
      expected: { successes: ['20:01:00', '20:00:00'], latencies: ['1ms', '1ms'] },
    },
    {
      name: 'different messages at the same second are different probes',
      local: { failures: [entry('20:01:00', false, 'refused')] },
      remote: { failures: [entry('20:01:00', false, 'timeout')] },
      expected: { failures: ['20:01:00', '20:01:00'] },
    },
    {
      name: '10 + 10 distinct entries: all 20 kept, no loss',
      local: { successes: minutes(0, 10, true) },
      remote: { successes: minutes(10, 10, true) },
      expected: { successes: minutes(0, 20, true).map((kept) => clock(kept.time)) },
    },
    {
      name: '15 + 15 distinct entries: the newest 20 kept',
      local: { successes: minutes(0, 15, true) },
      remote: { successes: minutes(15, 15, true) },
      expected: { successes: minutes(10, 20, true).map((kept) => clock(kept.time)) },
    },
    {
      name: 'outages are matched by start, a closed copy wins over an open one',
      local: { outages: [outage('20:05:00'), outage('20:01:00', '20:02:00')] },
      remote: { outages: [outage('20:05:00', '20:06:00'), outage('20:03:00', '20:04:00')] },
      expected: {
        outages: [
          ['20:05:00', '20:06:00'],
          ['20:03:00', '20:04:00'],
          ['20:01:00', '20:02:00'],
        ],
      },
    },
    {
      name: 'a Stale mark is dropped once a probe newer than the mark is merged',
      local: { successes: [entry('20:10:00', true)], conditions: [condition('Reachable', 'True', '20:10:00')] },
      remote: {
        successes: [entry('18:00:00', true)],
        conditions: [condition('Reachable', 'True', '18:00:00'), condition('Stale', 'True', '20:00:00')],
      },
      expected: { successes: ['20:10:00', '18:00:00'], conditions: [['Reachable', 'True', 'm']] },
    },
    {
      name: 'a Stale mark newer than every probe stays',
      local: { successes: [entry('18:00:00', true)], conditions: [condition('Reachable', 'True', '18:00:00')] },
      remote: {
        successes: [entry('18:00:00', true)],
        conditions: [condition('Reachable', 'True', '18:00:00'), condition('Stale', 'True', '20:00:00')],
      },
      expected: {
        successes: ['18:00:00'],
        conditions: [
          ['Reachable', 'True', 'm'],
          ['Stale', 'True', 'm'],
        ],
      },
    },
    {
      name: 'our open outage stays open when the remote has none',
      local: { outages: [outage('20:05:00')] },
      remote: { outages: [] },
      expected: { outages: [['20:05:00']] },
    },
    {
      name: 'conditions: the newer flip wins, ours on a tie, remote-only types kept',
      local: {
        conditions: [
          condition('Reachable', 'True', '20:05:00', 'ours'),
          condition('Other', 'True', '20:00:00', 'ours'),
        ],
      },
      remote: {
        conditions: [
          condition('Reachable', 'False', '20:06:00', 'theirs'),
          condition('Other', 'False', '20:00:00', 'theirs'),
          condition('Stale', 'True', '20:07:00'),
        ],
      },
      expected: {
        conditions: [
          ['Reachable', 'False', 'theirs'],
          ['Other', 'True', 'ours'],
          ['Stale', 'True', 'm'],
        ],
      },
    },
  ];
  for (const { name, local, remote, expected } of table) {
    test(name, () => {
      const merged = mergeForWrite(local, remote);
      assertValidStatus(merged);
      if (expected.successes) assert.deepEqual(clocks(merged.successes), expected.successes);
      if (expected.failures) assert.deepEqual(clocks(merged.failures), expected.failures);
      if (expected.latencies)
        assert.deepEqual(
          merged.successes?.map((kept) => kept.latency),
          expected.latencies,
        );
      if (expected.outages)
        assert.deepEqual(
          merged.outages?.map((kept) => (kept.end ? [clock(kept.start), clock(kept.end)] : [clock(kept.start)])),
          expected.outages,
        );
      if (expected.conditions)
        assert.deepEqual(
          merged.conditions?.map((kept) => [kept.type, kept.status, kept.message]),
          expected.conditions,
        );
    });
  }

  test('21 + 21 outages keep the newest 20', () => {
    const series = (fromMinute: number) =>
      clockSeries(clockAfter('20:00:00', fromMinute * MINUTE), 21, 120)
        .map((start) => outage(start))
        .reverse();
    const merged = mergeForWrite({ outages: series(0) }, { outages: series(1) });
    assert.equal(merged.outages?.length, 20);
    assert.equal(clock(merged.outages![0]!.start), '20:41:00');
  });

  test('merging is idempotent', () => {
    const local = statusAfter([ok('20:00:00'), refused('20:01:00'), refused('20:01:05'), ok('20:02:00')])!;
    assert.deepEqual(mergeForWrite(local, local), local);
  });
});

describe('statusPatch', () => {
  test('sends every list whole, empty ones as []', () => {
    const status = statusAfter([ok('20:00:00')])!;
    assert.deepEqual(statusPatch(status), {
      status: { conditions: status.conditions, successes: status.successes, failures: [], outages: [] },
    });
  });

  test('carries the resourceVersion for optimistic concurrency', () => {
    const patch = statusPatch({}, '4711');
    assert.deepEqual(patch, {
      metadata: { resourceVersion: '4711' },
      status: { conditions: [], successes: [], failures: [], outages: [] },
    });
    assertValidStatus(patch.status);
  });
});
