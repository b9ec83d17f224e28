// Event recording against an in-memory events API (the API server is not the subject; the blackout suite runs the
// same code against a real one).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KubeApiError, type KubeClient } from '../../src/runtime/kube/client.js';
import { EventRecorder } from '../../src/runtime/kube/events.js';

/** Accepts events unless `down` says what to throw. */
class EventsApi {
  readonly received: Array<{ reason: string; message: string }> = [];
  down: (() => Error) | undefined;

  client(): KubeClient {
    return {
      request: async (_method: string, _path: string, options: { body?: unknown } = {}) => {
        if (this.down) throw this.down();
        const body = options.body as { reason: string; message: string };
        this.received.push({ reason: body.reason, message: body.message });
        return body;
      },
    } as unknown as KubeClient;
  }
}

const check = { name: 'prober-to-lb', namespace: 'p2pnc', uid: 'u' };
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });

test('events the API server could not take are sent in order when it answers again', async () => {
  const api = new EventsApi();
  const events = new EventRecorder(api.client(), { component: 'p2pnc-source', instance: 'pod-a' });
  api.down = unreachable;
  await assert.rejects(events.record(check, 'Warning', 'ConnectivityOutageDetected', 'outage'), /ECONNREFUSED/);
  assert.equal(
    await events.record(check, 'Normal', 'ConnectivityRestored', 'restored'),
    true,
    'queued behind the first',
  );
  assert.equal(events.pendingEvents, 2);
  await events.sendPending();
  assert.equal(events.pendingEvents, 2, 'still down: kept');
  api.down = undefined;
  await events.sendPending();
  assert.deepEqual(
    api.received.map((event) => event.reason),
    ['ConnectivityOutageDetected', 'ConnectivityRestored'],
  );
  assert.equal(events.pendingEvents, 0);
});

test('while the API server is away the newest events are kept, up to the bound', async () => {
  const api = new EventsApi();
  const events = new EventRecorder(api.client(), {
    component: 'p2pnc-source',
    instance: 'pod-a',
    maxPending: 3,
    burst: 100,
  });
  api.down = () => new KubeApiError(503, 'ServiceUnavailable', 'etcd is down');
  for (let index = 0; index < 5; index += 1)
    await events.record(check, 'Warning', 'ConnectivityOutageDetected', `outage ${index}`).catch(() => undefined);
  api.down = undefined;
  await events.sendPending();
  assert.deepEqual(
    api.received.map((event) => event.message),
    ['outage 2', 'outage 3', 'outage 4'],
  );
  assert.equal(events.droppedEvents, 2);
});

test('an event the API server rejects is not kept for retry', async () => {
  const api = new EventsApi();
  const events = new EventRecorder(api.client(), { component: 'p2pnc-source', instance: 'pod-a' });
  api.down = () => new KubeApiError(403, 'Forbidden', 'events is forbidden');
  await assert.rejects(events.record(check, 'Warning', 'ConnectivityOutageDetected', 'outage'), /forbidden/);
  assert.equal(events.pendingEvents, 0);
});
