// Check shards on the real API server: on a large cluster the per-node sources' checks are spread over namespaces
// <namespace>-checks-<n>, so each source's label-selected list scans one share (api/check-shards.ts). Each source
// finds its shard from its node name, with only the rights synth's RBAC gives it; the Deployment source's leader
// sweeps every shard; the operator commands read them all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkNamespaceOf, checkShardNames, LABEL_CHECKS_OF } from '../../src/api/check-shards.js';
import { eventually, runCli } from '../helpers/process.js';
import { deployChecks, LoopbackTarget, readChecks, reachable, startSource, statusWhen } from './source-fixtures.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';
const SHARDS = 3;
// Node names whose shards differ (node-1: 2, node-3: 0, node-5: 1), so every shard is used.
const NODES = ['node-1', 'node-3', 'node-5'];

test('per-node sources read and write their own check shard; the sweep and status cover every shard', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await LoopbackTarget.start();
  await deployChecks(cluster, {
    cluster: 'shards',
    nodes: NODES.map((name, i) => ({ name, addresses: [`127.0.0.${i + 1}`] })),
    sources: [
      { name: 'mesh', kind: 'DaemonSet', targets: ['up'] },
      { name: 'prober', kind: 'Deployment', targets: ['up'] },
    ],
    targets: [{ name: 'up', kind: 'endpoint', host: '127.0.0.1', port: up.port }],
    checkShards: SHARDS,
  });
  const shardOf = (node: string) => checkNamespaceOf(NAMESPACE, node, SHARDS);
  const sources = [
    await startSource(cluster, NAMESPACE, 'mesh', [
      '--per-node',
      '--node',
      'node-1',
      '--check-shards',
      String(SHARDS),
      '--interval',
      '2s',
    ]),
  ];
  try {
    await t.test(
      "synth puts each per-node check in its node's shard, and the Deployment's in the namespace",
      async () => {
        const shards = JSON.parse(
          await mustKubectl(cluster, ['get', 'namespaces', '-l', `${LABEL_CHECKS_OF}=${NAMESPACE}`, '-o', 'json']),
        ) as { items: { metadata: { name: string } }[] };
        assert.deepEqual(shards.items.map((item) => item.metadata.name).sort(), checkShardNames(NAMESPACE, SHARDS));
        assert.deepEqual(
          (await readChecks(cluster, NAMESPACE)).map((check) => check.metadata.name),
          ['prober-to-up'],
        );
        for (const node of NODES)
          assert.deepEqual(
            (await readChecks(cluster, shardOf(node))).map((check) => check.metadata.name),
            [`mesh-${node}-to-up`],
          );
      },
    );

    await t.test("a per-node source finds its node's shard and writes its checks' status there", async () => {
      const status = await statusWhen(
        cluster,
        shardOf('node-1'),
        'mesh-node-1-to-up',
        (s) => reachable(s)?.status === 'True',
        30_000,
        'Reachable',
      );
      assert.ok((status.successes ?? []).length > 0);
      const others = await readChecks(cluster, shardOf('node-3'));
      assert.equal(others[0]!.status, undefined, "another node's check is not this source's");
    });

    await t.test("the Deployment source's leader marks stale checks in every shard", async () => {
      sources.push(
        await startSource(cluster, NAMESPACE, 'prober', [
          '--check-shards',
          String(SHARDS),
          '--interval',
          '2s',
          '--lease-duration',
          '6s',
          '--stale-after',
          '5s',
          '--stale-sweep-interval',
          '1s',
        ]),
      );
      // node-3's and node-5's sources never ran: their checks, each in its own shard, go stale.
      for (const node of ['node-3', 'node-5'])
        await statusWhen(
          cluster,
          shardOf(node),
          `mesh-${node}-to-up`,
          (s) => s.conditions?.some((c) => c.type === 'Stale' && c.status === 'True') ?? false,
          30_000,
          'Stale',
        );
    });

    await t.test('p2pnc status reads the namespace and every shard', async () => {
      const run = await eventually(
        async () => {
          const result = await runCli(['status', '-n', NAMESPACE, '--kubeconfig', cluster.kubeconfig, '-o', 'json']);
          return result.code === 0 || result.code === 1 ? result : undefined;
        },
        10_000,
        'status',
      );
      const document = JSON.parse(run.output) as {
        summary: { checks: number };
        sources: { checks: { check: string }[] }[];
      };
      const names = document.sources.flatMap((source) => source.checks.map((check) => check.check)).sort();
      assert.deepEqual(names, ['mesh-node-1-to-up', 'mesh-node-3-to-up', 'mesh-node-5-to-up', 'prober-to-up']);
      assert.equal(document.summary.checks, 4);
    });

    await t.test('an operator who may read the checks but not list namespaces still gets every shard', async () => {
      const viewer = [
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'viewer', namespace: NAMESPACE } },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: 'p2pnc-check-viewer' },
          rules: [
            { apiGroups: ['p2pnc.io'], resources: ['podnetworkconnectivitychecks'], verbs: ['get', 'list'] },
            { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list'] },
          ],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'p2pnc-check-viewer' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'p2pnc-check-viewer' },
          subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: NAMESPACE }],
        },
      ];
      await mustKubectl(cluster, ['apply', '-f', '-'], {
        input: viewer.map((object) => JSON.stringify(object)).join('\n'),
      });
      const kubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, 'viewer'));
      const run = await eventually(
        async () => {
          const result = await runCli(['status', '-n', NAMESPACE, '--kubeconfig', kubeconfig, '-o', 'json']);
          return result.code === 0 ? result : undefined;
        },
        10_000,
        'status as the viewer',
      );
      const document = JSON.parse(run.output) as { sources: { checks: { check: string }[] }[] };
      assert.deepEqual(document.sources.flatMap((source) => source.checks.map((check) => check.check)).sort(), [
        'mesh-node-1-to-up',
        'mesh-node-3-to-up',
        'mesh-node-5-to-up',
        'prober-to-up',
      ]);
    });
  } finally {
    for (const source of sources) await source.stop();
    await up.down();
    await cluster.stop();
  }
});
