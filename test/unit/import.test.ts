// The pure core of `p2pnc import`: cluster facts -> topology, and the command's errors that need no cluster.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ClusterFacts, KubeNode, KubePod } from '../../src/ops/import/facts.js';
import { renderTopology } from '../../src/ops/import/render.js';
import { importTopology, type ImportOptions } from '../../src/ops/import/topology.js';
import { expand } from '../../src/topology/expand.js';
import { parseTopology } from '../../src/topology/load.js';
import { DNS1123_LABEL, TopologySchema } from '../../src/topology/schema.js';

const CP_TAINT = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
const OPTIONS: ImportOptions = { namespace: 'p2pnc', meshNeighbours: 3 };

function node(
  name: string,
  addresses: [string, string][],
  roles: string[] = [],
  extra: { labels?: Record<string, string>; tainted?: boolean } = {},
): KubeNode {
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/hostname': name,
        ...Object.fromEntries(roles.map((role) => [`node-role.kubernetes.io/${role}`, ''])),
        ...extra.labels,
      },
    },
    spec: extra.tainted ? { taints: [CP_TAINT] } : {},
    status: {
      addresses: [...addresses.map(([type, address]) => ({ type, address })), { type: 'Hostname', address: name }],
    },
  };
}

const internal = (...ips: string[]): [string, string][] => ips.map((ip) => ['InternalIP', ip]);

function etcdPod(nodeName: string, command: string[]): KubePod {
  return {
    metadata: { name: `etcd-${nodeName}`, namespace: 'kube-system' },
    spec: { nodeName, containers: [{ name: 'etcd', command: ['etcd', ...command] }] },
  };
}

/** A kubeadm-style HA cluster: 3 tainted control-plane nodes running etcd, 3 workers labelled worker. */
function kubeadmCluster(): ClusterFacts {
  const masters = [0, 1, 2].map((i) => node(`cp-${i}`, internal(`10.0.0.1${i}`), ['control-plane'], { tainted: true }));
  const workers = [0, 1, 2].map((i) => node(`worker-${i}`, internal(`10.0.1.1${i}`), ['worker']));
  return {
    server: 'https://10.0.0.10:6443',
    nodes: [...masters, ...workers],
    kubernetesService: {
      spec: {
        clusterIP: '10.96.0.1',
        clusterIPs: ['10.96.0.1'],
        ports: [{ name: 'https', port: 443, targetPort: 6443 }],
      },
    },
    apiEndpointSlices: [
      {
        addressType: 'IPv4',
        endpoints: [0, 1, 2].map((i) => ({ addresses: [`10.0.0.1${i}`] })),
        ports: [{ name: 'https', port: 6443 }],
      },
    ],
    etcdPods: [0, 1, 2].map((i) => etcdPod(`cp-${i}`, [`--advertise-client-urls=https://10.0.0.1${i}:2379`])),
  };
}

const run = (facts: ClusterFacts, options: Partial<ImportOptions> = {}) =>
  importTopology(facts, { ...OPTIONS, ...options });
const targetsOf = (facts: ClusterFacts, options: Partial<ImportOptions> = {}) => run(facts, options).topology.targets;
const named = (facts: ClusterFacts, name: string) => targetsOf(facts).find((target) => target.name === name);
const render = (facts: ClusterFacts, options: Partial<ImportOptions> = {}) => {
  const { topology, notes } = run(facts, options);
  return renderTopology(topology, { server: facts.server, generatedAt: new Date('2026-01-02T03:04:05.678Z'), notes });
};

