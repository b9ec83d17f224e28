// `p2pnc import` against the real kube-apiserver: seeded Nodes, API server Endpoints and EndpointSlices, etcd pods
// and kubeadm's ConfigMap in; a topology out that `p2pnc synth` turns into the expected checks without edits.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { runCli, type CliRun } from '../helpers/process.js';
import { readDist } from '../helpers/synth.js';
import type { Cluster } from './harness.js';
import { mustKubectl, startOrSkip } from './support.js';

const API_PORT = 6443;
const MASTERS = [0, 1, 2].map((i) => ({ name: `master-${i}`, ip: `10.0.0.1${i}`, zone: `zone-${'abc'[i]}` }));
const WORKERS = [
  { name: 'worker-0', ips: ['10.0.1.10', 'fd00::1:10'] },
  { name: 'worker-1', ips: ['10.0.1.11'] },
  { name: 'worker-2.eu1.example.com', ips: ['10.0.1.12'] },
];
const CONTROL_PLANE_LABELS = { 'node-role.kubernetes.io/master': '', 'node-role.kubernetes.io/control-plane': '' };

async function seed(cluster: Cluster): Promise<void> {
  const nodes = [
    ...MASTERS.map((m) =>
      node(m.name, { ...CONTROL_PLANE_LABELS, 'topology.kubernetes.io/zone': m.zone }, [
        { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
      ]),
    ),
    ...WORKERS.map((w) => node(w.name, { 'node-role.kubernetes.io/worker': '' }, [])),
  ];
  await mustKubectl(cluster, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: nodes }),
  });
  const addresses = [...MASTERS.map((m) => ({ name: m.name, ips: [m.ip] })), ...WORKERS];
  for (const { name, ips } of addresses) {
    const status = {
      status: {
        addresses: [...ips.map((address) => ({ type: 'InternalIP', address })), { type: 'Hostname', address: name }],
      },
    };
    await mustKubectl(cluster, [
      'patch',
      'node',
      name,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
  }
  const endpoints = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name: 'kubernetes', namespace: 'default' },
    subsets: [
      { addresses: MASTERS.map((m) => ({ ip: m.ip })), ports: [{ name: 'https', port: API_PORT, protocol: 'TCP' }] },
    ],
  };
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: MASTERS.map((m) => ({ addresses: [m.ip], conditions: { ready: true } })),
    ports: [{ name: 'https', port: API_PORT, protocol: 'TCP' }],
  };
  const etcdPods = MASTERS.map((m) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `etcd-${m.name}`,
      namespace: 'kube-system',
      labels: { component: 'etcd', tier: 'control-plane' },
    },
    spec: {
      nodeName: m.name,
      hostNetwork: true,
      containers: [
        {
          name: 'etcd',
          image: 'registry.k8s.io/etcd:3.6.4-0',
          command: [
            'etcd',
            `--advertise-client-urls=https://${m.ip}:2379`,
            `--listen-client-urls=https://127.0.0.1:2379,https://${m.ip}:2379`,
          ],
        },
      ],
    },
  }));
  const kubeadmConfig = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kubeadm-config', namespace: 'kube-system' },
    data: {
      ClusterConfiguration: [
        'apiVersion: kubeadm.k8s.io/v1beta4',
        'kind: ClusterConfiguration',
        'clusterName: import-test',
        'controlPlaneEndpoint: api.import-test.example.com:6443',
        'networking:',
        '  dnsDomain: cluster.local',
        '',
      ].join('\n'),
    },
  };
  await mustKubectl(cluster, ['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [endpoints, slice, ...etcdPods, kubeadmConfig] }),
  });
}

function node(name: string, labels: Record<string, string>, taints: object[]): object {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/os': 'linux', ...labels } },
    spec: { taints },
  };
}

const tempDirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-import-'));
  tempDirs.push(dir);
  return dir;
}

/** Imports into a fresh file and synthesizes it; returns the topology and the checks by name. */
async function importAndSynth(kubeconfig: string): Promise<{ run: CliRun; topology: any; checks: Map<string, any> }> {
  const dir = tempDir();
  const file = join(dir, 'topology.yaml');
  const run = await runCli(['import', '--kubeconfig', kubeconfig, '-o', file]);
  assert.equal(run.code, 0, run.output);
  const synth = await runCli(['synth', '-f', file, '-o', join(dir, 'dist')]);
  assert.equal(
    synth.code,
    0,
    `the imported topology must synthesize without edits:\n${synth.output}\n${readFileSync(file, 'utf8')}`,
  );
  const checks = new Map(
    readDist(join(dir, 'dist'))
      .objects.filter((o) => o.kind === 'PodNetworkConnectivityCheck')
      .map((o) => [o.metadata.name, o]),
  );
  return { run, topology: parse(readFileSync(file, 'utf8')), checks };
}

