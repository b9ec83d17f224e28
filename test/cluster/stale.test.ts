// Stale checks: the source leader marks checks nobody probes, and `p2pnc prune` deletes them.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { kubeconfigFile } from '../../src/runtime/kube/config.js';
import { sweepStaleChecks } from '../../src/runtime/source/stale-sweeper.js';
import { eventually, startCli } from '../helpers/process.js';
import { synthToTemp } from '../helpers/synth.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

test('stale checks are marked and pruned', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const { dir } = synthToTemp({
    cluster: 'stale',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [
      { name: 'prober', kind: 'Deployment', targets: ['lb'] },
      { name: 'gone', kind: 'Deployment', targets: ['lb', 'api'] },
    ],
    targets: [
      { name: 'lb', kind: 'endpoint', host: '127.0.0.1', port: 9 },
      { name: 'api', kind: 'endpoint', host: '127.0.0.1', port: 10 },
    ],
  });
  for (const file of ['foundation.yaml', 'rbac.yaml'])
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);
  await mustKubectl(cluster, [
    'wait',
    '--for=condition=Established',
    'crd/podnetworkconnectivitychecks.p2pnc.io',
    '--timeout=60s',
  ]);
  await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
  const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const oldStatus = {
    status: {
      successes: [
        {
          time: threeHoursAgo,
          success: true,
          reason: 'TCPConnect',
          message: 'lb: tcp connection to 127.0.0.1:9 succeeded',
          latency: '1ms',
        },
      ],
    },
  };
  await mustKubectl(cluster, [
    'patch',
    'pncc',
    'gone-to-lb',
    '-n',
    NAMESPACE,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(oldStatus),
  ]);
  const admin = cluster.kubeconfig;
  const source = startCli([
    'source',
    '--source',
    'prober',
    '--namespace',
    NAMESPACE,
    '--kubeconfig',
    await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, 'prober')),
    '--metrics-port',
    '0',
    '--interval',
    '2s',
    '--stale-after',
    '1h',
    '--stale-sweep-interval',
    '1s',
    '--lease-duration',
    '6s',
  ]);
  const conditions = async (name: string) =>
    JSON.parse(await mustKubectl(cluster, ['get', 'pncc', name, '-n', NAMESPACE, '-o', 'json'])).status?.conditions ??
    [];
  try {
    await t.test('the leader marks a check no source probed for longer than --stale-after', async () => {
      const stale = await eventually(
        async () => (await conditions('gone-to-lb')).find((c: { type: string }) => c.type === 'Stale'),
        30_000,
        'the Stale condition',
      );
      assert.equal(stale.status, 'True');
      assert.equal(stale.reason, 'NoRecentProbe');
      assert.match(stale.message, /^no source has probed this check since /);
      assert.ok(
        !(await conditions('prober-to-lb')).some((c: { type: string }) => c.type === 'Stale'),
        'a probed check is not stale',
      );
      assert.ok(
        !(await conditions('gone-to-api')).some((c: { type: string }) => c.type === 'Stale'),
        'a new, never probed check is not stale yet',
      );
    });

    await t.test('p2pnc prune --inactive deletes only inactive checks; --dry-run deletes nothing', () => {
      const prune = (...extra: string[]) =>
        spawnSync(
          process.execPath,
          ['bin/p2pnc.js', 'prune', '--inactive', '1h', '-n', NAMESPACE, '--kubeconfig', admin, ...extra],
          { encoding: 'utf8' },
        );
      const dry = prune('--dry-run');
      assert.equal(dry.status, 0, dry.stderr);
      assert.match(dry.stdout, /^would delete gone-to-lb \(last probed .*Z\)$/m);
      assert.match(dry.stdout, /1 of 3 checks inactive for 1h \(dry run\)/);
      const real = prune();
      assert.equal(real.status, 0, real.stderr);
      assert.match(real.stdout, /^deleted gone-to-lb/m);
      const bad = prune('--inactive', 'soon');
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--inactive must be a Go duration such as 48h, got "soon"/);
    });

    await t.test('only the inactive check is gone', async () => {
      const names = (await mustKubectl(cluster, ['get', 'pncc', '-n', NAMESPACE, '-o', 'name']))
        .trim()
        .split('\n')
        .sort();
      assert.deepEqual(names, [
        'podnetworkconnectivitycheck.p2pnc.io/gone-to-api',
        'podnetworkconnectivitycheck.p2pnc.io/prober-to-lb',
      ]);
    });

    await t.test('a sweep that may not mark a check says so instead of swallowing the 403', async () => {
      const namespace = 'sweep-rbac';
      const reader = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace } };
      const role = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'reader', namespace },
        rules: [{ apiGroups: ['p2pnc.io'], resources: ['podnetworkconnectivitychecks'], verbs: ['get', 'list'] }],
      };
      const binding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'reader', namespace },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace }],
      };
      const check = {
        apiVersion: 'p2pnc.io/v1alpha1',
        kind: 'PodNetworkConnectivityCheck',
        metadata: { name: 'old', namespace },
        spec: { sourcePod: 'x', targetEndpoint: '127.0.0.1:9' },
      };
      await mustKubectl(cluster, ['create', 'namespace', namespace]);
      await mustKubectl(cluster, ['apply', '--server-side', '-f', '-'], {
        input: [reader, role, binding, check].map((object) => JSON.stringify(object)).join('\n'),
      });
      await mustKubectl(cluster, [
        'patch',
        'pncc',
        'old',
        '-n',
        namespace,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify(oldStatus),
      ]);
      const client = new KubeClient(
        kubeconfigFile(await cluster.kubeconfigFor(await cluster.tokenFor(namespace, 'reader'))),
      );
      try {
        const sweep = await sweepStaleChecks(client, namespace, 3600_000);
        assert.deepEqual(sweep.marked, []);
        assert.equal(sweep.stale, 1, 'it is stale, even if this sweep could not mark it');
        assert.equal(sweep.failed.length, 1);
        assert.equal(sweep.failed[0]!.check, 'old');
        assert.match(sweep.failed[0]!.error, /forbidden/);
      } finally {
        client.close();
      }
    });
  } finally {
    await source.stop('SIGKILL');
    await cluster.stop();
  }
});