describe('nodes', () => {
  test('roles come from node-role.kubernetes.io labels only, sorted; zone and region labels are kept', () => {
    const facts = {
      ...kubeadmCluster(),
      nodes: [
        node('n1', internal('10.0.0.1'), ['master', 'control-plane'], {
          labels: {
            'kubernetes.io/role': 'legacy',
            'topology.kubernetes.io/zone': 'a',
            'topology.kubernetes.io/region': 'r',
            'beta.kubernetes.io/arch': 'amd64',
          },
        }),
      ],
    };
    const { topology } = run(facts);
    assert.deepEqual(topology.nodes, [
      {
        name: 'n1',
        addresses: ['10.0.0.1'],
        roles: ['control-plane', 'master'],
        labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': 'a' },
      },
    ]);
  });

  test('a role label that is no DNS-1123 label is left out with a note', () => {
    const facts = { ...kubeadmCluster(), nodes: [node('n1', internal('10.0.0.1'), ['Infra_Nodes', 'worker'])] };
    const { topology, notes } = run(facts);
    assert.deepEqual(topology.nodes[0]!.roles, ['worker']);
    assert.ok(
      notes.includes('node n1: role label node-role.kubernetes.io/Infra_Nodes is not a DNS-1123 label; role left out'),
      notes.join('\n'),
    );
  });

  test("dual-stack: one InternalIP per family in the node's order; ExternalIP only without InternalIP; no IP: left out", () => {
    const facts = {
      ...kubeadmCluster(),
      nodes: [
        node('v6-first', [
          ['InternalIP', 'fd00::5'],
          ['ExternalIP', '203.0.113.5'],
          ['InternalIP', '10.0.0.5'],
          ['InternalIP', '10.0.0.6'],
        ]),
        node('public-only', [['ExternalIP', '198.51.100.7']]),
        node('no-ip', []),
      ],
    };
    const { topology, notes } = run(facts);
    assert.deepEqual(
      topology.nodes.map((n) => [n.name, n.addresses]),
      [
        ['public-only', ['198.51.100.7']],
        ['v6-first', ['fd00::5', '10.0.0.5']],
      ],
    );
    assert.ok(notes.includes('node no-ip has no InternalIP or ExternalIP address; left out'));
  });

  test('a cluster whose nodes have no address is refused with a clear error', () => {
    assert.throws(
      () => run({ ...kubeadmCluster(), nodes: [node('n', [])] }),
      /the cluster lists no node with an IP address; a topology needs at least one node/,
    );
  });

  test('FQDN node names are kept; target names derived from them are DNS-1123 labels of at most 63 characters', () => {
    const long = `ip-10-0-0-10.${'very-long-region-name.'.repeat(4)}compute.internal`;
    const facts = {
      ...kubeadmCluster(),
      nodes: [node(long, internal('10.0.0.10')), node('worker-1.example.com', internal('10.0.1.11'))],
    };
    const { topology } = run(facts);
    assert.deepEqual(topology.nodes.map((n) => n.name).sort(), [long, 'worker-1.example.com'].sort());
    for (const target of topology.targets)
      assert.ok(target.name.length <= 63 && DNS1123_LABEL.test(target.name), target.name);
    const apiServer = topology.targets.find(
      (target) => target.kind === 'endpoint' && target.host === '10.0.0.10' && target.port === 6443,
    );
    assert.match(
      apiServer!.name,
      /^kubernetes-apiserver-endpoint-ip-10-0-0-10-very-long-.*-[0-9a-f]{8}$/,
      'named after the node, cut with a hash',
    );
    const checks = expand(parseTopology(render(facts)));
    assert.ok(
      checks.some((check) => check.name === 'network-check-source-to-network-check-target-worker-1-example-com'),
    );
  });
});

