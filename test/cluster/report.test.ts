// `p2pnc report` against a real kube-apiserver whose checks a real source probed on loopback sockets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { eventually, startCli, type RunningProcess } from '../helpers/process.js';
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

const close = (server: Server) => new Promise((resolve) => server.close(resolve));
const matrixOf = (html: string) => /<section id="matrix">[\s\S]*?<\/section>/.exec(html)?.[0];
const cellState = (html: string, source: string, target: string) => new RegExp(`data-source="${source}" data-target="${target}" data-state="([a-z]+)"`).exec(html)?.[1];

test('report reads the checks from the cluster, and from kubectl get pncc -o json alike', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await listen();
  const closedPort = await listen().then(async (server) => {
    const port = (server.address() as { port: number }).port;
    await close(server);
    return port;
  });
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-report-cluster-'));
  let source: RunningProcess | undefined;
  try {
    const { dir } = synthToTemp({
      cluster: 'report',
      nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
      sources: [
        { name: 'prober', kind: 'Deployment', targets: ['up', 'down'] },
        { name: 'idle', kind: 'Deployment', targets: ['up'] },
      ],
      targets: [
        { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: (up.address() as { port: number }).port },
        { name: 'down', kind: 'endpoint', host: '127.0.0.1', port: closedPort },
      ],
    });
    for (const file of ['foundation.yaml', 'rbac.yaml']) await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);
    await mustKubectl(cluster, ['wait', '--for=condition=Established', 'crd/podnetworkconnectivitychecks.p2pnc.io', '--timeout=60s']);
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
    rmSync(dirname(dir), { recursive: true, force: true });
    const sourceKubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, 'prober'));
    source = startCli(['source', '--source', 'prober', '--namespace', NAMESPACE, '--kubeconfig', sourceKubeconfig, '--metrics-port', '0', '--interval', '2s', '--confirm-retry', '1s', '--lease-duration', '6s']);
    const status = async (name: string) => JSON.parse(await mustKubectl(cluster, ['get', 'pncc', '-n', NAMESPACE, name, '-o', 'json'])).status as CheckStatus | undefined;
    await eventually(async () => ((await status('prober-to-up'))?.successes?.length ? true : undefined), 30_000, 'a success of prober-to-up');
    await eventually(async () => ((await status('prober-to-down'))?.outages?.length ? true : undefined), 30_000, 'an outage of prober-to-down');
    await source.stop();

    const fromCluster = join(work, 'cluster.html');
    const run = spawnSync(process.execPath, ['bin/p2pnc.js', 'report', '--html', fromCluster, '-n', NAMESPACE, '--kubeconfig', cluster.kubeconfig], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `wrote ${fromCluster}: 3 checks; open it in a browser\n`);
    const html = readFileSync(fromCluster, 'utf8');
    assert.match(html, /<p class="summary">namespace p2pnc · as of /);
    assert.equal(cellState(html, 'prober', 'up'), 'reachable');
    assert.equal(cellState(html, 'prober', 'down'), 'unreachable');
    assert.equal(cellState(html, 'idle', 'up'), 'pending');
    assert.equal(cellState(html, 'idle', 'down'), 'none');
    assert.match(html, /<tr data-check="prober-to-down" data-state="unreachable">.*<rect class="outage open" /);

    const listFile = join(work, 'checks.json');
    writeFileSync(listFile, await mustKubectl(cluster, ['get', 'pncc', '-n', NAMESPACE, '-o', 'json']));
    const fromFile = join(work, 'file.html');
    const offline = spawnSync(process.execPath, ['bin/p2pnc.js', 'report', '--html', fromFile, '--from-file', listFile], { encoding: 'utf8' });
    assert.equal(offline.status, 0, offline.stderr);
    assert.ok(matrixOf(html));
    assert.equal(matrixOf(readFileSync(fromFile, 'utf8')), matrixOf(html), 'the same matrix from the saved list');
  } finally {
    await source?.stop('SIGKILL');
    up.close();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
