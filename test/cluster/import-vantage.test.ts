// `p2pnc import --control-plane-vantage` against the real kube-apiserver: the webhook configurations, APIServices and
// Konnectivity pods it reads become the targets of a host-network source on the control-plane nodes, and the topology
// synthesizes into the checks the API server's paths need.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli } from '../helpers/process.js';
import { readDist } from '../helpers/synth.js';
import type { Cluster } from './harness.js';
import { mustKubectl, startOrSkip } from './support.js';

const NODES = [
  { name: 'cp-0', ip: '10.0.0.10', labels: { 'node-role.kubernetes.io/control-plane': '' } },
  { name: 'worker-0', ip: '10.0.1.10', labels: {} },
  { name: 'worker-1', ip: '10.0.1.11', labels: {} },
];

const webhook = (kind: string, name: string, clientConfig: object) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind,
  metadata: { name },
  webhooks: [
    {
      name: `${name}.example.com`,
      clientConfig,
      // Harmless here: nothing of that group exists, and a failure is ignored.
      rules: [{ apiGroups: ['example.com'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['widgets'] }],
      failurePolicy: 'Ignore',
      sideEffects: 'None',
      admissionReviewVersions: ['v1'],
    },
  ],
});

const pod = (name: string, node: string, hostNetwork: boolean, args: string[]) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'kube-system' },
  spec: {
    nodeName: node,
    hostNetwork,
    containers: [{ name: name.split('-').slice(0, 2).join('-'), image: 'x', args }],
  },
});

async function seed(cluster: Cluster): Promise<void> {
  const objects = [
    ...NODES.map(({ name, labels }) => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } },
      spec: name.startsWith('cp-')
        ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
        : {},
    })),
    webhook('ValidatingWebhookConfiguration', 'policy', {
      service: { namespace: 'policy', name: 'policy-webhook', port: 8443 },
    }),
    // The same Service behind a second webhook: one target.
    webhook('MutatingWebhookConfiguration', 'policy-defaults', {
      service: { namespace: 'policy', name: 'policy-webhook', port: 8443 },
    }),
    webhook('ValidatingWebhookConfiguration', 'external', { url: 'https://hooks.example.com:9443/validate' }),
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.metrics.k8s.io' },
      spec: {
        group: 'metrics.k8s.io',
        version: 'v1beta1',
        service: { namespace: 'kube-system', name: 'metrics-server' },
        groupPriorityMinimum: 100,
        versionPriority: 100,
        insecureSkipTLSVerify: true,
      },
    },
    pod('konnectivity-server-cp-0', 'cp-0', true, ['--agent-port=8132', '--admin-port=8133']),
    ...NODES.map((node) => pod(`konnectivity-agent-${node.name}`, node.name, false, ['--health-server-port=8093'])),
  ];
  await mustKubectl(cluster, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
  });
  for (const { name, ip } of NODES)
    await mustKubectl(cluster, [
      'patch',
      'node',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { addresses: [{ type: 'InternalIP', address: ip }] } }),
    ]);
}

test('p2pnc import --control-plane-vantage: what the API server dials, probed from the control-plane nodes', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-import-vantage-'));
  try {
    await seed(cluster);
    const file = join(dir, 'topology.yaml');
    const run = await runCli(['import', '--control-plane-vantage', '--kubeconfig', cluster.kubeconfig, '-o', file]);
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /note: konnectivity agents run in the pod network; their health port is not a target/);
    const topology = parse(readFileSync(file, 'utf8'));
    const byName = new Map(topology.targets.map((target: { name: string }) => [target.name, target]));

    await t.test(
      'targets: every kubelet, each Service behind a webhook or APIService once, URL webhooks, Konnectivity',
      () => {
        assert.deepEqual(byName.get('kubelet'), { name: 'kubelet', kind: 'node', port: 10250, probe: { kind: 'tls' } });
        assert.deepEqual(byName.get('webhook-policy-policy-webhook-8443'), {
          name: 'webhook-policy-policy-webhook-8443',
          kind: 'service',
          service: { namespace: 'policy', name: 'policy-webhook', port: 8443 },
          probe: { kind: 'tls' },
        });
        assert.equal(
          topology.targets.filter((target: { service?: { name: string } }) => target.service?.name === 'policy-webhook')
            .length,
          1,
        );
        const url = topology.targets.find((target: { host?: string }) => target.host === 'hooks.example.com');
        assert.deepEqual(
          { ...url, name: undefined },
          { name: undefined, kind: 'endpoint', host: 'hooks.example.com', port: 9443, probe: { kind: 'tls' } },
        );
        assert.deepEqual(byName.get('aggregated-api-kube-system-metrics-server'), {
          name: 'aggregated-api-kube-system-metrics-server',
          kind: 'service',
          service: { namespace: 'kube-system', name: 'metrics-server', port: 443 },
          probe: { kind: 'tls' },
        });
        assert.deepEqual(byName.get('konnectivity-server'), {
          name: 'konnectivity-server',
          kind: 'node',
          roles: ['control-plane'],
          port: 8132,
          probe: { kind: 'tls' },
        });
        assert.ok(![...byName.keys()].some((name) => String(name).startsWith('konnectivity-agent')));
      },
    );

    await t.test('the source: host network on the control-plane nodes; the other sources keep their targets', () => {
      const source = topology.sources.find((candidate: { name: string }) => candidate.name === 'control-plane-vantage');
      assert.equal(source.kind, 'DaemonSet');
      assert.equal(source.hostNetwork, true);
      assert.equal(source.controlPlane, true);
      for (const name of [
        'etcd',
        'kubernetes-apiserver-endpoint',
        'kubelet',
        'konnectivity-server',
        'aggregated-api-kube-system-metrics-server',
      ])
        assert.ok(source.targets.includes(name), name);
      const deployment = topology.sources.find(
        (candidate: { name: string }) => candidate.name === 'network-check-source',
      );
      assert.ok(!deployment.targets.includes('kubelet'));
      assert.ok(deployment.targets.includes('network-check-target'));
    });

    await t.test('it synthesizes into the checks of the API server paths, from the control-plane node', async () => {
      const synth = await runCli(['synth', '-f', file, '-o', join(dir, 'dist')]);
      assert.equal(synth.code, 0, synth.output);
      const checks = readDist(join(dir, 'dist')).objects.filter(
        (object) => object.kind === 'PodNetworkConnectivityCheck',
      );
      const own = checks.filter((check) => check.spec.source.name === 'control-plane-vantage');
      assert.ok(own.every((check) => check.spec.source.node === 'cp-0' && check.spec.source.vantage === 'host'));
      const endpoints = own.map((check) => check.spec.targetEndpoint).sort();
      for (const endpoint of [
        '10.0.0.10:10250',
        '10.0.1.10:10250',
        '10.0.1.11:10250',
        '10.0.0.10:2379',
        '10.0.0.10:8132',
      ])
        assert.ok(endpoints.includes(endpoint), `${endpoint} in ${endpoints.join(' ')}`);
      assert.ok(endpoints.includes('policy-webhook.policy.svc.cluster.local:8443'));
      assert.ok(endpoints.includes('metrics-server.kube-system.svc.cluster.local:443'));
    });

    await t.test('without the flag the import reads none of it and adds no host-network source', async () => {
      const plain = join(dir, 'plain.yaml');
      const again = await runCli(['import', '--kubeconfig', cluster.kubeconfig, '-o', plain]);
      assert.equal(again.code, 0, again.output);
      const text = readFileSync(plain, 'utf8');
      assert.doesNotMatch(text, /hostNetwork|kubelet|webhook|konnectivity/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await cluster.stop();
  }
});