describe('API servers', () => {
  test('control-plane nodes by label give one node target at the port of the endpoints', () => {
    assert.deepEqual(named(kubeadmCluster(), 'kubernetes-apiserver-endpoint'), {
      name: 'kubernetes-apiserver-endpoint',
      kind: 'node',
      roles: ['control-plane'],
      port: 6443,
    });
    assert.deepEqual(run(kubeadmCluster()).topology.apiServer, { port: 6443 });
  });

  test('without a control-plane label: one endpoint target per API server, named after its node', () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) => ({ ...n, metadata: { name: n.metadata.name } }));
    const { topology, notes } = run(facts);
    assert.deepEqual(
      topology.targets
        .filter((target) => target.name.startsWith('kubernetes-apiserver'))
        .map((target) => target.kind === 'endpoint' && `${target.name} ${target.host}:${target.port}`),
      [
        'kubernetes-apiserver-endpoint-cp-0 10.0.0.10:6443',
        'kubernetes-apiserver-endpoint-cp-1 10.0.0.11:6443',
        'kubernetes-apiserver-endpoint-cp-2 10.0.0.12:6443',
      ],
    );
    assert.ok(
      notes.includes(
        'no node has a control-plane role label; API servers taken from the endpoints of the kubernetes Service',
      ),
    );
    const labelled = expand(parseTopology(render(kubeadmCluster()))).filter((check) =>
      check.name.includes('apiserver-endpoint'),
    );
    const unlabelled = expand(parseTopology(render(facts))).filter((check) =>
      check.name.includes('apiserver-endpoint'),
    );
    assert.deepEqual(
      unlabelled.map((check) => [check.name, check.spec.targetEndpoint]),
      labelled.map((check) => [check.name, check.spec.targetEndpoint]),
      'same check names and endpoints either way',
    );
  });

  test('the Endpoints object is used when there are no EndpointSlices', () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) => ({ ...n, metadata: { name: n.metadata.name } }));
    delete facts.apiEndpointSlices;
    facts.apiEndpoints = {
      subsets: [
        {
          addresses: [{ ip: '10.0.0.11' }],
          notReadyAddresses: [{ ip: '10.0.0.12' }],
          ports: [{ name: 'https', port: 8443 }],
        },
      ],
    };
    const { topology } = run(facts);
    assert.deepEqual(topology.apiServer, { port: 8443 });
    assert.deepEqual(
      topology.targets.filter((target) => target.name.startsWith('kubernetes-apiserver')).map((target) => target.name),
      ['kubernetes-apiserver-endpoint-cp-1'],
    );
  });

  test('a managed control plane: API servers that are no nodes are endpoint targets by address; no etcd target; notes say so', () => {
    const facts: ClusterFacts = {
      server: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
      nodes: [0, 1].map((i) => node(`ip-10-0-2-${i}.eu-west-1.compute.internal`, internal(`10.0.2.${i}`))),
      kubernetesService: { spec: { clusterIP: '172.20.0.1', ports: [{ name: 'https', port: 443, targetPort: 443 }] } },
      apiEndpointSlices: [
        {
          addressType: 'IPv4',
          endpoints: [{ addresses: ['10.0.9.5'] }, { addresses: ['10.0.9.6'] }],
          ports: [{ name: 'https', port: 443 }],
        },
      ],
      etcdPods: [],
    };
    const { topology, notes } = run(facts);
    assert.deepEqual(
      topology.targets.map((target) => target.name),
      [
        'kubernetes-apiserver-endpoint-10-0-9-5',
        'kubernetes-apiserver-endpoint-10-0-9-6',
        'kubernetes-default-service-cluster',
        'load-balancer-api',
        'network-check-target',
      ],
    );
    assert.deepEqual(named(facts, 'load-balancer-api'), {
      name: 'load-balancer-api',
      kind: 'endpoint',
      host: 'abcdef.gr7.eu-west-1.eks.amazonaws.com',
      port: 443,
    });
    assert.ok(
      notes.includes('no etcd members visible and no control-plane nodes (a managed control plane?); no etcd target'),
      notes.join('\n'),
    );
    assert.deepEqual(topology.sources, [{ name: 'network-check-source', kind: 'Deployment' }], 'two nodes: no mesh');
  });

  test('without any endpoints read, the Service target port is the API server port', () => {
    const facts = kubeadmCluster();
    delete facts.apiEndpointSlices;
    facts.kubernetesService!.spec!.ports = [{ name: 'https', port: 443, targetPort: 16443 }];
    const { topology, notes } = run(facts);
    assert.deepEqual(topology.apiServer, { port: 16443 });
    assert.ok(notes.includes('no endpoints of the kubernetes Service read; API server port 16443 assumed'));
  });
});

