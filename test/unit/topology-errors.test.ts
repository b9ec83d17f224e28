import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { parseTopology, TopologyError } from '../../src/topology/load.js';
import { smallTopology } from '../helpers/topologies.js';

type Mutation = (topology: any) => void;

/** Each case breaks a valid topology in one way and names the line of the error it must produce. */
const cases: { name: string; mutate: Mutation; expected: RegExp }[] = [
  {
    name: 'port above range',
    mutate: (t) => (t.targets[3].port = 70000),
    expected: /targets\[3\]\.port: port must be between 1 and 65535 \(got number 70000\)/,
  },
  {
    name: 'port zero',
    mutate: (t) => (t.targets[0].port = 0),
    expected: /targets\[0\]\.port: port must be between 1 and 65535/,
  },
  {
    name: 'port not a number',
    mutate: (t) => (t.targets[0].port = '6443'),
    expected: /targets\[0\]\.port: expected number, got "6443"/,
  },
  { name: 'missing port', mutate: (t) => delete t.targets[0].port, expected: /targets\[0\]\.port: is required/ },
  {
    name: 'typo in key suggests the closest',
    mutate: (t) => ((t.targets[0].prot = t.targets[0].port), delete t.targets[0].port),
    expected: /targets\[0\]\.prot: unknown key "prot"; did you mean "port"\?/,
  },
  {
    name: 'typo at top level',
    mutate: (t) => ((t.namspace = 'x'), delete t.namespace),
    expected: /namspace: unknown key "namspace"; did you mean "namespace"\?/,
  },
  {
    name: 'unknown target kind',
    mutate: (t) => (t.targets[3].kind = 'endponit'),
    expected:
      /targets\[3\]\.kind: must be one of "endpoint", "node", "service", "p2pnc-target"; got "endponit"; did you mean "endpoint"\?/,
  },
  {
    name: 'unknown source kind',
    mutate: (t) => (t.sources[0].kind = 'StatefulSet'),
    expected: /sources\[0\]\.kind: must be one of "Deployment", "DaemonSet"/,
  },
  {
    name: 'malformed IPv4',
    mutate: (t) => (t.nodes[0].addresses = ['10.0.0.300']),
    expected: /nodes\[0\]\.addresses\[0\]: must be an IPv4 address .* \(got "10\.0\.0\.300"\)/,
  },
  {
    name: 'malformed IPv6',
    mutate: (t) => (t.nodes[0].addresses = ['fd00:::1']),
    expected: /nodes\[0\]\.addresses\[0\]: must be an IPv4 address/,
  },
  {
    name: 'node without addresses',
    mutate: (t) => (t.nodes[0].addresses = []),
    expected: /nodes\[0\]\.addresses: a node needs at least one address/,
  },
  {
    name: 'node name not a Kubernetes node name',
    mutate: (t) => (t.nodes[0].name = 'Master_0'),
    expected:
      /nodes\[0\]\.name: node name must be a DNS-1123 subdomain, as `kubectl get nodes` shows it.* \(got "Master_0"\)/,
  },
  {
    name: 'IPv6 as a node name',
    mutate: (t) => (t.nodes[0].name = 'fd00::1'),
    expected: /nodes\[0\]\.name: node name must be a DNS-1123 subdomain/,
  },
  {
    name: 'duplicate node name',
    mutate: (t) => (t.nodes[1].name = 'master-0'),
    expected: /nodes\[1\]\.name: duplicate name "master-0": nodes\[0\] has it already/,
  },
  {
    name: 'duplicate target name',
    mutate: (t) => (t.targets[1].name = 'etcd'),
    expected: /targets\[1\]\.name: duplicate name "etcd": targets\[0\] has it already/,
  },
  {
    name: 'duplicate source name',
    mutate: (t) => (t.sources[1].name = 'network-check-source'),
    expected: /sources\[1\]\.name: duplicate name/,
  },
  {
    name: 'target name not DNS-1123',
    mutate: (t) => (t.targets[0].name = 'Etcd_Server'),
    expected: /targets\[0\]\.name: target name must be a DNS-1123 label/,
  },
  {
    name: 'target name too long',
    mutate: (t) => (t.targets[0].name = 'a'.repeat(64)),
    expected: /targets\[0\]\.name: target name must be at most 63 characters/,
  },
  {
    name: 'namespace not DNS-1123',
    mutate: (t) => (t.namespace = 'P2PNC'),
    expected: /namespace: namespace must be a DNS-1123 label/,
  },
  {
    name: 'unknown node reference',
    mutate: (t) => (t.sources[0].node = 'worker-9'),
    expected: /sources\[0\]\.node: unknown node "worker-9" \(defined: master-0, master-1, worker-0, 10\.0\.1\.11\)/,
  },
  {
    name: 'unknown target reference',
    mutate: (t) => (t.sources[1].targets = ['network-check-targt']),
    expected: /sources\[1\]\.targets\[0\]: unknown target "network-check-targt"/,
  },
  {
    name: 'unknown role',
    mutate: (t) => (t.targets[0].roles = ['mastr']),
    expected: /targets\[0\]\.roles\[0\]: unknown role "mastr" \(defined: master, worker\)/,
  },
  {
    name: 'bad duration',
    mutate: (t) => (t.interval = '60'),
    expected: /interval: must be a Go duration such as 60s, 1m30s or 500ms \(got "60"\)/,
  },
  { name: 'zero duration', mutate: (t) => (t.timeout = '0s'), expected: /timeout: must be longer than 0s/ },
  {
    name: 'http option on a tcp probe',
    mutate: (t) => (t.targets[3].probe = { kind: 'tcp', path: '/x' }),
    expected: /targets\[3\]\.probe\.path: path applies only to http and https probes/,
  },
  {
    name: 'tls option on an http probe',
    mutate: (t) => (t.targets[3].probe = { kind: 'http', serverName: 'x' }),
    expected: /targets\[3\]\.probe\.serverName: serverName applies only to tls and https probes/,
  },
  {
    name: 'bad probe kind',
    mutate: (t) => (t.targets[3].probe = { kind: 'ping' }),
    expected:
      /targets\[3\]\.probe\.kind: must be one of "tcp", "tls", "http", "https", "icmp", "udp", "mtu"; got "ping"/,
  },
  {
    name: 'bad host',
    mutate: (t) => (t.targets[3].host = 'api example com'),
    expected: /targets\[3\]\.host: must be a DNS name/,
  },
  { name: 'no targets', mutate: (t) => (t.targets = []), expected: /targets: list at least one target/ },
  {
    name: 'neighbours below 1',
    mutate: (t) => (t.sources[1].mesh = { neighbours: 0 }),
    expected: /sources\[1\]\.mesh/,
  },
  { name: 'missing cluster', mutate: (t) => delete t.cluster, expected: /cluster: is required \(expected string\)/ },
];