const endpointsOf = (checks: Map<string, any>, prefix: string) =>
  Object.fromEntries(
    [...checks].filter(([name]) => name.startsWith(prefix)).map(([name, check]) => [name, check.spec.targetEndpoint]),
  );

test('p2pnc import reads a live cluster into a topology that synthesizes', async (t) => {
  // The API server's own endpoint reconciler would rewrite default/kubernetes to its loopback address.
  const cluster = await startOrSkip(t, { extraApiServerArgs: ['--endpoint-reconciler-type=none'] });
  if (!cluster) return;
  if (cluster.external) {
    await cluster.stop();
    t.skip('import suite seeds Node objects and the kubernetes Endpoints; not run against an external cluster');
    return;
  }
  try {
    await seed(cluster);
    let labelled: Map<string, any> | undefined;

    await t.test('nodes, roles, addresses, API servers, etcd members and the load balancer', async () => {
      const { run, topology, checks } = await importAndSynth(cluster.kubeconfig);
      labelled = checks;
      assert.doesNotMatch(run.output, /^note:/m, 'an admin reads everything');
      assert.match(
        run.output,
        new RegExp(
          `^imported 6 nodes, 2 sources and 5 targets \\(${checks.size} checks\\) from ${cluster.server} into .*topology\\.yaml; next: p2pnc synth -f `,
          'm',
        ),
      );
      assert.equal(topology.cluster, 'import-test', "kubeadm's clusterName");
      assert.deepEqual(
        topology.apiServer,
        { port: API_PORT },
        'the port of the kubernetes endpoints, not the port the import talked to',
      );
      assert.deepEqual(
        topology.nodes.map((n: any) => n.name),
        ['master-0', 'master-1', 'master-2', 'worker-0', 'worker-1', 'worker-2.eu1.example.com'],
      );
      assert.deepEqual(topology.nodes[0], {
        name: 'master-0',
        addresses: ['10.0.0.10'],
        roles: ['control-plane', 'master'],
        labels: { 'topology.kubernetes.io/zone': 'zone-a' },
      });
      assert.deepEqual(topology.nodes[3].addresses, ['10.0.1.10', 'fd00::1:10']);
      assert.deepEqual(topology.sources, [
        { name: 'network-check-source', kind: 'Deployment' },
        {
          name: 'node-mesh',
          kind: 'DaemonSet',
          roles: ['worker'],
          mesh: { neighbours: 3 },
          targets: ['network-check-target'],
        },
      ]);

      assert.deepEqual(endpointsOf(checks, 'network-check-source-to-kubernetes-apiserver-endpoint'), {
        'network-check-source-to-kubernetes-apiserver-endpoint-master-0': '10.0.0.10:6443',
        'network-check-source-to-kubernetes-apiserver-endpoint-master-1': '10.0.0.11:6443',
        'network-check-source-to-kubernetes-apiserver-endpoint-master-2': '10.0.0.12:6443',
      });
      assert.deepEqual(endpointsOf(checks, 'network-check-source-to-etcd'), {
        'network-check-source-to-etcd-master-0': '10.0.0.10:2379',
        'network-check-source-to-etcd-master-1': '10.0.0.11:2379',
        'network-check-source-to-etcd-master-2': '10.0.0.12:2379',
      });
      assert.deepEqual(
        endpointsOf(checks, 'network-check-source-to-load-balancer'),
        {
          'network-check-source-to-load-balancer-api': 'api.import-test.example.com:6443',
        },
        "kubeadm's controlPlaneEndpoint; the loopback server of the kubeconfig is no load balancer",
      );
      assert.equal(
        checks.get('network-check-source-to-kubernetes-default-service-cluster')?.spec.targetEndpoint,
        'kubernetes.default.svc.cluster.local:443',
      );
      assert.ok(
        checks.has('network-check-source-to-network-check-target-worker-2-eu1-example-com'),
        'an FQDN node name gives DNS-safe check names',
      );
      const meshSources = new Set(
        [...checks.values()].filter((c) => c.spec.source.name === 'node-mesh').map((c) => c.spec.source.node),
      );
      assert.deepEqual(
        [...meshSources].sort(),
        WORKERS.map((w) => w.name),
        'the mesh runs only on the untainted workers',
      );
    });

    await t.test(
      'a user who may not read pods, ConfigMaps or EndpointSlices still gets a topology, told what was skipped',
      async () => {
        const limited = {
          apiVersion: 'v1',
          kind: 'List',
          items: [
            { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'import-rbac' } },
            { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: 'import-rbac' } },
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRole',
              metadata: { name: 'import-nodes-and-endpoints' },
              rules: [
                { apiGroups: [''], resources: ['nodes'], verbs: ['list'] },
                { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get'] },
              ],
            },
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRoleBinding',
              metadata: { name: 'import-nodes-and-endpoints' },
              roleRef: {
                apiGroup: 'rbac.authorization.k8s.io',
                kind: 'ClusterRole',
                name: 'import-nodes-and-endpoints',
              },
              subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'import-rbac' }],
            },
          ],
        };
        await mustKubectl(cluster, ['apply', '-f', '-'], { input: JSON.stringify(limited) });
        const kubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor('import-rbac', 'reader'));
        const { run, topology, checks } = await importAndSynth(kubeconfig);
        const notes = run.output.split('\n').filter((line) => line.startsWith('note: '));
        assert.deepEqual(notes, [
          'note: cannot list EndpointSlices of default/kubernetes: forbidden',
          'note: cannot read ConfigMap kube-system/kubeadm-config: forbidden',
          'note: cannot list etcd pods in kube-system: forbidden',
          'note: etcd pods not readable; assuming etcd on the control-plane nodes at port 2379 (edit or remove the etcd target if not)',
        ]);
        assert.equal(topology.cluster, 'kubernetes', 'no kubeadm clusterName readable');
        assert.deepEqual(
          topology.apiServer,
          { port: API_PORT },
          'read from the Endpoints when EndpointSlices are forbidden',
        );
        assert.ok(
          !topology.targets.some((target: any) => target.name.startsWith('load-balancer')),
          'no load balancer known',
        );
        assert.deepEqual(Object.keys(endpointsOf(checks, 'network-check-source-to-etcd')), [
          'network-check-source-to-etcd-master-0',
          'network-check-source-to-etcd-master-1',
          'network-check-source-to-etcd-master-2',
        ]);
      },
    );

    await t.test(
      'without control-plane role labels the API servers and etcd members come from endpoints and pods, with the same check names',
      async () => {
        for (const m of MASTERS)
          await mustKubectl(cluster, [
            'label',
            'node',
            m.name,
            'node-role.kubernetes.io/master-',
            'node-role.kubernetes.io/control-plane-',
          ]);
        const { run, topology, checks } = await importAndSynth(cluster.kubeconfig);
        assert.match(
          run.output,
          /^note: no node has a control-plane role label; API servers taken from the endpoints of the kubernetes Service$/m,
        );
        assert.deepEqual(
          topology.targets
            .filter((target: any) => target.kind === 'endpoint' && !target.name.startsWith('load-balancer'))
            .map((target: any) => `${target.name} ${target.host}:${target.port}`),
          [
            'etcd-master-0 10.0.0.10:2379',
            'etcd-master-1 10.0.0.11:2379',
            'etcd-master-2 10.0.0.12:2379',
            'kubernetes-apiserver-endpoint-master-0 10.0.0.10:6443',
            'kubernetes-apiserver-endpoint-master-1 10.0.0.11:6443',
            'kubernetes-apiserver-endpoint-master-2 10.0.0.12:6443',
          ],
        );
        for (const prefix of [
          'network-check-source-to-kubernetes-apiserver-endpoint',
          'network-check-source-to-etcd',
        ]) {
          assert.deepEqual(
            endpointsOf(checks, prefix),
            endpointsOf(labelled!, prefix),
            `${prefix}: same names and endpoints as with role labels`,
          );
        }
      },
    );

    await t.test('-o never replaces an existing file without --force', async () => {
      const dir = tempDir();
      const file = join(dir, 'topology.yaml');
      writeFileSync(file, 'mine\n');
      const refused = await runCli(['import', '--kubeconfig', cluster.kubeconfig, '-o', file]);
      assert.equal(refused.code, 2);
      assert.equal(
        refused.output,
        `error: ${file} exists; pass --force to replace it, or write elsewhere with -o FILE\n`,
      );
      assert.equal(readFileSync(file, 'utf8'), 'mine\n');
      const forced = await runCli(['import', '--kubeconfig', cluster.kubeconfig, '-o', file, '--force']);
      assert.equal(forced.code, 0, forced.output);
      assert.match(
        readFileSync(file, 'utf8'),
        /^# p2pnc topology imported by `p2pnc import` from https:\/\/127\.0\.0\.1:\d+ at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.$/m,
      );
    });
  } finally {
    await cluster.stop();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  }
});