describe('etcd', () => {
  test('members exactly on the control-plane nodes at one port: one node target; the port from --advertise-client-urls', () => {
    const facts = kubeadmCluster();
    facts.etcdPods = [0, 1, 2].map((i) =>
      etcdPod(`cp-${i}`, [`--listen-client-urls=https://127.0.0.1:12379,https://10.0.0.1${i}:12379`]),
    );
    assert.deepEqual(named(facts, 'etcd'), { name: 'etcd', kind: 'node', roles: ['control-plane'], port: 12379 });
  });

  test('members on only some control-plane nodes: one endpoint target per member', () => {
    const facts = kubeadmCluster();
    facts.etcdPods = facts.etcdPods!.slice(0, 2);
    assert.deepEqual(
      targetsOf(facts).filter((target) => target.name.startsWith('etcd')),
      [
        { name: 'etcd-cp-0', kind: 'endpoint', host: '10.0.0.10', port: 2379 },
        { name: 'etcd-cp-1', kind: 'endpoint', host: '10.0.0.11', port: 2379 },
      ],
    );
  });

  test("OpenShift's ${NODE_IP} URLs and loopback URLs take the host from the member's node", () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) => ({ ...n, metadata: { name: n.metadata.name } }));
    facts.etcdPods = [
      etcdPod('cp-0', ['--advertise-client-urls=https://${NODE_IP}:2379']),
      etcdPod('cp-1', ['--advertise-client-urls', 'https://127.0.0.1:2379']),
    ];
    assert.deepEqual(
      targetsOf(facts)
        .filter((target) => target.name.startsWith('etcd'))
        .map((target) => target.kind === 'endpoint' && `${target.name} ${target.host}:${target.port}`),
      ['etcd-cp-0 10.0.0.10:2379', 'etcd-cp-1 10.0.0.11:2379'],
    );
  });

  test('an etcd role label (RKE) selects the etcd nodes', () => {
    const facts = kubeadmCluster();
    facts.nodes = [...facts.nodes, node('etcd-0', internal('10.0.3.10'), ['etcd'])];
    facts.etcdPods = [etcdPod('etcd-0', ['--advertise-client-urls=https://10.0.3.10:2379'])];
    assert.deepEqual(named(facts, 'etcd'), { name: 'etcd', kind: 'node', roles: ['etcd'], port: 2379 });
  });

  test("kubeadm's external etcd: one endpoint target per endpoint", () => {
    const facts = {
      ...kubeadmCluster(),
      kubeadmClusterConfiguration:
        'etcd:\n  external:\n    endpoints: [https://10.0.5.1:2379, "https://etcd-b.example.com:2379"]\n',
    };
    assert.deepEqual(
      targetsOf(facts).filter((target) => target.name.startsWith('etcd')),
      [
        { name: 'etcd-10-0-5-1', kind: 'endpoint', host: '10.0.5.1', port: 2379 },
        { name: 'etcd-etcd-b-example-com', kind: 'endpoint', host: 'etcd-b.example.com', port: 2379 },
      ],
    );
  });

  test('etcd pods not readable: the control-plane nodes at 2379, said in a note', () => {
    const facts = kubeadmCluster();
    delete facts.etcdPods;
    const { notes } = run(facts);
    assert.deepEqual(named(facts, 'etcd'), { name: 'etcd', kind: 'node', roles: ['control-plane'], port: 2379 });
    assert.ok(
      notes.includes(
        'etcd pods not readable; assuming etcd on the control-plane nodes at port 2379 (edit or remove the etcd target if not)',
      ),
    );
  });
});

