// How p2pnc reads checks from a real kube-apiserver at scale: the operator commands read in pages (a 40,000-check
// namespace is one string too large for JavaScript otherwise), and the source's informer lists from the API server's
// watch cache, so thousands of sources restarting at once never list through to etcd.
import assert from 'node:assert/strict';
import { setMaxListeners } from 'node:events';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { listChecks } from '../../src/ops/cluster-checks.js';
import { LIST_PAGE_SIZE } from '../../src/runtime/kube/list-pages.js';
import { runCli } from '../helpers/process.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { kubeconfigFile } from '../../src/runtime/kube/config.js';
import { Informer } from '../../src/runtime/kube/informer.js';
import { paths, type CheckObject } from '../../src/runtime/kube/resources.js';
import { deployChecks } from './source-fixtures.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';
const EXTRA = 2 * LIST_PAGE_SIZE + 17;
const CHECKS = { group: 'p2pnc.io', resource: 'podnetworkconnectivitychecks' };

/** Sums a counter of the API server's /metrics whose labels match all of `labels`. */
function metricSum(metrics: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

test('checks are read in pages, and the informer lists from the watch cache', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  await deployChecks(cluster, {
    cluster: 'lists',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [{ name: 'api', kind: 'node', port: 6443 }],
  });
  // Many more checks than a page holds, of another source, with managedFields (server-side apply) on each.
  const extra = Array.from({ length: EXTRA }, (_, i) => ({
    apiVersion: 'p2pnc.io/v1alpha1',
    kind: 'PodNetworkConnectivityCheck',
    metadata: {
      name: `bulk-${String(i).padStart(4, '0')}`,
      namespace: NAMESPACE,
      labels: { 'p2pnc.io/source': 'bulk' },
    },
    spec: { sourcePod: 'bulk', targetEndpoint: `127.0.0.1:${1000 + (i % 60000)}` },
  }));
  await mustKubectl(cluster, ['apply', '--server-side', '-f', '-'], {
    input: extra.map((object) => stringify(object)).join('---\n'),
  });

  const client = new KubeClient(kubeconfigFile(cluster.kubeconfig));
  try {
    await t.test('listChecks reads every page, sorted, without managedFields', async () => {
      const all = await listChecks(client, NAMESPACE, { pageSize: 100 });
      assert.equal(all.length, EXTRA + 1);
      assert.deepEqual(
        all.map((check) => check.metadata.name),
        all.map((check) => check.metadata.name).sort((a, b) => a.localeCompare(b)),
      );
      assert.ok(all.every((check) => check.metadata.managedFields === undefined));
      const mine = await listChecks(client, NAMESPACE, { labelSelector: 'p2pnc.io/source=prober' });
      assert.deepEqual(
        mine.map((check) => check.metadata.name),
        ['prober-to-api-node-a'],
      );
    });

    await t.test("the informer's lists are served from the watch cache, not etcd", async () => {
      const metricsBefore = await mustKubectl(cluster, ['get', '--raw', '/metrics']);
      const cacheBefore = metricSum(metricsBefore, 'apiserver_cache_list_total', CHECKS);
      const etcdBefore = metricSum(metricsBefore, 'etcd_requests_total', { ...CHECKS, operation: 'list' });
      const abort = new AbortController();
      setMaxListeners(100, abort.signal);
      const informers = Array.from(
        { length: 20 },
        () =>
          new Informer<CheckObject>(client, paths.checks(NAMESPACE), 'p2pnc.io/source=prober', {
            onUpsert() {},
            onDelete() {},
          }),
      );
      const running = informers.map((informer) => informer.run(abort.signal));
      const deadline = Date.now() + 20_000;
      while (!informers.every((informer) => informer.hasSynced) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      abort.abort();
      await Promise.all(running);
      assert.ok(informers.every((informer) => informer.cache.size === 1));
      const metricsAfter = await mustKubectl(cluster, ['get', '--raw', '/metrics']);
      const cacheAfter = metricSum(metricsAfter, 'apiserver_cache_list_total', CHECKS);
      assert.ok(
        cacheAfter - cacheBefore >= informers.length,
        `every informer list served from the cache (${cacheAfter - cacheBefore} of ${informers.length})`,
      );
      assert.equal(
        metricSum(metricsAfter, 'etcd_requests_total', { ...CHECKS, operation: 'list' }),
        etcdBefore,
        'no list of checks reached etcd',
      );
    });

    await t.test('status --source and --node have the API server pick the checks, not the client', async () => {
      const returned = async () => {
        const metrics = await mustKubectl(cluster, ['get', '--raw', '/metrics']);
        return (
          metricSum(metrics, 'apiserver_cache_list_returned_objects_total', CHECKS) +
          metricSum(metrics, 'apiserver_storage_list_returned_objects_total', CHECKS)
        );
      };
      for (const args of [
        ['--source', 'prober'],
        ['--node', 'node-a'],
        ['--target', 'api'],
      ]) {
        const before = await returned();
        const run = await runCli([
          'status',
          '-n',
          NAMESPACE,
          '--kubeconfig',
          cluster.kubeconfig,
          '-o',
          'json',
          ...args,
        ]);
        assert.equal(run.code, 0, run.output);
        assert.deepEqual(
          JSON.parse(run.output).sources.flatMap((source: { checks: { check: string }[] }) =>
            source.checks.map((row) => row.check),
          ),
          ['prober-to-api-node-a'],
        );
        const read = (await returned()) - before;
        assert.ok(
          read <= 2,
          `${args.join(' ')}: the API server returned ${read} checks, not the namespace's ${EXTRA + 1}`,
        );
      }
      const unknown = await runCli([
        'status',
        '-n',
        NAMESPACE,
        '--kubeconfig',
        cluster.kubeconfig,
        '--source',
        'nosuch',
      ]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.output, /--source "nosuch": no check has this source \(known: bulk, prober\)/);
    });
  } finally {
    client.close();
    await cluster.stop();
  }
});
