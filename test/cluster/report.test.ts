// `p2pnc report` against a real kube-apiserver whose checks a real source probed on loopback sockets.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { RunningProcess } from '../helpers/process.js';
import { cellState } from '../report/fixtures.js';
import { deployChecks, LoopbackTarget, startSource, statusWhen } from './source-fixtures.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

const matrixOf = (html: string) => /<section id="matrix">[\s\S]*?<\/section>/.exec(html)?.[0];

test('report reads the checks from the cluster, and from kubectl get pncc -o json alike', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const up = await LoopbackTarget.start();
  const closedPort = (await LoopbackTarget.start(false)).port;
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-report-cluster-'));
  let source: RunningProcess | undefined;
  try {
    const dir = await deployChecks(cluster, {
      cluster: 'report',
      nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
      sources: [
        { name: 'prober', kind: 'Deployment', targets: ['up', 'down'] },
        { name: 'idle', kind: 'Deployment', targets: ['up'] },
      ],
      targets: [
        { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: up.port },
        { name: 'down', kind: 'endpoint', host: '127.0.0.1', port: closedPort },
      ],
    });
    rmSync(dirname(dir), { recursive: true, force: true });
    source = await startSource(cluster, NAMESPACE, 'prober', [
      '--interval',
      '2s',
      '--confirm-retry',
      '1s',
      '--lease-duration',
      '6s',
    ]);
    await statusWhen(
      cluster,
      NAMESPACE,
      'prober-to-up',
      (status) => Boolean(status.successes?.length),
      30_000,
      'a success',
    );
    await statusWhen(
      cluster,
      NAMESPACE,
      'prober-to-down',
      (status) => Boolean(status.outages?.length),
      30_000,
      'an outage',
    );
    await source.stop();

    const fromCluster = join(work, 'cluster.html');
    const run = spawnSync(
      process.execPath,
      ['bin/p2pnc.js', 'report', '--html', fromCluster, '-n', NAMESPACE, '--kubeconfig', cluster.kubeconfig],
      { encoding: 'utf8' },
    );
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
    const offline = spawnSync(
      process.execPath,
      ['bin/p2pnc.js', 'report', '--html', fromFile, '--from-file', listFile],
      { encoding: 'utf8' },
    );
    assert.equal(offline.status, 0, offline.stderr);
    assert.ok(matrixOf(html));
    assert.equal(matrixOf(readFileSync(fromFile, 'utf8')), matrixOf(html), 'the same matrix from the saved list');
  } finally {
    await source?.stop('SIGKILL');
    await up.down();
    await cluster.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
