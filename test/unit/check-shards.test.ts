// Check shards: where a per-node source's checks live on a large cluster (api/check-shards.ts), as synth places them
// and as the runtime finds them from its node name alone.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  checkNamespaceOf,
  checkShardNames,
  maxShardedNamespaceLength,
  LABEL_CHECKS_OF,
} from '../../src/api/check-shards.js';
import { checkShards } from '../../src/topology/cluster-size.js';
import { expand } from '../../src/topology/expand.js';
import { TopologySchema, type TopologyInput } from '../../src/topology/schema.js';
import { synthToTemp } from '../helpers/synth.js';

function cluster(nodes: number, extra: Partial<TopologyInput> = {}): TopologyInput {
  return {
    cluster: 'sharded',
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${i}.example.com`,
      addresses: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`],
      roles: ['worker'],
    })),
    sources: [
      { name: 'probe', kind: 'Deployment' },
      { name: 'mesh', kind: 'DaemonSet', mesh: { neighbours: 1 } },
    ],
    targets: [
      { name: 'api', kind: 'endpoint', host: 'api.example.com', port: 6443 },
      { name: 'network-check-target', kind: 'p2pnc-target' },
    ],
    ...extra,
  };
}

describe('checkNamespaceOf', () => {
  test('one shard keeps every check in the namespace', () => {
    assert.equal(checkNamespaceOf('p2pnc', 'node-1', 1), 'p2pnc');
    assert.deepEqual(checkShardNames('p2pnc', 1), []);
  });

  test('a node always lands in the same shard, and 5,000 nodes spread evenly over 50', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 5000; i++) {
      const shard = checkNamespaceOf('p2pnc', `node-${i}.example.com`, 50);
      assert.equal(checkNamespaceOf('p2pnc', `node-${i}.example.com`, 50), shard);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    assert.deepEqual([...counts.keys()].sort(), checkShardNames('p2pnc', 50).sort());
    for (const [shard, count] of counts) assert.ok(count > 60 && count < 140, `${shard}: ${count} of 5,000 nodes`);
  });
});

describe('the size class', () => {
  test('one namespace up to 1,000 nodes, one shard per 100 nodes beyond; the topology overrides', () => {
    const at = (nodes: number, extra: Partial<TopologyInput> = {}) =>
      checkShards(TopologySchema.parse(cluster(nodes, extra)));
    assert.equal(at(1000), 1);
    assert.equal(at(1001), 11);
    assert.equal(at(5000), 50);
    assert.equal(at(3, { checkShards: 4 }), 4);
    assert.equal(at(5000, { checkShards: 1 }), 1);
  });

  test('a namespace too long for its shard names is refused, saying what to change', () => {
    const namespace = 'n'.repeat(maxShardedNamespaceLength(20) + 1);
    const result = TopologySchema.safeParse(cluster(3, { namespace, checkShards: 20 }));
    assert.equal(result.success, false);
    const issue = result.error!.issues.find((candidate) => candidate.path.join('.') === 'namespace');
    assert.match(issue!.message, /with 20 check shards the namespace can have at most 53 characters/);
    assert.ok(TopologySchema.safeParse(cluster(3, { namespace: 'n'.repeat(53), checkShards: 20 })).success);
  });
});

describe('synth', () => {
  const input = cluster(6, { checkShards: 3 });
  const { objects, dir } = synthToTemp(input);
  const topology = TopologySchema.parse(input);

  test("each per-node check is in its source node's shard; other checks stay in the namespace", () => {
    for (const planned of expand(topology)) {
      const node = planned.spec.source?.node;
      const expected = planned.spec.source?.name === 'mesh' ? checkNamespaceOf('p2pnc', node!, 3) : 'p2pnc';
      const object = objects.find(
        (candidate) => candidate.kind === 'PodNetworkConnectivityCheck' && candidate.metadata.name === planned.name,
      );
      assert.equal(object?.metadata.namespace, expected, planned.name);
    }
  });

  test("the kustomization sets no namespace: it would move the shards' checks into the namespace", () => {
    const kustomization = readFileSync(join(dir, 'kustomization.yaml'), 'utf8');
    assert.doesNotMatch(kustomization, /^namespace:/m);
    assert.match(readFileSync(join(synthToTemp(cluster(6)).dir, 'kustomization.yaml'), 'utf8'), /^namespace: p2pnc$/m);
  });

  test('the shards are restricted namespaces labelled with their namespace', () => {
    const namespaces = objects.filter((object) => object.kind === 'Namespace');
    for (const shard of checkShardNames('p2pnc', 3)) {
      const object = namespaces.find((candidate) => candidate.metadata.name === shard);
      assert.equal(object?.metadata.labels?.[LABEL_CHECKS_OF], 'p2pnc', shard);
      assert.equal(object?.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'restricted');
    }
  });

  test('every source may read its checks, patch their status and create events in each shard, nothing else', () => {
    for (const shard of checkShardNames('p2pnc', 3)) {
      const role = objects.find((object) => object.kind === 'Role' && object.metadata.namespace === shard);
      assert.deepEqual(
        role?.rules.map((rule: { resources: string[]; verbs: string[] }) => `${rule.resources}: ${rule.verbs}`),
        [
          'podnetworkconnectivitychecks: get,list,watch',
          'podnetworkconnectivitychecks/status: patch',
          'events: create',
        ],
      );
      const binding = objects.find((object) => object.kind === 'RoleBinding' && object.metadata.namespace === shard);
      assert.deepEqual(
        binding?.subjects.map((subject: { name: string }) => subject.name),
        ['probe', 'mesh'],
      );
    }
  });

  test('both sources are told the shard count; a small cluster has no shards and no flag', () => {
    const args = (from: typeof objects) =>
      from
        .filter((object) => ['probe', 'mesh'].includes(object.metadata.name) && object.spec?.template)
        .map((object) => object.spec.template.spec.containers[0].args.join(' '));
    assert.deepEqual(args(objects), [
      'source --source probe --check-shards 3',
      'source --source mesh --per-node --check-shards 3',
    ]);
    const small = synthToTemp(cluster(6)).objects;
    assert.deepEqual(args(small), ['source --source probe', 'source --source mesh --per-node']);
    assert.equal(small.filter((object) => object.kind === 'Namespace').length, 1);
  });
});