describe('topology validation', () => {
  for (const { name, mutate, expected } of cases) {
    test(name, () => {
      const topology = smallTopology();
      mutate(topology);
      const error = captureError(() => parseTopology(stringify(topology), 'topology.yaml'));
      assert.ok(error instanceof TopologyError, `expected a TopologyError, got ${String(error)}`);
      assert.match(error.message, expected);
      assert.match(error.message, /^invalid topology topology\.yaml \(\d+ problems?\); fix the file and run again:/);
      assert.doesNotMatch(error.message, /\n\s+at /, 'no stack trace in the message');
    });
  }

  test('the error names the line of the offending key', () => {
    const text = [
      'cluster: demo',
      'nodes:',
      '  - name: n1',
      '    addresses: [10.0.0.1]',
      'sources:',
      '  - { name: s, kind: Deployment }',
      'targets:',
      '  - name: lb',
      '    kind: endpoint',
      '    host: lb.example.com',
      '    port: 99999',
    ].join('\n');
    const error = captureError(() => parseTopology(text, 'topo.yaml'));
    assert.match((error as Error).message, /topo\.yaml:11: targets\[0\]\.port: port must be between 1 and 65535/);
  });

  test('YAML syntax errors and duplicate keys are reported with their line', () => {
    assert.match(
      (captureError(() => parseTopology('cluster: a\ncluster: b\n')) as Error).message,
      /topology\.yaml:2: cluster: duplicate key "cluster": line 1 has it already/,
    );
    assert.match((captureError(() => parseTopology('nodes: [\n')) as Error).message, /\(syntax\)/);
  });

  test('a valid topology parses and gets its defaults', () => {
    const topology = parseTopology(stringify(smallTopology()));
    assert.equal(topology.interval, '60s');
    assert.equal(topology.timeout, '10s');
    assert.equal(topology.target.port, 8080);
    assert.equal(topology.targets[4]!.kind === 'p2pnc-target' && topology.targets[4]!.perNode, true);
  });

  test('JSON topologies are accepted too', () => {
    assert.equal(parseTopology(JSON.stringify(smallTopology()), 'topology.json').cluster, 'test');
  });
});

function captureError(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  assert.fail('expected an error');
}
