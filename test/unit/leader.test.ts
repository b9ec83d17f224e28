// The leader elector's timing on a fake clock: lease expiry, jittered retries, the renew deadline and the choice to
// stay leader through an API outage. The Lease API is in memory (test/unit/support/lease-api.ts); the cluster suites
// run the elector against a real kube-apiserver.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { LeaderElector, type LeaderElectionOptions } from '../../src/runtime/kube/leader.js';
import { runCli } from '../helpers/process.js';
import { FakeClock } from './support/fake-clock.js';
import { LeaseApi } from './support/lease-api.js';

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const refused = () => Object.assign(new Error('connect ECONNREFUSED 10.96.0.1:443'), { code: 'ECONNREFUSED' });

interface Replica {
  elector: LeaderElector;
  roles: string[];
  clock: FakeClock;
}

const stops: (() => Promise<void>)[] = [];

function replica(
  api: LeaseApi,
  identity: string,
  clock: FakeClock,
  options: Partial<LeaderElectionOptions> = {},
): Replica {
  const roles: string[] = [];
  const elector = new LeaderElector(api.clientFor(identity), {
    namespace: 'p2pnc',
    name: 'prober-leader',
    identity,
    ...TIMING,
    stayThroughApiOutage: true,
    onStartedLeading: () => roles.push('started'),
    onStoppedLeading: () => roles.push('stopped'),
    clock,
    random: () => 0.5,
    ...options,
  });
  const abort = new AbortController();
  const loop = elector.run(abort.signal);
  stops.push(async () => {
    abort.abort();
    await loop;
  });
  return { elector, roles, clock };
}

describe('LeaderElector on a fake clock', () => {
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
  });

  test('a lease held by another is not taken before it expires, and is taken within a retry after', async () => {
    const api = new LeaseApi();
    const clock = new FakeClock();
    const a = replica(api, 'a', clock);
    await clock.advance(0);
    assert.equal(a.elector.isLeader, true);
    api.failing.set('a', refused);
    const b = replica(api, 'b', clock);
    await clock.advance(TIMING.leaseDurationMs - 1);
    assert.equal(b.elector.isLeader, false, 'the lease is not expired yet on b’s clock');
    // Standby retries wait 2 s x (1 + 1.2 x 0.5) = 3.2 s here: the first after expiry takes it.
    await clock.advance(3_200);
    assert.equal(b.elector.isLeader, true);
    assert.equal(api.lease?.spec.holderIdentity, 'b');
    assert.equal(api.lease?.spec.leaseTransitions, 1);
  });

  test('a standby retries jittered between the retry period and 2.2 times it, as client-go’s JitterUntil', async () => {
    const api = new LeaseApi();
    const clock = new FakeClock();
    replica(api, 'a', clock);
    await clock.advance(0);
    const randoms = [0, 1, 0.25];
    const standbyClock = new FakeClock(clock.now());
    replica(api, 'b', standbyClock, { random: () => randoms.shift() ?? 0.5 });
    await standbyClock.advance(2_000 + 4_400 + 2_600);
    assert.deepEqual(standbyClock.requested.slice(0, 3), [2_000, 4_400, 2_600]);
  });

  test('the leader renews every retry period, unjittered', async () => {
    const api = new LeaseApi();
    const clock = new FakeClock();
    replica(api, 'a', clock, { random: () => 1 });
    await clock.advance(10_000);
    assert.deepEqual(clock.requested, [2_000, 2_000, 2_000, 2_000, 2_000, 2_000]);
    assert.equal(api.lease?.metadata.resourceVersion, '6', 'created, then renewed five times');
  });

  test('by default a leader keeps leading through an API outage far longer than the lease', async () => {
    const api = new LeaseApi();
    const clock = new FakeClock();
    const a = replica(api, 'a', clock);
    const b = replica(api, 'b', clock);
    await clock.advance(0);
    api.failing.set('a', refused);
    api.failing.set('b', refused);
    await clock.advance(10 * 60_000);
    assert.deepEqual(a.roles, ['started']);
    assert.deepEqual(b.roles, []);
    api.failing.clear();
    await clock.advance(2_000);
    assert.equal(api.lease?.spec.holderIdentity, 'a', 'the holder renews once the API server is back');
    assert.deepEqual(b.roles, []);
  });

  test('with stayThroughApiOutage off, a leader steps down once the renew deadline passes without a renewal', async () => {
    const api = new LeaseApi();
    const clock = new FakeClock();
    const a = replica(api, 'a', clock, { stayThroughApiOutage: false });
    await clock.advance(0);
    api.failing.set('a', refused);
    await clock.advance(TIMING.renewDeadlineMs - 1);
    assert.deepEqual(a.roles, ['started'], 'still within the renew deadline');
    await clock.advance(TIMING.retryPeriodMs);
    assert.deepEqual(a.roles, ['started', 'stopped']);
    api.failing.clear();
    await clock.advance(2 * 2_200);
    assert.deepEqual(a.roles, ['started', 'stopped', 'started'], 'it leads again once it can renew its own lease');
  });

  test('durations that cannot work are refused, as client-go’s NewLeaderElector refuses them', () => {
    const make = (timing: Partial<typeof TIMING>) => () =>
      new LeaderElector(new LeaseApi().clientFor('a'), {
        namespace: 'p2pnc',
        name: 'x',
        identity: 'a',
        ...TIMING,
        ...timing,
        stayThroughApiOutage: true,
        onStartedLeading: () => undefined,
        onStoppedLeading: () => undefined,
      });
    assert.throws(make({ leaseDurationMs: 10_000 }), /leaseDurationMs \(10s\) must be longer than renewDeadlineMs/);
    assert.throws(make({ retryPeriodMs: 9_000 }), /renewDeadlineMs \(10s\) must be longer than retryPeriodMs x 1.2/);
    assert.doesNotThrow(make({}));
  });

  test('p2pnc source names the flags to change when the durations cannot work', async () => {
    const args = ['source', '--source', 'x', '--kubeconfig', '/nonexistent'];
    const run = await runCli([...args, '--lease-duration', '8s', '--renew-deadline', '10s']);
    assert.equal(run.code, 2);
    assert.match(run.output, /error: --lease-duration \(8s\) must be longer than --renew-deadline \(10s\)/);
    assert.doesNotMatch(run.output, /\n\s+at /, 'no stack trace');
    const env = await runCli(args, { P2PNC_RETRY_PERIOD: '9s' });
    assert.equal(env.code, 2);
    assert.match(env.output, /--renew-deadline \(10s\) must be longer than --retry-period x 1.2 \(10.8s\)/);
    const flag = await runCli([...args, '--leader-stay-through-api-outage=maybe']);
    assert.equal(flag.code, 2);
    assert.match(flag.output, /--leader-stay-through-api-outage takes true or false, got "maybe"/);
    // A shorter lease alone stays valid (renew deadline and retry period follow it) and gets past the check.
    const short = await runCli([...args, '--lease-duration', '6s']);
    assert.equal(short.code, 1);
    assert.match(short.output, /cannot read kubeconfig \/nonexistent/);
  });
});
