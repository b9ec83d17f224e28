// `p2pnc status` core: rows from check objects, filters, and the table/wide/json/yaml renderings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { applyFilter, parseFilter } from '../../src/ops/filters.js';
import { ANSI, PLAIN, wantsColour } from '../../src/ops/format.js';
import { toRows } from '../../src/ops/matrix.js';
import { renderStatus, statusDocument, type StatusReport } from '../../src/ops/render-status.js';
import type { CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { markStale, record } from '../../src/runtime/status/reducer.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { UsageError } from '../../src/util/errors.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import {
  checksOf,
  invalidOutcome,
  NOW,
  ok,
  openshiftTopology,
  refused,
  statusFor,
  timeout,
  withStatuses,
} from './support.js';

const minutesAgo = (count: number) => new Date(NOW.getTime() - count * 60_000);

/** Every state a check can be in, on the OpenShift example. */
async function matrixChecks(): Promise<CheckObject[]> {
  const checks = withStatuses(checksOf(openshiftTopology()), { 'kubernetes-apiserver-endpoint-master-1': refused });
  const byName = (suffix: string) => checks.find((check) => check.metadata.name.endsWith(suffix))!;
  // One failed probe on a check never reached before: not confirmed, Reachable Unknown.
  const registry = byName('-to-registry');
  registry.status = record(undefined, refused(registry, minutesAgo(1))).status;
  // An outage from 23 to 20 minutes ago, closed since.
  const internal = byName('-to-load-balancer-api-internal');
  let history: CheckStatus | undefined;
  for (let ago = 30; ago >= 0; ago--)
    history = record(history, (ago > 20 && ago <= 23 ? timeout : ok)(internal, minutesAgo(ago))).status;
  internal.status = history!;
  // A check the source cannot probe: no target pod on the node.
  const onWorkerC = byName('-to-network-check-target-worker-c');
  onWorkerC.status = statusFor(onWorkerC, await invalidOutcome(onWorkerC), { failingFor: 2 });
  // Never probed, and marked Stale.
  delete byName('-to-openshift-apiserver-service-cluster').status;
  const stale = byName('-to-load-balancer-api-external');
  stale.status = markStale(
    statusFor(stale, undefined, { lastProbeMinutesAgo: 3000 }),
    minutesAgo(3000),
    NOW,
    48 * 3600_000,
  );
  return checks;
}

async function report(): Promise<StatusReport> {
  return { time: NOW, rows: toRows(await matrixChecks()) };
}

describe('rows', () => {
  test('each check gets its state, latency, last change, open outage and outage count', async () => {
    const rows = new Map(
      (await report()).rows.map((row) => [row.check.replace('network-check-source-worker-b-to-', ''), row]),
    );
    const summary = (name: string) => {
      const row = rows.get(name)!;
      return {
        state: row.state,
        latency: row.lastProbe?.latency,
        changed: row.changedAt?.toISOString(),
        open: row.openOutage?.start.toISOString(),
        outages: row.outages,
      };
    };
    assert.deepEqual(summary('kubernetes-apiserver-endpoint-master-0'), {
      state: 'reachable',
      latency: '1.234567ms',
      changed: '2026-11-23T09:30:00.000Z',
      open: undefined,
      outages: 0,
    });
    assert.deepEqual(summary('kubernetes-apiserver-endpoint-master-1'), {
      state: 'unreachable',
      latency: '3.5ms',
      changed: '2026-11-23T09:56:00.000Z',
      open: '2026-11-23T09:56:00.000Z',
      outages: 1,
    });
    assert.deepEqual(summary('registry'), {
      state: 'unknown',
      latency: '3.5ms',
      changed: '2026-11-23T09:59:00.000Z',
      open: undefined,
      outages: 0,
    });
    assert.deepEqual(summary('load-balancer-api-internal'), {
      state: 'reachable',
      latency: '1.234567ms',
      changed: '2026-11-23T09:40:00.000Z',
      open: undefined,
      outages: 1,
    });
    assert.equal(rows.get('network-check-target-worker-c')!.state, 'invalid');
    assert.equal(rows.get('openshift-apiserver-service-cluster')!.state, 'pending');
    assert.equal(rows.get('load-balancer-api-external')!.state, 'stale');
  });

  test('rows are ordered by source, source node, target and target node; identity comes from the spec', async () => {
    const rows = (await report()).rows;
    const targets = rows.map((row) => `${row.target.name}/${row.target.node ?? ''}`);
    assert.deepEqual(targets, [...targets].sort());
    const master = rows.find((row) => row.target.node === 'master-1')!;
    assert.deepEqual(master.source, { name: 'network-check-source', node: 'worker-b' });
    assert.deepEqual(master.target.nodeRoles, ['master']);
    assert.equal(
      rows.find((row) => row.target.name === 'load-balancer-api-external')!.target.backends,
      'kubernetes-apiserver-endpoint',
    );
  });
});

test("checks written by other tools (OpenShift's spec only) get their identity from the name", () => {
  const [row] = toRows([
    {
      apiVersion: 'controlplane.operator.openshift.io/v1alpha1',
      kind: 'PodNetworkConnectivityCheck',
      metadata: { name: 'network-check-source-ci-worker-b-to-load-balancer-api-external' },
      spec: { sourcePod: 'network-check-source-7f9c-x2k4', targetEndpoint: 'api.example.com:6443' },
    },
  ]);
  assert.deepEqual(
    [row!.source, row!.target, row!.dnsName, row!.state],
    [
      { name: 'network-check-source-7f9c-x2k4' },
      { name: 'load-balancer-api-external', kind: 'endpoint', nodeRoles: [] },
      'api.example.com',
      'pending',
    ],
  );
});

describe('renderings', () => {
  test('table', async () => matchSnapshot('ops/status-table.txt', renderStatus(await report(), 'table', PLAIN)));
  test('wide', async () => matchSnapshot('ops/status-wide.txt', renderStatus(await report(), 'wide', PLAIN)));
  test('json', async () => matchSnapshot('ops/status.json', renderStatus(await report(), 'json', PLAIN)));
  test('yaml', async () => matchSnapshot('ops/status.yaml', renderStatus(await report(), 'yaml', PLAIN)));

  test('json and yaml carry the same document', async () => {
    const base = await report();
    assert.deepEqual(JSON.parse(renderStatus(base, 'json', PLAIN)), parseYaml(renderStatus(base, 'yaml', PLAIN)));
    assert.deepEqual(JSON.parse(renderStatus(base, 'json', PLAIN)), JSON.parse(JSON.stringify(statusDocument(base))));
  });

  test('with fresh results the table adds NOW and lists what fails now', async () => {
    const base = await report();
    const fresh = new Map<string, ProbeResult>();
    for (const row of base.rows) {
      const check = (await matrixChecks()).find((candidate) => candidate.metadata.name === row.check)!;
      fresh.set(row.check, (row.target.node === 'master-1' ? timeout : ok)(check, NOW));
    }
    const text = renderStatus({ ...base, now: fresh }, 'table', PLAIN);
    matchSnapshot('ops/status-table-probe.txt', text);
    assert.match(text, /probed now from here: 16 reachable, 3 failing/);
    const document = JSON.parse(renderStatus({ ...base, now: fresh }, 'json', PLAIN));
    const master1 = document.sources[0].checks.find(
      (check: { target: { node?: string; name: string } }) =>
        check.target.node === 'master-1' && check.target.name === 'kubernetes-apiserver-endpoint',
    );
    assert.equal(master1.now.kind, 'timeout');
    assert.equal(master1.now.success, false);
  });

  test('colour marks states only when asked', async () => {
    const coloured = renderStatus(await report(), 'table', ANSI);
    assert.match(coloured, /\u001b\[32mreachable\u001b\[39m/);
    assert.match(coloured, /\u001b\[31munreachable\u001b\[39m/);
    assert.equal(
      coloured.replace(/\u001b\[\d+m/g, ''),
      renderStatus(await report(), 'table', PLAIN),
      'same layout without colour',
    );
    assert.doesNotMatch(renderStatus(await report(), 'table', PLAIN), /\u001b/);
  });

  test('colour only on a terminal, never with NO_COLOR, always with FORCE_COLOR', () => {
    assert.equal(wantsColour({}, true), true);
    assert.equal(wantsColour({}, false), false);
    assert.equal(wantsColour({ NO_COLOR: '1' }, true), false);
    assert.equal(wantsColour({ NO_COLOR: '1', FORCE_COLOR: '1' }, true), false);
    assert.equal(wantsColour({ FORCE_COLOR: '1' }, false), true);
    assert.equal(wantsColour({ FORCE_COLOR: '0' }, true), false);
  });
});

describe('filters', () => {
  const checked = async (options: Parameters<typeof parseFilter>[0]) =>
    applyFilter((await report()).rows, parseFilter(options)).map((row) =>
      row.check.replace('network-check-source-worker-b-to-', ''),
    );

  test('--node matches either end, --target and --state narrow further', async () => {
    assert.deepEqual(await checked({ node: 'master-1' }), [
      'kubernetes-apiserver-endpoint-master-1',
      'network-check-target-master-1',
      'openshift-apiserver-endpoint-master-1',
    ]);
    assert.equal((await checked({ node: 'worker-b' })).length, 19, 'the source node matches every check of its source');
    assert.deepEqual(await checked({ target: 'kubernetes-apiserver-endpoint', state: 'failing' }), [
      'kubernetes-apiserver-endpoint-master-1',
    ]);
    assert.deepEqual(await checked({ state: 'pending,stale' }), [
      'load-balancer-api-external',
      'openshift-apiserver-service-cluster',
    ]);
    assert.deepEqual(await checked({ source: 'network-check-source', target: 'registry,load-balancer-api-internal' }), [
      'load-balancer-api-internal',
      'registry',
    ]);
  });

  test('bad filters are usage errors that say what exists', async () => {
    const rows = (await report()).rows;
    assert.throws(
      () => parseFilter({ state: 'down' }),
      (error: unknown) =>
        error instanceof UsageError &&
        /^--state "down" is not a state; use one or more of reachable, unreachable, unknown, invalid, pending, stale, failing$/.test(
          error.message,
        ),
    );
    assert.throws(() => parseFilter({ node: 'a,,b' }), /--node takes a comma-separated list of names, got "a,,b"/);
    assert.throws(
      () => applyFilter(rows, parseFilter({ target: 'etcd' })),
      (error: unknown) =>
        error instanceof UsageError &&
        /^--target "etcd": no check has this target \(known: kubernetes-apiserver-endpoint, /.test(error.message),
    );
    assert.throws(
      () => applyFilter(rows, parseFilter({ source: 'mesh' })),
      /--source "mesh": no check has this source \(known: network-check-source\)/,
    );
    assert.throws(
      () => applyFilter([], parseFilter({ node: 'x' })),
      /--node "x": no check has this node \(there are no checks\)/,
    );
  });
});
