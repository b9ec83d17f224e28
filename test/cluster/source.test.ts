// The source process against a real kube-apiserver, probing real loopback sockets.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { CheckStatusSchema } from '../../src/api/check.js';
import { eventually, startCli } from '../helpers/process.js';
import { synthToTemp } from '../helpers/synth.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

function listen(port = 0): Promise<Server> {
  const server = createServer((socket) => socket.end());
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function freePort(): Promise<number> {
  const server = await listen();
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('source end to end on loopback', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await listen();
  const upPort = (up.address() as { port: number }).port;
  const downPort = await freePort();
  let down: Server | undefined;
  const { dir } = synthToTemp({
    cluster: 'e2e',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [
      { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: upPort },
      { name: 'down', kind: 'endpoint', host: '127.0.0.1', port: downPort },
      { name: 'nowhere', kind: 'endpoint', host: 'nowhere.p2pnc.invalid', port: 80 },
    ],
  });
  const source = await (async () => {
    for (const file of ['foundation.yaml', 'rbac.yaml', 'workloads.yaml'])
      await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);
    await mustKubectl(cluster, [
      'wait',
      '--for=condition=Established',
      'crd/podnetworkconnectivitychecks.p2pnc.io',
      '--timeout=60s',
    ]);
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
    const kubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, 'prober'));
    return startCli([
      'source',
      '--source',
      'prober',
      '--namespace',
      NAMESPACE,
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      '--interval',
      '2s',
      '--confirm-retry',
      '1s',
      '--lease-duration',
      '6s',
    ]);
  })();
  const status = async (name: string): Promise<CheckStatus | undefined> =>
    JSON.parse(await mustKubectl(cluster, ['get', 'pncc', '-n', NAMESPACE, name, '-o', 'json'])).status as
      CheckStatus | undefined;
  const reachable = (s: CheckStatus | undefined) => s?.conditions?.find((condition) => condition.type === 'Reachable');
  try {
    await t.test('a reachable endpoint gets successes and Reachable=True in OpenShift format', async () => {
      const s = await eventually(
        async () => ((await status('prober-to-up'))?.successes?.length ? status('prober-to-up') : undefined),
        30_000,
        'a success',
      );
      assert.equal(reachable(s)?.status, 'True');
      assert.equal(reachable(s)?.reason, 'TCPConnectSuccess');
      assert.equal(s!.successes![0]!.message, `up: tcp connection to 127.0.0.1:${upPort} succeeded`);
      assert.match(s!.successes![0]!.latency!, /^[\d.]+(ns|µs|ms|s)$/);
      CheckStatusSchema.parse(s);
    });

    let outageStart = '';
    await t.test('a refused endpoint opens a confirmed outage with the first failure as start', async () => {
      const s = await eventually(
        async () => ((await status('prober-to-down'))?.outages?.length ? status('prober-to-down') : undefined),
        30_000,
        'an outage',
      );
      assert.equal(reachable(s)?.status, 'False');
      assert.equal(reachable(s)?.reason, 'TCPConnectError');
      const failures = s!.failures!;
      assert.ok(failures.length >= 2, 'confirmed by a second failure');
      assert.equal(
        failures[0]!.message,
        `down: failed to establish a TCP connection to 127.0.0.1:${downPort}: dial tcp 127.0.0.1:${downPort}: connect: connection refused`,
      );
      const outage = s!.outages![0]!;
      assert.equal(outage.start, failures[failures.length - 1]!.time, 'starts at the first failure');
      assert.equal(outage.end, undefined);
      assert.match(outage.message!, /^Connectivity outage detected at /);
      outageStart = outage.start!;
      const events = JSON.parse(
        await mustKubectl(cluster, [
          'get',
          'events',
          '-n',
          NAMESPACE,
          '--field-selector',
          'involvedObject.name=prober-to-down',
          '-o',
          'json',
        ]),
      );
      assert.ok(
        events.items.some(
          (event: { reason: string; type: string }) =>
            event.reason === 'ConnectivityOutageDetected' && event.type === 'Warning',
        ),
      );
    });

    await t.test('healing closes the outage with the restored message and flips Reachable', async () => {
      down = await listen(downPort);
      const s = await eventually(
        async () => ((await status('prober-to-down'))?.outages?.[0]?.end ? status('prober-to-down') : undefined),
        30_000,
        'the outage to close',
      );
      const outage = s!.outages![0]!;
      assert.equal(outage.start, outageStart);
      assert.match(outage.message!, /^Connectivity restored after \d/);
      assert.equal(outage.endLogs![0]!.success, true);
      assert.equal(reachable(s)?.status, 'True');
      assert.equal(reachable(s)?.lastTransitionTime, outage.end);
    });

    await t.test('an unresolvable name fails as DNSError', async () => {
      const s = await eventually(
        async () => ((await status('prober-to-nowhere'))?.failures?.length ? status('prober-to-nowhere') : undefined),
        30_000,
        'a failure',
      );
      assert.equal(s!.failures![0]!.reason, 'DNSError');
      assert.match(s!.failures![0]!.message!, /^nowhere: failure looking up host nowhere\.p2pnc\.invalid: /);
    });

    await t.test('SIGTERM writes pending results before exit', async () => {
      const before = (await status('prober-to-up'))!.successes!.length;
      const code = await source.stop('SIGTERM');
      assert.equal(code, 0, source.output());
      assert.match(source.output(), /"msg":"stopped probing; pending status written".*"unwritten":0/);
      const after = (await status('prober-to-up'))!.successes!.length;
      assert.ok(after >= before);
    });
  } finally {
    await source.stop('SIGKILL');
    up.close();
    down?.close();
    await cluster.stop();
  }
});
