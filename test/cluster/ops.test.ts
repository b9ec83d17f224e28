// `p2pnc status` and `p2pnc diagnose` as real processes against a real kube-apiserver, on statuses the real source
// wrote while probing loopback: an open port (the API endpoints) and a refused one (a load balancer in front of them).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, type CliRun } from '../helpers/process.js';
import { deployChecks, LoopbackTarget, reachable, startSource, statusWhen } from './source-fixtures.js';
import { startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

/** Runs the CLI to completion, without colour unless `env` asks for it. */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
  runCli(args, { NO_COLOR: '', FORCE_COLOR: '', ...env });

test('status and diagnose read the checks the source wrote', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const api = await LoopbackTarget.start();
  const lb = await LoopbackTarget.start(false);
  await deployChecks(cluster, {
    cluster: 'ops',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [{ name: 'prober', kind: 'Deployment' }],
    targets: [
      { name: 'api', kind: 'node', port: api.port },
      { name: 'lb', kind: 'endpoint', host: '127.0.0.1', port: lb.port, backends: 'api' },
    ],
  });
  const admin = ['-n', NAMESPACE, '--kubeconfig', cluster.kubeconfig];
  const source = await startSource(cluster, NAMESPACE, 'prober', [
    '--interval',
    '2s',
    '--confirm-retry',
    '1s',
    '--lease-duration',
    '6s',
  ]);
  try {
    await statusWhen(
      cluster,
      NAMESPACE,
      'prober-to-lb',
      (status) => reachable(status)?.status === 'False' && status.outages?.[0]?.end === undefined,
      30_000,
      'an open outage',
    );
    await statusWhen(
      cluster,
      NAMESPACE,
      'prober-to-api-node-a',
      (status) => reachable(status)?.status === 'True',
      30_000,
      'Reachable',
    );

    await t.test('status prints the matrix, one row per check, without colour when piped', async () => {
      const { code, output } = await cli(['status', ...admin]);
      assert.equal(code, 0, output);
      assert.match(
        output,
        /^SOURCE\s+SOURCE NODE\s+TARGET\s+TARGET NODE\s+STATE\s+LATENCY\s+PROBED\s+CHANGED\s+OUTAGE\s+OUTAGES\n/,
      );
      assert.match(output, /\nprober\s+-\s+api\s+node-a\s+reachable\s+\S+s\s+\d+s\s+\d+s\s+-\s+0\n/);
      assert.match(output, /\nprober\s+-\s+lb\s+-\s+unreachable\s+\S+s\s+\d+s\s+\d+s\s+open \d+s\s+1\n/);
      assert.match(output, /\n2 checks: 1 reachable, 1 unreachable; 1 open outage\n$/);
      assert.doesNotMatch(output, /\u001b\[/);
    });

    await t.test('FORCE_COLOR colours the states', async () => {
      const { output } = await cli(['status', ...admin], { FORCE_COLOR: '1' });
      assert.match(output, /\u001b\[31munreachable\u001b\[39m/);
    });

    await t.test('status -o json and --state filter', async () => {
      const all = await cli(['status', ...admin, '-o', 'json']);
      assert.equal(all.code, 0, all.output);
      const document = JSON.parse(all.output);
      assert.deepEqual(document.summary, {
        checks: 2,
        reachable: 1,
        unreachable: 1,
        unknown: 0,
        invalid: 0,
        pending: 0,
        stale: 0,
        openOutages: 1,
      });
      const lbCheck = document.sources[0].checks.find((check: { check: string }) => check.check === 'prober-to-lb');
      assert.equal(lbCheck.lastFailure.kind, 'refused');
      assert.match(lbCheck.openOutage.message, /^Connectivity outage detected at /);
      const failing = JSON.parse((await cli(['status', ...admin, '-o', 'json', '--state', 'failing'])).output);
      assert.deepEqual(
        failing.sources[0].checks.map((check: { check: string }) => check.check),
        ['prober-to-lb'],
      );
    });

    await t.test('status --probe probes from here and shows the fresh result', async () => {
      const { code, output } = await cli(['status', ...admin, '--probe']);
      assert.equal(code, 0, output);
      assert.match(output, /\nprober\s+-\s+api\s+node-a\s+reachable\s+.*\s+ok \S+s\n/);
      assert.match(output, /\nprober\s+-\s+lb\s+-\s+unreachable\s+.*\s+refused\n/);
      assert.match(
        output,
        /probed now from here: 1 reachable, 1 failing\nfailing now:\n {2}prober-to-lb: failed to establish a TCP connection to 127\.0\.0\.1:\d+: dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/,
      );
    });

    await t.test('bad usage exits 2 with one line', async () => {
      for (const [args, message] of [
        [['status', '-o', 'xml'], 'error: -o "xml" is not an output format; use one of table, wide, json, yaml\n'],
        [
          ['status', '--state', 'down'],
          'error: --state "down" is not a state; use one or more of reachable, unreachable, unknown, invalid, pending, stale, failing\n',
        ],
        [['status', '--target', 'etcd'], 'error: --target "etcd": no check has this target (known: api, lb)\n'],
        [['diagnose', '-o', 'table'], 'error: -o "table" is not an output format; use one of text, json, yaml\n'],
      ] as const) {
        const result = await cli([...args, ...admin]);
        assert.equal(result.code, 2, result.output);
        assert.equal(result.output, message);
      }
    });

    await t.test('diagnose names the load balancer and exits 4 (critical)', async () => {
      const { code, output } = await cli(['diagnose', ...admin]);
      assert.equal(code, 4, output);
      assert.match(output, new RegExp(`^CRITICAL {2}load balancer 127\\.0\\.0\\.1:${lb.port} \\(lb\\)\\n`));
      assert.match(
        output,
        /lb fails from prober \(refused\), while its backends \(api\) answer from the same source \(1 of 1\s+checks\)/,
      );
      assert.match(output, /\n {4}FAIL {4}prober-to-lb +since \S+Z: failed to establish a TCP connection/);
      assert.match(output, /\n {4}OK {6}prober-to-api-node-a +answering since \S+Z\n/);
      assert.match(
        output,
        /\n1 finding \(1 critical, 0 warning\) in namespace p2pnc \(2 checks: 1 answering, 1 failing, 0 silent, 0 pending, 0 invalid\)\.\n$/,
      );
      const json = await cli(['diagnose', ...admin, '-o', 'json']);
      assert.equal(json.code, 4);
      const [finding] = JSON.parse(json.output).findings;
      assert.equal(finding.rule, 'load-balancer');
      assert.deepEqual(
        finding.evidence.map((entry: { check: string; state: string; kind?: string }) => [
          entry.check,
          entry.state,
          entry.kind,
        ]),
        [
          ['prober-to-lb', 'failing', 'refused'],
          ['prober-to-api-node-a', 'answering', undefined],
        ],
      );
    });

    await t.test('once the load balancer answers, diagnose finds nothing and exits 0', async () => {
      await lb.up();
      await statusWhen(
        cluster,
        NAMESPACE,
        'prober-to-lb',
        (status) => reachable(status)?.status === 'True',
        30_000,
        'Reachable again',
      );
      const { code, output } = await cli(['diagnose', ...admin]);
      assert.equal(code, 0, output);
      assert.equal(
        output,
        'No findings in namespace p2pnc (2 checks: 2 answering, 0 failing, 0 silent, 0 pending, 0 invalid).\n',
      );
    });
  } finally {
    await source.stop('SIGKILL');
    await api.down();
    await lb.down();
    await cluster.stop();
  }
});