describe('load balancers and cluster name', () => {
  test("kubeadm's controlPlaneEndpoint, clusterName and dnsDomain", () => {
    const facts = {
      ...kubeadmCluster(),
      kubeadmClusterConfiguration:
        'clusterName: Prod_EU1\ncontrolPlaneEndpoint: "[fd00::100]"\nnetworking: { dnsDomain: corp.internal }\n',
    };
    const { topology } = run(facts);
    assert.equal(topology.cluster, 'prod-eu1');
    assert.equal(topology.clusterDomain, 'corp.internal');
    assert.deepEqual(named(facts, 'load-balancer-api'), {
      name: 'load-balancer-api',
      kind: 'endpoint',
      host: 'fd00::100',
      port: 6443,
    });
  });

  test("OpenShift's API URLs give the external and internal load balancers and the cluster name; --cluster wins", () => {
    const facts = {
      ...kubeadmCluster(),
      server: 'https://api.ocp.example.com:6443',
      infrastructure: {
        status: {
          infrastructureName: 'ocp-x7k2p',
          apiServerURL: 'https://api.ocp.example.com:6443',
          apiServerInternalURI: 'https://api-int.ocp.example.com:6443',
        },
      },
    };
    const { topology } = run(facts);
    assert.equal(topology.cluster, 'ocp-x7k2p');
    assert.deepEqual(
      topology.targets
        .filter((target) => target.name.startsWith('load-balancer'))
        .map((target) => target.kind === 'endpoint' && `${target.name} ${target.host}:${target.port}`),
      [
        'load-balancer-api-external api.ocp.example.com:6443',
        'load-balancer-api-internal api-int.ocp.example.com:6443',
      ],
      'the kubeconfig server is the external one: listed once',
    );
    assert.equal(run(facts, { cluster: 'mine' }).topology.cluster, 'mine');
  });

  test('a kubeconfig server that is a node, an API server, the Service IP or loopback is no load balancer', () => {
    for (const server of [
      'https://10.0.0.10:6443',
      'https://10.0.1.11:6443',
      'https://10.96.0.1',
      'https://127.0.0.1:40443',
      'https://localhost:6443',
      'https://kubernetes.default.svc',
    ]) {
      assert.deepEqual(
        targetsOf({ ...kubeadmCluster(), server }).filter((target) => target.name.startsWith('load-balancer')),
        [],
        server,
      );
    }
  });

  test('a kubeconfig server besides a different controlPlaneEndpoint is a second load balancer', () => {
    const facts = {
      ...kubeadmCluster(),
      server: 'https://k8s.example.com',
      kubeadmClusterConfiguration: 'controlPlaneEndpoint: 10.0.0.100:6443\n',
    };
    assert.deepEqual(
      targetsOf(facts)
        .filter((target) => target.name.startsWith('load-balancer'))
        .map((target) => target.kind === 'endpoint' && `${target.name} ${target.host}:${target.port}`),
      ['load-balancer-api 10.0.0.100:6443', 'load-balancer-api-kubeconfig k8s.example.com:443'],
    );
  });
});

describe('sources', () => {
  test('a Deployment probing everything, and a mesh on the role that marks exactly the untainted nodes', () => {
    assert.deepEqual(run(kubeadmCluster()).topology.sources, [
      { name: 'network-check-source', kind: 'Deployment' },
      {
        name: 'node-mesh',
        kind: 'DaemonSet',
        roles: ['worker'],
        mesh: { neighbours: 3 },
        targets: ['network-check-target'],
      },
    ]);
    assert.deepEqual(run(kubeadmCluster(), { meshNeighbours: 5 }).topology.sources[1], {
      name: 'node-mesh',
      kind: 'DaemonSet',
      roles: ['worker'],
      mesh: { neighbours: 5 },
      targets: ['network-check-target'],
    });
  });

  test('all nodes untainted: the mesh runs on every node', () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) => ({ ...n, spec: {} }));
    assert.deepEqual(run(facts).topology.sources[1], {
      name: 'node-mesh',
      kind: 'DaemonSet',
      mesh: { neighbours: 3 },
      targets: ['network-check-target'],
    });
  });

  test('taints a DaemonSet tolerates anyway do not keep the mesh off a node', () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) => ({
      ...n,
      spec: {
        taints: [
          { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
          { key: 'spot', effect: 'PreferNoSchedule' },
        ],
      },
    }));
    assert.equal(run(facts).topology.sources[1]?.kind, 'DaemonSet');
    assert.equal((run(facts).topology.sources[1] as { roles?: string[] }).roles, undefined);
  });

  test('no role marks the untainted nodes (kubeadm workers carry no role label): no mesh, said in a note', () => {
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.map((n) =>
      n.metadata.name.startsWith('worker') ? { ...n, metadata: { name: n.metadata.name } } : n,
    );
    const { topology, notes } = run(facts);
    assert.deepEqual(topology.sources, [{ name: 'network-check-source', kind: 'Deployment' }]);
    assert.ok(
      notes.some((note) =>
        note.startsWith('no role label marks exactly the 3 nodes without taints, so no node-mesh DaemonSet source'),
      ),
      notes.join('\n'),
    );
  });

  test('--mesh-neighbours 0 or fewer than 3 untainted nodes: the Deployment alone', () => {
    assert.equal(run(kubeadmCluster(), { meshNeighbours: 0 }).topology.sources.length, 1);
    const facts = kubeadmCluster();
    facts.nodes = facts.nodes.slice(0, 5);
    assert.equal(run(facts).topology.sources.length, 1);
  });
});

