// The status writer on a fake clock, writing through the real KubeClient to a local HTTPS server that stores checks
// and guards patches with resourceVersion as kube-apiserver does: failed writes are retried after their back-off and
// not lost, and another writer's entries survive a conflict.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CheckStatus, LogEntry } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { StatusWriter } from '../../src/runtime/source/status-writer.js';
import { noJitter, WriteScheduler, writePolicy } from '../../src/runtime/status/write-policy.js';
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
function writer(clock: FakeClock, seen = new Map<string, CheckObject>()) {
  const scheduler = new WriteScheduler(writePolicy({ backoffBaseMs: 1_000 }), noJitter);
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
    assert.equal(await statusWriter.flush(5_000), 0);
    assert.equal(api.count('PATCH'), 2);
  });
});
