// The status writer on a fake clock, writing through the real KubeClient to a local HTTPS server that stores checks
// and guards patches with resourceVersion as kube-apiserver does: failed writes are retried after their back-off and
// not lost, and another writer's entries survive a conflict.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CheckStatus, LogEntry } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { StatusWriter } from '../../src/runtime/source/status-writer.js';
import { noJitter, WriteScheduler, writePolicy, type WritePolicy } from '../../src/runtime/status/write-policy.js';
import { opensslMissing } from '../probe/support/certs.js';
import { LocalApiServer } from './support/api-server.js';
import { FakeClock, until } from './support/fake-clock.js';

let api: LocalApiServer;
const cleanups: (() => void)[] = [];

const check = (name: string, status: CheckStatus = {}): CheckObject => ({
  apiVersion: 'p2pnc.io/v1alpha1',
  kind: 'PodNetworkConnectivityCheck',
  metadata: { name },
  spec: { sourcePod: 'prober', targetEndpoint: '10.0.0.1:443' },
  status,
});

const entry = (at: number, success: boolean): LogEntry => ({
  time: new Date(at).toISOString().replace('.000Z', 'Z'),
  success,
  reason: success ? 'TCPConnect' : 'TCPConnectError',
  message: success ? 'ok' : 'refused',
  latency: '1ms',
});

/** A failed probe: a transition (Reachable flips), due after the 1 s coalescing window. */
const failed = (at: number): CheckStatus => ({
  conditions: [
    { type: 'Reachable', status: 'False', reason: 'TCPConnectError', lastTransitionTime: new Date(at).toISOString() },
  ],
  failures: [entry(at, false)],
});

/** `seen`: the objects as the watch last delivered them, when the test wants them older than the stored ones. */
function writer(clock: FakeClock, seen = new Map<string, CheckObject>(), policy: Partial<WritePolicy> = {}) {
  const scheduler = new WriteScheduler(writePolicy({ backoffBaseMs: 1_000, ...policy }), noJitter);
  const results: string[] = [];
  const written: string[] = [];
  const client = api.client();
  const statusWriter = new StatusWriter(client, {
    namespace: api.namespace,
    scheduler,
    cached: (name) => seen.get(name) ?? api.checks.get(name),
    onWritten: (name) => written.push(name),
    onResult: (result) => results.push(result),
    clock,
  });
  cleanups.push(() => {
    statusWriter.stop();
    client.close();
  });
  return { scheduler, statusWriter, results, written };
}