describe('output', () => {
  test('the rendered file loads as synth loads it, to the same topology, and expands into checks', () => {
    const facts = kubeadmCluster();
    const loaded = parseTopology(render(facts));
    assert.deepEqual(loaded, TopologySchema.parse(run(facts).topology));
    assert.equal(
      expand(loaded).length,
      3 + 3 + 1 + 7 + 3 * (1 + 3),
      'API servers, etcd, the Service, the target (Service + 6 nodes), the mesh of 3 workers',
    );
  });

  test('the same facts in any order give the same bytes', () => {
    const facts = kubeadmCluster();
    const shuffled = {
      ...facts,
      nodes: [...facts.nodes].reverse(),
      etcdPods: [...facts.etcdPods!].reverse(),
      apiEndpointSlices: [
        { ...facts.apiEndpointSlices![0]!, endpoints: [...facts.apiEndpointSlices![0]!.endpoints!].reverse() },
      ],
    };
    assert.equal(render(shuffled), render(facts));
  });

  test('header, notes as comments, keys in the order of the README reference, one line per node', () => {
    const facts = kubeadmCluster();
    delete facts.etcdPods;
    const text = render(facts);
    const lines = text.split('\n');
    assert.equal(
      lines[0],
      '# p2pnc topology imported by `p2pnc import` from https://10.0.0.10:6443 at 2026-01-02T03:04:05Z.',
    );
    assert.ok(
      lines.includes(
        '# note: etcd pods not readable; assuming etcd on the control-plane nodes at port 2379 (edit or remove the etcd target if not)',
      ),
    );
    const keys = lines.filter((line) => /^[a-zA-Z]+:/.test(line)).map((line) => line.split(':')[0]);
    assert.deepEqual(keys, [
      'cluster',
      'namespace',
      'image',
      'clusterDomain',
      'interval',
      'timeout',
      'apiServer',
      'nodes',
      'sources',
      'targets',
    ]);
    assert.ok(lines.includes('  - {name: cp-0, addresses: [10.0.0.10], roles: [control-plane]}'), text);
  });
});

describe('p2pnc import command', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2pnc-import-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/p2pnc.js', 'import', ...args], { encoding: 'utf8' });

  test('an unreachable API server is one line, exit 1', () => {
    const dir = tempDir();
    const kubeconfig = join(dir, 'kubeconfig');
    const config = {
      clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
      contexts: [{ name: 'x', context: { cluster: 'c', user: 'u' } }],
      'current-context': 'x',
    };
    writeFileSync(kubeconfig, JSON.stringify(config));
    const result = cli('--kubeconfig', kubeconfig);
    assert.equal(result.status, 1);
    assert.equal(result.stdout, '');
    assert.match(
      result.stderr,
      /^error: cannot reach the API server at https:\/\/127\.0\.0\.1:1: connect ECONNREFUSED 127\.0\.0\.1:1 \(check --kubeconfig and --context\)\n$/,
    );
  });

  test('bad flags and an existing output file are refused before the cluster is read (exit 2)', () => {
    const dir = tempDir();
    const existing = join(dir, 'topology.yaml');
    writeFileSync(existing, 'mine\n');
    const missing = join(dir, 'no-kubeconfig');
    const cases: [string[], string][] = [
      [['--mesh-neighbours', 'many'], 'error: --mesh-neighbours must be a whole number (0 for no mesh), got "many"\n'],
      [
        ['--cluster', 'Prod EU'],
        'error: --cluster must be a DNS-1123 label (lower-case letters, digits and \'-\'), got "Prod EU"\n',
      ],
      [['-o', existing], `error: ${existing} exists; pass --force to replace it, or write elsewhere with -o FILE\n`],
    ];
    for (const [args, message] of cases) {
      const result = cli('--kubeconfig', missing, ...args);
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stderr, message);
    }
    assert.equal(readFileSync(existing, 'utf8'), 'mine\n');
  });
});
