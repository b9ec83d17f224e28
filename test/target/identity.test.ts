import assert from 'node:assert/strict';
import { test } from 'node:test';
import { identityFromEnv, negotiateFormat, renderIdentity } from '../../src/runtime/target/index.js';

const TIME = new Date('2025-01-02T03:04:05.678Z');

test('identity comes from the Downward API variables; unset or empty is null', () => {
  assert.deepEqual(identityFromEnv({ P2PNC_NODE_NAME: 'worker-a', P2PNC_POD_NAME: 'target-x1' }), {
    node: 'worker-a',
    pod: 'target-x1',
  });
  assert.deepEqual(identityFromEnv({ P2PNC_NODE_NAME: '' }), { node: null, pod: null });
});

test('JSON body: node, pod, time in that order, one line', () => {
  assert.equal(
    renderIdentity({ node: 'worker-a', pod: 'target-x1' }, TIME, 'json'),
    '{"node":"worker-a","pod":"target-x1","time":"2025-01-02T03:04:05.678Z"}\n',
  );
  assert.equal(
    renderIdentity({ node: null, pod: null }, TIME, 'json'),
    '{"node":null,"pod":null,"time":"2025-01-02T03:04:05.678Z"}\n',
  );
});

test('text body: key=value, "-" for unknown', () => {
  assert.equal(
    renderIdentity({ node: 'worker-a', pod: null }, TIME, 'text'),
    'node=worker-a pod=- time=2025-01-02T03:04:05.678Z\n',
  );
});

test('text only when asked for text/plain and not JSON', () => {
  assert.equal(negotiateFormat(undefined), 'json');
  assert.equal(negotiateFormat('*/*'), 'json');
  assert.equal(negotiateFormat('text/plain'), 'text');
  assert.equal(negotiateFormat('Text/Plain; charset=utf-8, */*;q=0.1'), 'text');
  assert.equal(negotiateFormat('application/json, text/plain'), 'json');
});
