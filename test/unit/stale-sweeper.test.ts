// The stale sweep at a given time, against a local HTTPS server that stores checks as kube-apiserver does: a check
// no source probed for staleAfter is marked Stale once, a fresh one is left alone, and a failed mark is reported.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { sweepStaleChecks } from '../../src/runtime/source/stale-sweeper.js';
import { opensslMissing } from '../probe/support/certs.js';
import { LocalApiServer } from './support/api-server.js';

const HOUR = 3_600_000;
const STALE_AFTER = 48 * HOUR;
const NOW = Date.parse('2026-03-10T12:00:00Z');

let api: LocalApiServer;

const probedAt = (at: number): CheckStatus => ({
  successes: [{ time: new Date(at).toISOString(), success: true, reason: 'TCPConnect', latency: '1ms' }],
});

const check = (name: string, status: CheckStatus): CheckObject => ({
  apiVersion: 'p2pnc.io/v1alpha1',
  kind: 'PodNetworkConnectivityCheck',
  metadata: { name, creationTimestamp: new Date(NOW - 30 * 24 * HOUR).toISOString() },
  spec: { sourcePod: 'prober', targetEndpoint: '10.0.0.1:443' },
  status,
});

const staleCondition = (name: string) =>
  api.checks.get(name)?.status?.conditions?.find((condition) => condition.type === 'Stale');

describe('sweepStaleChecks', { skip: opensslMissing() ?? false }, () => {
  before(async () => {
    api = await LocalApiServer.start();
  });
  after(() => api.stop());
  afterEach(() => {
    api.requests.length = 0;
    api.checks.clear();
  });

  test('a check unprobed for staleAfter is marked Stale once; a fresh one is not touched', async () => {
    api.put(check('old', probedAt(NOW - STALE_AFTER - HOUR)));
    api.put(check('fresh', probedAt(NOW - HOUR)));
    const client = api.client();
    try {
      const first = await sweepStaleChecks(client, api.namespace, STALE_AFTER, new Date(NOW));
      assert.deepEqual(first, { marked: ['old'], stale: 1, failed: [] });
      assert.equal(staleCondition('old')?.status, 'True');
      assert.equal(staleCondition('fresh'), undefined);
      const second = await sweepStaleChecks(client, api.namespace, STALE_AFTER, new Date(NOW + HOUR));
      assert.deepEqual(second, { marked: [], stale: 1, failed: [] }, 'still stale, not marked again');
      assert.equal(api.count('PATCH'), 1);
      // Just under staleAfter is fresh.
      api.put(check('almost', probedAt(NOW + HOUR - STALE_AFTER + 1)));
      const third = await sweepStaleChecks(client, api.namespace, STALE_AFTER, new Date(NOW + HOUR));
      assert.deepEqual(third.marked, []);
    } finally {
      client.close();
    }
  });

  test('a mark the API server refuses is reported, not swallowed; a check written meanwhile (409) is left', async () => {
    api.put(check('a', probedAt(NOW - 3 * STALE_AFTER)));
    api.put(check('b', probedAt(NOW - 3 * STALE_AFTER)));
    const client = api.client();
    try {
      api.fail('PATCH', 500);
      api.fail('PATCH', 409);
      const sweep = await sweepStaleChecks(client, api.namespace, STALE_AFTER, new Date(NOW));
      assert.deepEqual(sweep.marked, []);
      assert.equal(sweep.failed.length, 1);
      assert.equal(sweep.failed[0]!.check, 'a');
      assert.match(sweep.failed[0]!.error, /500|scripted failure/);
    } finally {
      client.close();
    }
  });
});
