// dist/ against a real kube-apiserver: dry-run, server-side apply, idempotence, printer columns, least-privilege RBAC.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { synthToTemp } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

test('apply and RBAC suites', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const { dir } = synthToTemp(smallTopology());
  const files = ['foundation.yaml', 'rbac.yaml', 'workloads.yaml', 'checks.yaml'].map((file) => join(dir, file));
  try {
    await t.test('server-side dry-run of the whole dist/ passes with no warning', async () => {
      // The CRD must exist before its objects can be dry-run; Argo CD orders this with sync waves.
      await mustKubectl(cluster, ['apply', '--server-side', '-f', files[0]!]);
      await mustKubectl(cluster, [
        'wait',
        '--for=condition=Established',
        'crd/podnetworkconnectivitychecks.p2pnc.io',
        '--timeout=60s',
      ]);
      for (const file of files.slice(1)) {
        const result = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', file]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal(result.stderr.trim(), '', `warnings for ${file}: ${result.stderr}`);
      }
    });

    await t.test(
      'server-side apply creates everything, with no warning, Pod Security "restricted" enforced',
      async () => {
        for (const file of files) {
          const result = await cluster.kubectl(['apply', '--server-side', '-f', file]);
          assert.equal(result.code, 0, result.stderr);
          assert.equal(result.stderr.trim(), '', `warnings for ${file}: ${result.stderr}`);
        }
        const labels = JSON.parse(await mustKubectl(cluster, ['get', 'namespace', NAMESPACE, '-o', 'json'])).metadata
          .labels;
        assert.equal(labels['pod-security.kubernetes.io/enforce'], 'restricted');
      },
    );

    await t.test('a second apply changes nothing and kubectl diff is empty (Argo CD: Synced)', async () => {
      for (const file of files) {
        const applied = await mustKubectl(cluster, ['apply', '--server-side', '-f', file]);
        assert.doesNotMatch(applied, /configured|created/, applied);
        const diff = await cluster.kubectl(['diff', '--server-side', '-f', file]);
        assert.equal(diff.code, 0, `diff for ${file}:\n${diff.stdout}${diff.stderr}`);
      }
    });

    await t.test('kubectl get pncc shows the printer columns', async () => {
      const table = await mustKubectl(cluster, ['get', 'pncc', '-n', NAMESPACE]);
      const header = table.split('\n')[0]!;
      for (const column of ['NAME', 'SOURCE', 'TARGET ENDPOINT', 'REACHABLE', 'SINCE', 'LATENCY', 'AGE'])
        assert.match(header, new RegExp(column));
      assert.match(
        table,
        /network-check-source-worker-0-to-etcd-master-0\s+network-check-source-worker-0\s+10\.0\.0\.10:2379/,
      );
    });

    const can = async (token: string, verb: string, resource: string, extra: string[] = []) =>
      (await cluster.kubectl(['auth', 'can-i', verb, resource, '-n', NAMESPACE, ...extra], { token })).stdout.trim();

    await t.test('the source ServiceAccount can do what the runtime needs', async () => {
      const token = await cluster.tokenFor(NAMESPACE, 'network-check-source');
      for (const [verb, resource, ...extra] of [
        ['list', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['watch', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['patch', 'podnetworkconnectivitychecks.p2pnc.io', '--subresource=status'],
        ['create', 'events'],
        ['create', 'leases.coordination.k8s.io'],
        ['update', 'leases.coordination.k8s.io/network-check-source-leader'],
        ['get', 'secrets/etcd-client'],
        ['watch', 'endpointslices.discovery.k8s.io'],
      ])
        assert.equal(await can(token, verb!, resource!, extra), 'yes', `${verb} ${resource} ${extra.join(' ')}`);
    });

    await t.test('and nothing else', async () => {
      const token = await cluster.tokenFor(NAMESPACE, 'network-check-source');
      for (const [verb, resource, ...extra] of [
        ['get', 'secrets/other-secret'],
        ['list', 'secrets'],
        ['patch', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['update', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['delete', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['create', 'podnetworkconnectivitychecks.p2pnc.io'],
        ['update', 'leases.coordination.k8s.io/someone-elses-lease'],
        ['list', 'pods'],
        ['list', 'podnetworkconnectivitychecks.p2pnc.io', '--all-namespaces'],
        ['list', 'nodes'],
      ])
        assert.equal(await can(token, verb!, resource!, extra), 'no', `${verb} ${resource} ${extra.join(' ')}`);
    });

    await t.test('the target ServiceAccount can do nothing', async () => {
      const token = await cluster.tokenFor(NAMESPACE, 'network-check-target');
      const review = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace: NAMESPACE },
      };
      const rules = JSON.parse(
        await mustKubectl(cluster, ['create', '--validate=false', '-o', 'json', '-f', '-'], {
          token,
          input: JSON.stringify(review),
        }),
      ).status;
      const granted = rules.resourceRules.filter(
        (rule: { apiGroups?: string[] }) =>
          !(rule.apiGroups ?? []).includes('authorization.k8s.io') &&
          !(rule.apiGroups ?? []).includes('authentication.k8s.io'),
      );
      assert.deepEqual(granted, [], JSON.stringify(granted));
    });
  } finally {
    await cluster.stop();
  }
});
