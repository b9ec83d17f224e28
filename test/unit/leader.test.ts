// The leader elector's timing on a fake clock: lease expiry, jittered retries, the renew deadline and the choice to
// stay leader through an API outage. Each replica talks through its own real KubeClient, over TLS, to a local server
// that keeps the Lease as kube-apiserver does (409 on a stale resourceVersion; test/unit/support/api-server.ts); the
// cluster suites run the elector against a real kube-apiserver.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Clock } from '../../src/runtime/kube/clock.js';
import { LeaderElector, type LeaderElectionOptions } from '../../src/runtime/kube/leader.js';
import { runCli } from '../helpers/process.js';
import { opensslMissing } from '../probe/support/certs.js';
import { LocalApiServer } from './support/api-server.js';
import { FakeClock, until } from './support/fake-clock.js';

const TIMING = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };
const HOUR = 3_600_000;

let api: LocalApiServer;

interface Replica {
  elector: LeaderElector;
  roles: string[];
  stop(): Promise<void>;
}

/** Replicas on one fake clock; time moves only when every replica has finished its round and sleeps again. */
class Replicas {
  readonly clock = new FakeClock();
  private readonly running: Replica[] = [];

  add(identity: string, options: Partial<LeaderElectionOptions> = {}): Replica {
    const roles: string[] = [];
    const client = api.client(identity);
    const elector = new LeaderElector(client, {
      namespace: api.namespace,
      name: 'prober-leader',
      identity,
      ...TIMING,
      stayThroughApiOutage: true,
      onStartedLeading: () => roles.push('started'),
      onStoppedLeading: () => roles.push('stopped'),
      clock: this.clock,
      random: () => 0.5,
      ...options,
    });
    const abort = new AbortController();
    const loop = elector.run(abort.signal);
    const replica: Replica = {
      elector,
      roles,
      stop: async () => {
        this.running.splice(this.running.indexOf(replica), 1);
        abort.abort();
        await loop;
        client.close();
      },
    };
    this.running.push(replica);
    return replica;
  }

  /** Every replica asleep on the clock: its round (real requests) is over. */
  settled = () => until(() => this.clock.pendingTimers === this.running.length, 'every replica to finish its round');

  advance(ms: number): Promise<void> {
    return this.clock.advance(ms, this.settled);
  }

  stopAll(): Promise<void> {
    return Promise.all([...this.running].map((replica) => replica.stop())).then(() => undefined);
  }
}

/** The clock seen through a replica: shifted by `offsetMs`, and recording the waits it asks for. */
function view(clock: FakeClock, offsetMs = 0, waits: number[] = []): Clock {
  return {
    now: () => clock.now() + offsetMs,
    setTimeout: (callback, ms) => {
      waits.push(ms);
      return clock.setTimeout(callback, ms);
    },
    clearTimeout: (timer) => clock.clearTimeout(timer),
  };
}

let replicas: Replicas;

