// The informer's relist, back-off and watch-timeout decisions on a fake clock, against a local HTTPS server that
// answers lists and watches as kube-apiserver does (test/unit/support/api-server.ts), through the real KubeClient.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  Informer,
  ShortWatchError,
  type InformerHandlers,
  type InformerTiming,
} from '../../src/runtime/kube/informer.js';
import { paths, type CheckObject } from '../../src/runtime/kube/resources.js';
import { opensslMissing } from '../probe/support/certs.js';
import { LocalApiServer, type HeldWatch } from './support/api-server.js';
import { FakeClock, until } from './support/fake-clock.js';

let api: LocalApiServer;
const stops: (() => Promise<void>)[] = [];

function start(
  clock: FakeClock,
  timing: Partial<InformerTiming> = {},
  handlers: Partial<InformerHandlers<CheckObject>> = {},
) {
  const errors: unknown[] = [];
  const upserts: string[] = [];
  const client = api.client();
  const informer = new Informer<CheckObject>(
    client,
    paths.checks(api.namespace),
    undefined,
    {
      onUpsert: (object) => upserts.push(object.metadata.name),
      onDelete: () => undefined,
      onError: (e) => errors.push(e),
      ...handlers,
    },
    { clock, random: () => 0.5, ...timing },
  );
  const abort = new AbortController();
  const running = informer.run(abort.signal);
  stops.push(async () => {
    abort.abort();
    await running;
    client.close();
  });
  return { informer, errors, upserts };
}

const watches = () => api.requests.filter((request) => request.query.get('watch') === 'true');
const lists = () => api.requests.filter((request) => request.method === 'GET' && request.query.get('watch') === null);

