// The source's /metrics against a real kube-apiserver: the gauges the alert rules read follow the checks as they come
// and go, and the stale sweep reports its count.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { eventually } from '../helpers/process.js';
import { deployChecks, logLines, LoopbackTarget, startSource } from './source-fixtures.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

/** The value of one sample in Prometheus text exposition, or undefined when the series is absent. */
function sample(exposition: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of exposition.split('\n')) {
    const match = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) return Number(match[3]);
  }
  return undefined;
}

test('source metrics follow the checks', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await LoopbackTarget.start();
  const downPort = (await LoopbackTarget.start(false)).port;
  const dir = await deployChecks(cluster, {
    cluster: 'metrics',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [
      { name: 'prober', kind: 'Deployment', targets: ['up', 'down', 'nocert'] },
      { name: 'gone', kind: 'Deployment', targets: ['up'] },
    ],
    targets: [
      { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: up.port },
      { name: 'down', kind: 'endpoint', host: '127.0.0.1', port: downPort },
      // Its client certificate Secret does not exist: an invalid check, not an outage.
      {
        name: 'nocert',
        kind: 'endpoint',
        host: '127.0.0.1',
        port: up.port,
        probe: { kind: 'tls', tlsClientCert: 'no-such-secret' },
      },
    ],
  });
  // A check of a source that no longer runs, last probed three hours ago.
  const threeHoursAgo = new Date(Date.now() - 3 * 3600_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const oldStatus = {
    status: {
      successes: [
        {
          time: threeHoursAgo,
          success: true,
          reason: 'TCPConnect',
          message: 'up: tcp connection succeeded',
          latency: '1ms',
        },
      ],
    },
  };
  await mustKubectl(cluster, [
    'patch',
    'pncc',
    'gone-to-up',
    '-n',
    NAMESPACE,
    '--subresource=status',
    '--type=merge',
    '-p',
    JSON.stringify(oldStatus),
  ]);

  const source = await startSource(cluster, NAMESPACE, 'prober', [
    '--interval',
    '2s',
    '--confirm-retry',
    '1s',
    '--stale-after',
    '1h',
    '--stale-sweep-interval',
    '1s',
    '--lease-duration',
    '6s',
  ]);
  try {
    const port = await eventually(
      async () => logLines(source).find((line) => line.msg === 'source started')?.port as number | undefined,
      30_000,
      'the metrics server',
    );
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const until = (what: string, accept: (exposition: string) => boolean) =>
      eventually(async () => ((text) => (accept(text) ? text : undefined))(await scrape()), 30_000, what);
    const prober = { source: 'prober' };

    await t.test(
      'checks, open outages, probe results and stale checks are exported under the names the alerts use',
      async () => {
        const text = await until(
          'an outage on prober-to-down, the status of both checks written and a stale sweep',
          // Writes are per check and asynchronous to the gauges: wait for both checks' first writes.
          (x) =>
            sample(x, 'p2pnc_open_outages', prober) === 1 &&
            sample(x, 'p2pnc_invalid_checks', prober) === 1 &&
            sample(x, 'p2pnc_stale_checks', prober) !== undefined &&
            (sample(x, 'p2pnc_status_writes_total', { ...prober, result: 'success' }) ?? 0) >= 3,
        );
        assert.equal(sample(text, 'p2pnc_checks', prober), 3);
        assert.equal(sample(text, 'p2pnc_open_outages', prober), 1, 'the invalid check is not counted as an outage');
        assert.equal(
          sample(text, 'p2pnc_stale_checks', prober),
          1,
          'gone-to-up is stale; prober-to-up and prober-to-down are not',
        );
        assert.ok(sample(text, 'p2pnc_probes_total', { ...prober, target_kind: 'endpoint', result: 'success' })! > 0);
        assert.ok(sample(text, 'p2pnc_probes_total', { ...prober, target_kind: 'endpoint', result: 'refused' })! >= 2);
        assert.ok(
          sample(text, 'p2pnc_probe_duration_seconds_bucket', { ...prober, target_kind: 'endpoint', le: '+Inf' })! > 0,
        );
        assert.ok(
          sample(text, 'p2pnc_status_writes_total', { ...prober, result: 'success' })! >= 2,
          'the outage and the first results were written',
        );
      },
    );

    await t.test('deleting a check lowers the check count and closes its outage in the gauge', async () => {
      await mustKubectl(cluster, ['delete', 'pncc', 'prober-to-down', '-n', NAMESPACE]);
      const text = await until('the gauges after the delete', (x) => sample(x, 'p2pnc_checks', prober) === 2);
      assert.equal(sample(text, 'p2pnc_open_outages', prober), 0);
    });

    await t.test('a check added after the start is counted', async () => {
      await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
      await until('the check count back at 3', (x) => sample(x, 'p2pnc_checks', prober) === 3);
    });
  } finally {
    await source.stop('SIGKILL');
    await up.down();
    await cluster.stop();
  }
});