describe('StatusWriter on a fake clock', { skip: opensslMissing() ?? false }, () => {
  before(async () => {
    api = await LocalApiServer.start();
  });
  after(() => api.stop());
  afterEach(() => {
    cleanups.splice(0).forEach((cleanup) => cleanup());
    api.requests.length = 0;
    api.checks.clear();
  });

  test('a failed write is retried after its back-off, not before, and its change is not lost', async () => {
    const clock = new FakeClock();
    api.put(check('a'));
    const { scheduler, statusWriter, results } = writer(clock);
    scheduler.adopt('a', {}, clock.now());
    scheduler.update('a', failed(clock.now()), clock.now());
    api.fail('PATCH', 500);
    statusWriter.kick();
    await clock.advance(1_000);
    await until(() => results.length === 1, 'the first write');
    assert.deepEqual(results, ['error']);
    // Back-off of the first error: 1 s. Nothing goes out before it ends.
    await clock.advance(900);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(api.count('PATCH'), 1);
    await clock.advance(200);
    await until(() => results.length === 2, 'the retry');
    assert.deepEqual(results, ['error', 'success']);
    assert.equal(api.checks.get('a')?.status?.conditions?.[0]?.status, 'False', 'the change reached the server');
    assert.equal(api.checks.get('a')?.status?.failures?.length, 1);
    assert.equal(scheduler.pendingCount(), 0);
  });

  test('another writer’s entries survive a conflict: the write reads the stored status and merges', async () => {
    const clock = new FakeClock();
    const start = clock.now();
    const seen = new Map([['a', api.put(check('a'))]]);
    const { scheduler, statusWriter, results } = writer(clock, seen);
    scheduler.adopt('a', {}, start);
    scheduler.update('a', failed(start), start);
    // Meanwhile another replica wrote a success of its own, which this one's watch has not delivered yet.
    api.put({ ...seen.get('a')!, status: { successes: [entry(start - 5_000, true)] } });
    statusWriter.kick();
    await clock.advance(1_000);
    await until(() => results.includes('success'), 'the merged write');
    assert.deepEqual(results, ['conflict', 'success']);
    const stored = api.checks.get('a')!.status!;
    assert.equal(stored.successes?.length, 1, 'the other writer’s success is kept');
    assert.equal(stored.failures?.length, 1, 'and ours is added');
  });

  test('flush on shutdown writes what is pending, due or not', async () => {
    const clock = new FakeClock();
    api.put(check('a'));
    api.put(check('b'));
    const { scheduler, statusWriter } = writer(clock);
    for (const name of ['a', 'b']) {
      scheduler.adopt(name, {}, clock.now());
      scheduler.update(name, failed(clock.now()), clock.now());
    }
    const flushed = statusWriter.flush(5_000);
    await clock.advance(2_500);
    assert.equal(await flushed, 0);
    assert.equal(api.count('PATCH'), 2);
  });

  test('first statuses of a new deployment go out at the first-write budget, an outage among them at once', async () => {
    const clock = new FakeClock();
    const names = Array.from({ length: 200 }, (_, i) => `c${String(i).padStart(3, '0')}`);
    for (const name of names) api.put(check(name));
    const { scheduler, statusWriter, written } = writer(clock, undefined, { firstWritesPerSecond: 50 });
    const start = clock.now();
    const healthy = (at: number): CheckStatus => ({
      conditions: [
        {
          type: 'Reachable',
          status: 'True',
          reason: 'TCPConnectSuccess',
          lastTransitionTime: new Date(at).toISOString(),
        },
      ],
      successes: [entry(at, true)],
    });
    // Every check's first probe succeeds within the first second, as with a 1 s interval.
    for (const [i, name] of names.entries()) {
      scheduler.adopt(name, {}, start);
      scheduler.update(name, healthy(start + i * 5), start + i * 5);
    }
    // One check's first result is an outage: it must not wait for its slot.
    scheduler.adopt('down', {}, start);
    api.put(check('down'));
    const opened = failed(start + 500);
    opened.outages = [{ start: opened.failures![0]!.time, message: 'Connectivity outage detected', startLogs: [] }];
    scheduler.update('down', opened, start + 500);
    statusWriter.kick();
    const perSecond: number[] = [];
    for (let second = 0; second < 6; second++) {
      const before = api.count('PATCH');
      await clock.advance(1_000);
      await new Promise((resolve) => setTimeout(resolve, 20));
      perSecond.push(api.count('PATCH') - before);
    }
    // Due 1 s after it opened (the coalescing window), among the first 30 of the 200 first statuses, not after them.
    const position = written.indexOf('down');
    assert.ok(position >= 0 && position <= 30, `the outage went out within its transition delay: #${position}`);
    assert.ok(Math.max(...perSecond) <= 51, `at most 50 first writes a second (+ the outage): ${perSecond.join(', ')}`);
    await clock.advance(2_000);
    await until(() => scheduler.pendingCount() === 0, 'every first status written');
    assert.equal(api.count('PATCH'), 201, 'one write per check, none lost');
  });

  test('SIGTERM: a flush of 200 pending checks spreads over half its deadline, 16 at most in flight, all written', async () => {
    const clock = new FakeClock();
    const names = Array.from({ length: 200 }, (_, i) => `s${i}`);
    const { scheduler, statusWriter } = writer(clock);
    for (const name of names) {
      api.put(check(name));
      scheduler.adopt(name, {}, clock.now());
      scheduler.update(name, failed(clock.now()), clock.now());
    }
    const flushed = statusWriter.flush(10_000);
    const perSecond: number[] = [];
    for (let second = 0; second < 6; second++) {
      const before = api.count('PATCH');
      await clock.advance(1_000);
      perSecond.push(api.count('PATCH') - before);
    }
    assert.equal(await flushed, 0, 'nothing left unwritten');
    assert.equal(api.count('PATCH'), 200);
    // 200 writes over 5 s: 40 a second, not 200 in the first instant.
    assert.ok(Math.max(...perSecond) <= 45, `spread: ${perSecond.join(', ')} writes a second`);
    assert.ok(
      perSecond.slice(0, 5).every((count) => count >= 30),
      `and steady: ${perSecond.join(', ')}`,
    );
  });
});