describe('Informer on a fake clock', { skip: opensslMissing() ?? false }, () => {
  before(async () => {
    api = await LocalApiServer.start();
  });
  after(() => api.stop());
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((stop) => stop()));
    api.requests.length = 0;
    api.onWatch = () => undefined;
  });

  test('a watch the server closes at once backs off, doubling, instead of spinning', async () => {
    api.onWatch = (watch) => watch.end();
    const clock = new FakeClock();
    const { errors } = start(clock);
    // Equal jitter at random 0.5: 3/4 of 500 ms, 1 s, 2 s, 4 s.
    const expected = [375, 750, 1_500, 3_000];
    for (const [round, delay] of expected.entries()) {
      await until(() => clock.requested.length === round + 1, `back-off ${round + 1}`);
      assert.equal(clock.requested[round], delay);
      // Real time passes; the informer waits for the fake clock, sending nothing.
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal(watches().length, round + 1, 'one watch per back-off, no hot loop');
      await clock.advance(delay);
    }
    assert.ok(errors.length >= 4 && errors.every((error) => error instanceof ShortWatchError));
  });

  test('a watch that lasts is no failure: it resumes from the last version, without a list or a back-off', async () => {
    const held: HeldWatch[] = [];
    api.onWatch = (watch) => held.push(watch);
    const clock = new FakeClock();
    const randoms = [0, 0.999, 0.5];
    const { upserts } = start(clock, { random: () => randoms.shift() ?? 0.5 });
    await until(() => held.length === 1, 'the first watch');
    held[0]!.send({ type: 'ADDED', object: { metadata: { name: 'a', resourceVersion: '205' } } });
    await until(() => upserts.length === 1, 'the event');
    await clock.advance(290_000);
    held[0]!.end();
    await until(() => held.length === 2, 'the next watch');
    assert.equal(lists().length, 1, 'no list again');
    assert.deepEqual(clock.requested, [], 'no back-off');
    assert.equal(held[1]!.query.get('resourceVersion'), '205');
    // client-go's reflector: timeouts spread between 5 and 10 minutes, so watches started together end apart.
    assert.deepEqual(
      held.map((watch) => Number(watch.query.get('timeoutSeconds'))),
      [300, 599],
    );
  });

  test('an expired resourceVersion (410) lists again at once, from the watch cache, without a back-off', async () => {
    let first = true;
    const held: HeldWatch[] = [];
    api.onWatch = (watch) => {
      if (!first) return void held.push(watch);
      first = false;
      watch.send({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old resource version' } });
      watch.end();
    };
    const clock = new FakeClock();
    const { errors } = start(clock);
    await until(() => held.length === 1, 'the watch after the relist');
    assert.equal(lists().length, 2);
    assert.equal(lists()[1]!.query.get('resourceVersion'), '0', 'a relist any version of the watch cache can serve');
    assert.deepEqual(clock.requested, []);
    assert.deepEqual(errors, [], 'routine, not reported');
  });

  test('a watch that breaks resumes from the last version after a back-off, without listing again', async () => {
    const held: HeldWatch[] = [];
    api.onWatch = (watch) => held.push(watch);
    const clock = new FakeClock();
    const { errors, upserts } = start(clock);
    await until(() => held.length === 1, 'the first watch');
    held[0]!.send({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '310' } } });
    await until(() => upserts.length === 1, 'the event');
    // The API server goes away mid-watch (a restart, a load balancer reset); the next watch gets a 503.
    api.fail('GET', 503);
    held[0]!.end();
    await until(() => clock.requested.length === 1, 'a back-off after the failed watch');
    await clock.advance(clock.requested[0]!);
    await until(() => held.length === 2, 'the resumed watch');
    assert.equal(lists().length, 1, 'no relist: every relist scans the whole namespace in the API server');
    assert.equal(held[1]!.query.get('resourceVersion'), '310');
    assert.equal(errors.length, 1);
  });

  test('a failed first list is retried as a list, and a 403 on the watch lists again', async () => {
    api.fail('GET', 503);
    let watched = 0;
    api.onWatch = (watch) => {
      watched += 1;
      if (watched === 1) {
        watch.send({ type: 'ERROR', object: { code: 403, reason: 'Forbidden', message: 'no' } });
        watch.end();
      }
    };
    const clock = new FakeClock();
    start(clock);
    await until(() => clock.requested.length === 1, 'the back-off after the failed list');
    await clock.advance(clock.requested[0]!);
    await until(() => clock.requested.length === 2, 'the back-off after the refused watch');
    await clock.advance(clock.requested[1]!);
    await until(() => watched === 2, 'the watch after the relist');
    assert.equal(lists().length, 3, 'the failed list, its retry, and the relist after the 403');
  });

  test('the back-off resets once a watch delivers an event', async () => {
    let round = 0;
    api.onWatch = (watch) => {
      round += 1;
      if (round === 3) watch.send({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '300' } } });
      watch.end();
    };
    const clock = new FakeClock();
    start(clock);
    await until(() => clock.requested.length === 1, 'first back-off');
    await clock.advance(375);
    await until(() => clock.requested.length === 2, 'second back-off');
    assert.equal(clock.requested[1], 750);
    await clock.advance(750);
    // The third watch delivered an event, then the fourth closed at once: the first step again.
    await until(() => clock.requested.length === 3, 'back-off after the healthy watch');
    assert.equal(clock.requested[2], 375);
  });

  test('the cache keeps what `keep` returns; the handlers get the whole object, and the kept one as previous', async () => {
    const held: HeldWatch[] = [];
    api.onWatch = (watch) => held.push(watch);
    const seen: { object: CheckObject; previous: CheckObject | undefined }[] = [];
    const { informer } = start(
      new FakeClock(),
      {},
      {
        keep: (object) => ({
          ...object,
          metadata: { name: object.metadata.name, resourceVersion: object.metadata.resourceVersion },
        }),
        onUpsert: (object, previous) => seen.push({ object, previous }),
      },
    );
    await until(() => held.length === 1, 'the first watch');
    const object = (resourceVersion: string) => ({
      metadata: { name: 'a', resourceVersion, managedFields: [{ manager: 'kubectl' }], annotations: { big: 'x' } },
      status: { conditions: [] },
    });
    held[0]!.send({ type: 'ADDED', object: object('301') });
    await until(() => seen.length === 1, 'the add');
    assert.deepEqual(seen[0]!.object.metadata.managedFields, [{ manager: 'kubectl' }], 'the handler sees it all');
    assert.deepEqual(informer.cache.get('a')!.metadata, { name: 'a', resourceVersion: '301' });
    assert.deepEqual(informer.cache.get('a')!.status, { conditions: [] }, 'what keep keeps');
    held[0]!.send({ type: 'MODIFIED', object: object('302') });
    await until(() => seen.length === 2, 'the update');
    assert.deepEqual(seen[1]!.previous!.metadata, { name: 'a', resourceVersion: '301' }, 'previous is the kept one');
  });
});
