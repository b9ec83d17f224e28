import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFilter, serverSelectors } from '../../src/ops/filters.js';

test('status filters become label selectors whose union holds every check the filter keeps', () => {
  assert.equal(serverSelectors(parseFilter({})), undefined);
  assert.equal(serverSelectors(parseFilter({ state: 'failing' })), undefined, 'states are not labels');
  assert.deepEqual(serverSelectors(parseFilter({ source: 'mesh,probe' })), ['p2pnc.io/source in (mesh,probe)']);
  assert.deepEqual(serverSelectors(parseFilter({ source: 'probe', target: 'etcd' })), [
    'p2pnc.io/source in (probe),p2pnc.io/target in (etcd)',
  ]);
  assert.deepEqual(serverSelectors(parseFilter({ node: 'worker-a', target: 'etcd' })), [
    'p2pnc.io/target in (etcd),p2pnc.io/source-node in (worker-a)',
    'p2pnc.io/target in (etcd),p2pnc.io/target-node in (worker-a)',
  ]);
  const long = `node-${'x'.repeat(70)}.example.com`;
  const [bySource] = serverSelectors(parseFilter({ node: long }))!;
  const label = /\(([^)]*)\)/.exec(bySource!)![1]!;
  assert.ok(label.length <= 63 && label !== long, 'a node name over 63 characters is selected by its label value');
});
