// The real source against a real kube-apiserver obeys each check's spec: it keeps only `history.entries` entries and
// writes a healthy check at most once per `refreshInterval`, while a transition is written at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  deployChecks,
  LoopbackTarget,
  readCheck,
  reachable,
  sleep,
  startSource,
  statusWhen,
} from './source-fixtures.js';
import { startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

test('the source keeps the history and refresh its checks ask for', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await LoopbackTarget.start();
  const flaky = await LoopbackTarget.start();
  await deployChecks(cluster, {
    cluster: 'history',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [
      { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: up.port },
      { name: 'flaky', kind: 'endpoint', host: '127.0.0.1', port: flaky.port },
    ],
    checkStatus: { entries: 3, outages: 1, refreshInterval: '1h' },
  });
  const source = await startSource(cluster, NAMESPACE, 'prober', [
    '--interval',
    '1s',
    '--confirm-retry',
    '500ms',
    '--lease-duration',
    '6s',
    '--steady-write-interval',
    '2s',
  ]);
  try {
    const first = await statusWhen(
      cluster,
      NAMESPACE,
      'prober-to-up',
      (status) => reachable(status)?.status === 'True',
      30_000,
      'Reachable',
    );
    const firstVersion = (await readCheck(cluster, NAMESPACE, 'prober-to-up')).metadata.resourceVersion;
    assert.ok((first.successes?.length ?? 0) <= 3);

    // Two outages of the flaky target: only the newest is kept, and each transition is written within seconds.
    for (let round = 0; round < 2; round++) {
      await flaky.down();
      await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-flaky',
        (status) => reachable(status)?.status === 'False',
        20_000,
        `outage ${round + 1}`,
      );
      await flaky.up();
      await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-flaky',
        (status) => reachable(status)?.status === 'True' && status.outages?.[0]?.end != null,
        20_000,
        `restore ${round + 1}`,
      );
    }
    const flakyStatus = (await readCheck(cluster, NAMESPACE, 'prober-to-flaky')).status!;
    assert.equal(flakyStatus.outages?.length, 1, 'one outage kept');
    assert.ok(
      (flakyStatus.successes?.length ?? 0) <= 3 && (flakyStatus.failures?.length ?? 0) <= 3,
      JSON.stringify(flakyStatus),
    );

    // Meanwhile the healthy check was probed every second for well over 10 s, and never rewritten: its spec's 1h
    // refresh beats the source's --steady-write-interval of 2s, which applies to checks whose spec sets none.
    await sleep(2000);
    assert.equal(
      (await readCheck(cluster, NAMESPACE, 'prober-to-up')).metadata.resourceVersion,
      firstVersion,
      'no steady write inside the refresh interval',
    );
  } finally {
    await source.stop();
    await up.down();
    await flaky.down();
    await cluster.stop();
  }
});