describe('LeaderElector on a fake clock', { skip: opensslMissing() ?? false }, () => {
  before(async () => {
    api = await LocalApiServer.start();
  });
  after(() => api.stop());
  afterEach(async () => {
    await replicas?.stopAll();
    api.leases.clear();
    api.cutOff.clear();
    api.requests.length = 0;
  });

  test('a lease held by another is not taken before it expires, and is taken within a retry after', async () => {
    replicas = new Replicas();
    const a = replicas.add('a');
    await replicas.settled();
    assert.equal(a.elector.isLeader, true);
    api.cutOff.set('a', 'reset');
    const b = replicas.add('b');
    await replicas.advance(TIMING.leaseDurationMs - 1);
    assert.equal(b.elector.isLeader, false, 'not expired yet on b’s clock');
    // Standby retries wait 2 s x (1 + 1.2 x 0.5) = 3.2 s here: the first after expiry takes it.
    await replicas.advance(3_200);
    assert.equal(b.elector.isLeader, true);
    assert.equal(api.storedLease?.spec.holderIdentity, 'b');
    assert.equal(api.storedLease?.spec.leaseTransitions, 1);
    assert.equal(api.storedLease?.spec.leaseDurationSeconds, 15);
  });

  test('a standby whose clock runs an hour ahead does not take a lease that is being renewed', async () => {
    replicas = new Replicas();
    const a = replicas.add('a');
    await replicas.settled();
    const b = replicas.add('b', { clock: view(replicas.clock, HOUR) });
    await replicas.advance(2 * 60_000);
    assert.deepEqual(b.roles, []);
    assert.deepEqual(a.roles, ['started']);
  });

  test('a standby retries jittered between the retry period and 2.2 times it, as client-go’s JitterUntil', async () => {
    replicas = new Replicas();
    replicas.add('a');
    await replicas.settled();
    const randoms = [0, 1, 0.25];
    const waits: number[] = [];
    replicas.add('b', { clock: view(replicas.clock, 0, waits), random: () => randoms.shift() ?? 0.5 });
    await replicas.advance(2_000 + 4_400 + 2_600);
    assert.deepEqual(waits.slice(0, 3), [2_000, 4_400, 2_600]);
  });

  test('the leader renews every retry period, unjittered', async () => {
    replicas = new Replicas();
    replicas.add('a', { random: () => 1 });
    await replicas.advance(10_000);
    assert.deepEqual(replicas.clock.requested, [2_000, 2_000, 2_000, 2_000, 2_000, 2_000]);
    assert.equal(api.count('PUT', '/leases/'), 5, 'created, then renewed five times');
  });

  for (const [what, cut] of [
    ['unreachable', 'reset'],
    ['shutting down (503)', 503],
    ['refusing it (403, e.g. right after a restart)', 403],
  ] as const) {
    test(`by default a leader keeps leading while the API server is ${what}, eight times the lease`, async () => {
      replicas = new Replicas();
      const a = replicas.add('a');
      const b = replicas.add('b');
      await replicas.settled();
      api.cutOff.set('a', cut);
      api.cutOff.set('b', cut);
      await replicas.advance(2 * 60_000);
      assert.deepEqual(a.roles, ['started']);
      assert.deepEqual(b.roles, [], 'nobody else could take the lease');
      api.cutOff.clear();
      const renewed = api.storedLease?.metadata.resourceVersion;
      await replicas.advance(2_000);
      assert.notEqual(api.storedLease?.metadata.resourceVersion, renewed, 'the holder renews once it is back');
      assert.equal(api.storedLease?.spec.holderIdentity, 'a');
      assert.deepEqual(b.roles, []);
    });
  }

  test('a leader cut off alone steps down when it sees the replica that took over', async () => {
    replicas = new Replicas();
    const a = replicas.add('a');
    await replicas.settled();
    const b = replicas.add('b');
    api.cutOff.set('a', 'reset');
    await replicas.advance(20_000);
    assert.equal(b.elector.isLeader, true);
    assert.equal(a.elector.isLeader, true, 'a cannot know yet');
    api.cutOff.clear();
    await replicas.advance(2_000);
    assert.deepEqual(a.roles, ['started', 'stopped']);
    assert.equal(api.storedLease?.spec.holderIdentity, 'b');
  });

  test('with stayThroughApiOutage off, a leader steps down once the renew deadline passes without a renewal', async () => {
    replicas = new Replicas();
    const a = replicas.add('a', { stayThroughApiOutage: false });
    await replicas.settled();
    api.cutOff.set('a', 'reset');
    await replicas.advance(TIMING.renewDeadlineMs - 1);
    assert.deepEqual(a.roles, ['started'], 'still within the renew deadline');
    await replicas.advance(TIMING.retryPeriodMs);
    assert.deepEqual(a.roles, ['started', 'stopped']);
    api.cutOff.clear();
    await replicas.advance(2 * 3_200);
    assert.deepEqual(a.roles, ['started', 'stopped', 'started'], 'it leads again once it can renew its own lease');
  });

  test('stopping releases the lease for the next replica', async () => {
    replicas = new Replicas();
    const a = replicas.add('a');
    await replicas.settled();
    await a.stop();
    assert.deepEqual(a.roles, ['started', 'stopped']);
    assert.equal(api.storedLease?.spec.holderIdentity, '');
  });

  test('durations that cannot work are refused, as client-go’s NewLeaderElector refuses them', () => {
    const make = (timing: Partial<typeof TIMING>) => () =>
      new LeaderElector(api.client('x'), {
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
