// Leader election decisions against an in-memory Lease API (the API server is not the subject here; the cluster
// suites run the same code against a real one).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { KubeApiError } from '../../src/runtime/kube/client.js';
import { systemClock } from '../../src/runtime/kube/clock.js';
import { LeaderElector } from '../../src/runtime/kube/leader.js';
import { LeaseApi } from '../unit/support/lease-api.js';
import { eventually } from '../helpers/process.js';

// Wide enough that a loaded CI machine (event loop stalls of 100 ms and more) does not expire a lease being renewed;
// the API server keeps whole seconds. test/unit/leader.test.ts runs the timing decisions on a fake clock.
const LEASE_MS = 1000;
const RENEW_DEADLINE_MS = 600;
const RETRY_MS = 50;

interface Replica {
  identity: string;
  elector: LeaderElector;
  roles: string[];
  stop(): Promise<void>;
}

const running = new Set<Replica>();

function replica(api: LeaseApi, identity: string, clockOffsetMs = 0): Replica {
  const roles: string[] = [];
  const elector = new LeaderElector(api.clientFor(identity), {
    namespace: 'p2pnc',
    name: 'prober-leader',
    identity,
    leaseDurationMs: LEASE_MS,
    renewDeadlineMs: RENEW_DEADLINE_MS,
    retryPeriodMs: RETRY_MS,
    stayThroughApiOutage: true,
    onStartedLeading: () => roles.push('started'),
    onStoppedLeading: () => roles.push('stopped'),
    clock: { ...systemClock, now: () => Date.now() + clockOffsetMs },
  });
  const abort = new AbortController();
  const loop = elector.run(abort.signal);
  const handle: Replica = {
    identity,
    elector,
    roles,
    stop: async () => {
      running.delete(handle);
      abort.abort();
      await loop;
    },
  };
  running.add(handle);
  return handle;
}

const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
const unavailable = () => new KubeApiError(503, 'ServiceUnavailable', 'apiserver is shutting down');
const forbidden = () => new KubeApiError(403, 'Forbidden', 'leases.coordination.k8s.io "prober-leader" is forbidden');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('LeaderElector', () => {
  afterEach(() => Promise.all([...running].map((left) => left.stop())));

  test('one replica leads; the other takes over once the leader stops renewing', async () => {
    const api = new LeaseApi();
    const a = replica(api, 'a');
    await eventually(async () => a.elector.isLeader || undefined, 5_000, 'a to lead');
    const b = replica(api, 'b');
    await sleep(LEASE_MS * 2);
    assert.equal(b.elector.isLeader, false, 'no second leader while the lease is renewed');
    api.failing.set('a', refused);
    await eventually(async () => b.elector.isLeader || undefined, 5_000, 'b to take over');
    assert.equal(api.lease?.spec.holderIdentity, 'b');
    assert.equal(api.lease?.spec.leaseTransitions, 1);
    await Promise.all([a.stop(), b.stop()]);
  });

  for (const [what, error] of [
    ['unreachable', refused],
    ['shutting down (503)', unavailable],
    ['refusing it (403, e.g. right after a restart)', forbidden],
  ] as const) {
    test(`a leader keeps leading while the API server is ${what}`, async () => {
      const api = new LeaseApi();
      const a = replica(api, 'a');
      await eventually(async () => a.elector.isLeader || undefined, 5_000, 'a to lead');
      const b = replica(api, 'b');
      api.failing.set('a', error);
      api.failing.set('b', error);
      await sleep(LEASE_MS * 4);
      assert.deepEqual(a.roles, ['started'], 'a never stepped down');
      assert.deepEqual(b.roles, [], 'nobody else could take the lease');
      api.failing.clear();
      const renewed = api.lease!.metadata.resourceVersion;
      await eventually(
        async () => (api.lease!.metadata.resourceVersion !== renewed ? true : undefined),
        5_000,
        'a to renew',
      );
      assert.equal(api.lease?.spec.holderIdentity, 'a');
      assert.deepEqual(b.roles, [], 'the expired lease went back to its holder, not to b');
      await Promise.all([a.stop(), b.stop()]);
    });
  }

  test('a leader cut off alone steps down when it sees the replica that took over', async () => {
    const api = new LeaseApi();
    const a = replica(api, 'a');
    await eventually(async () => a.elector.isLeader || undefined, 5_000, 'a to lead');
    const b = replica(api, 'b');
    api.failing.set('a', refused);
    await eventually(async () => b.elector.isLeader || undefined, 5_000, 'b to take over');
    assert.equal(a.elector.isLeader, true, 'a cannot know yet');
    api.failing.clear();
    await eventually(async () => (a.elector.isLeader ? undefined : true), 5_000, 'a to step down');
    assert.deepEqual(a.roles, ['started', 'stopped']);
    assert.equal(api.lease?.spec.holderIdentity, 'b');
    await Promise.all([a.stop(), b.stop()]);
  });

  test('a standby whose clock runs an hour ahead does not take a lease that is being renewed', async () => {
    const api = new LeaseApi();
    const a = replica(api, 'a');
    await eventually(async () => a.elector.isLeader || undefined, 5_000, 'a to lead');
    const b = replica(api, 'b', 3_600_000);
    await sleep(LEASE_MS * 4);
    assert.deepEqual(b.roles, []);
    assert.deepEqual(a.roles, ['started']);
    await Promise.all([a.stop(), b.stop()]);
  });

  test('stopping releases the lease for the next replica', async () => {
    const api = new LeaseApi();
    const a = replica(api, 'a');
    await eventually(async () => a.elector.isLeader || undefined, 5_000, 'a to lead');
    await a.stop();
    assert.deepEqual(a.roles, ['started', 'stopped']);
    assert.equal(api.lease?.spec.holderIdentity, '');
  });
});
