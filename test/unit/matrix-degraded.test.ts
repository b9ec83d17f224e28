/** The operator's row of a check carries the source's Degraded verdict, read from a status the reducer wrote. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { toRow } from '../../src/ops/matrix.js';
import { record } from '../../src/runtime/status/reducer.js';
import { ok, timeout } from '../status/helpers.js';

function object(status: CheckStatus): CheckObject {
  return {
    apiVersion: 'p2pnc.io/v1alpha1',
    kind: 'PodNetworkConnectivityCheck',
    metadata: { name: 'prober-to-web', namespace: 'p2pnc' },
    spec: { sourcePod: 'prober', targetEndpoint: '10.0.0.4:6443' },
    status,
  } as CheckObject;
}

test('Degraded=True: the row has the loss figure and when it flipped; a healthy check has none', () => {
  let status: CheckStatus = {};
  for (let i = 0; i < 30; i++) {
    const at = `20:0${Math.floor(i / 30)}:${String((i * 2) % 60).padStart(2, '0')}`;
    status = record(status, i % 4 === 3 ? timeout(at) : ok(at)).status;
  }
  const row = toRow(object(status));
  assert.equal(row.state, 'reachable');
  assert.ok(row.degraded, JSON.stringify(status.conditions));
  const condition = status.conditions?.find((c) => c.type === 'Degraded');
  assert.match(condition?.message ?? '', /^25% of the last 20 probes failed \(5\/20\)$/);
  assert.equal(row.degraded.percent, 25);
  assert.equal(row.degraded.since?.toISOString(), '2021-01-13T20:00:18.000Z', 'the tenth probe, the second failure');
  assert.equal(toRow(object({})).degraded, undefined);
});
