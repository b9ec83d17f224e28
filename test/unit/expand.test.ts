import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DNS1123_SUBDOMAIN, nodeLabelValue, slug } from '../../src/api/labels.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { expand, ringNeighbours } from '../../src/topology/expand.js';
import { checkName, uniqueSlugs } from '../../src/topology/naming.js';
import { loadTopologyFile } from '../../src/topology/load.js';
import { smallTopology } from '../helpers/topologies.js';

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

describe('expand', () => {
  test('the default topology gives the 18 checks of the OpenShift example cluster', () => {
    const checks = expand(loadTopologyFile('topology.yaml'));
    const prefix = 'network-check-source-ci-ln-x5sv9rb-f76d1-4rzrp-worker-b-6xdmh-to-';
    const targets = checks.map((check) => {
      assert.ok(check.name.startsWith(prefix), check.name);
      return check.name.slice(prefix.length).replace(/ci-ln-x5sv9rb-f76d1-4rzrp-/, '');
    });
    assert.deepEqual(targets.sort(), [
      'kubernetes-apiserver-endpoint-master-0',
      'kubernetes-apiserver-endpoint-master-1',
      'kubernetes-apiserver-endpoint-master-2',
      'kubernetes-apiserver-service-cluster',
      'kubernetes-default-service-cluster',
      'load-balancer-api-external',
      'load-balancer-api-internal',
      'network-check-target-master-0',
      'network-check-target-master-1',
      'network-check-target-master-2',
      'network-check-target-service-cluster',
      'network-check-target-worker-b-6xdmh',
      'network-check-target-worker-c-n8mbf',
      'network-check-target-worker-d-4hnrz',
      'openshift-apiserver-endpoint-master-0',
      'openshift-apiserver-endpoint-master-1',
      'openshift-apiserver-endpoint-master-2',
      'openshift-apiserver-service-cluster',
    ]);
    const master0 = checks.find((check) =>
      check.name.endsWith('kubernetes-apiserver-endpoint-ci-ln-x5sv9rb-f76d1-4rzrp-master-0'),
    )!;
    assert.equal(master0.spec.targetEndpoint, '10.0.0.4:6443');
    assert.equal(master0.spec.interval, '60s');
    assert.equal(master0.spec.timeout, '10s');
  });

  test('specs carry endpoints, probes, overrides, client certificates and target pods', () => {
    const checks = expand(TopologySchema.parse(smallTopology()));
    const byName = new Map(checks.map((check) => [check.name, check]));
    const etcd = byName.get('network-check-source-worker-0-to-etcd-master-0')!;
    assert.deepEqual(etcd.spec.tlsClientCert, { name: 'etcd-client' });
    assert.deepEqual(etcd.spec.probe, { kind: 'tls' });
    const v6 = byName.get('network-check-source-worker-0-to-apiserver-master-0-ipv6')!;
    assert.equal(v6.spec.targetEndpoint, '[fd00::10]:6443');
    assert.equal(
      byName.get('network-check-source-worker-0-to-apiserver-master-0')!.spec.targetEndpoint,
      '10.0.0.10:6443',
    );
    assert.equal(
      byName.has('network-check-source-worker-0-to-apiserver-master-1-ipv6'),
      false,
      'single-stack node gets one check',
    );
    const lb = byName.get('network-check-source-worker-0-to-load-balancer-api-external')!;
    assert.equal(lb.spec.interval, '30s');
    assert.equal(lb.spec.timeout, '5s');
    assert.equal(
      byName.get('network-check-source-worker-0-to-kubernetes-default-service-cluster')!.spec.targetEndpoint,
      'kubernetes.default.svc.cluster.local:443',
    );
    const pod = byName.get('network-check-source-worker-0-to-network-check-target-10-0-1-11')!;
    assert.deepEqual(pod.spec.targetPod, { service: 'network-check-target', node: '10.0.1.11', port: 8080 });
    assert.equal(
      byName.get('network-check-source-worker-0-to-network-check-target-service-cluster')!.spec.targetEndpoint,
      'network-check-target.p2pnc.svc.cluster.local:80',
    );
  });

  test('labels identify source, source node and target, and select what a runtime needs', () => {
    const checks = expand(TopologySchema.parse(smallTopology()));
    const mesh = checks.filter((check) => check.labels['p2pnc.io/source'] === 'mesh');
    assert.ok(mesh.length > 0);
    for (const check of mesh) {
      assert.equal(check.labels['p2pnc.io/source-node'], nodeLabelValue(check.spec.source!.node!));
      assert.equal(check.labels['p2pnc.io/target'], 'network-check-target');
    }
  });

  test('every name is a unique DNS-1123 subdomain and every label value is valid', () => {
    const topology = smallTopology();
    topology.nodes.push(
      { name: '10.9.9.99', addresses: ['fd00::99'], roles: ['worker'] },
      { name: `${'very-long-node-name-'.repeat(12)}x`, addresses: ['10.9.9.9'], roles: ['worker'] },
    );
    const checks = expand(TopologySchema.parse(topology));
    assert.equal(new Set(checks.map((check) => check.name)).size, checks.length);
    for (const check of checks) {
      assert.ok(check.name.length <= 253 && DNS1123_SUBDOMAIN.test(check.name), check.name);
      for (const [key, value] of Object.entries(check.labels))
        assert.ok(value.length <= 63 && LABEL_VALUE.test(value), `${key}=${value}`);
    }
  });

  test('expansion is deterministic', () => {
    assert.deepEqual(expand(TopologySchema.parse(smallTopology())), expand(TopologySchema.parse(smallTopology())));
  });
});

describe('k-neighbour mesh', () => {
  function meshTopology(nodeCount: number, neighbours: number) {
    return TopologySchema.parse({
      cluster: 'mesh',
      nodes: Array.from({ length: nodeCount }, (_, i) => ({
        name: `node-${i}`,
        addresses: [`10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`],
        roles: ['worker'],
      })),
      sources: [{ name: 'mesh', kind: 'DaemonSet', mesh: { neighbours } }],
      targets: [{ name: 'peer', kind: 'p2pnc-target', viaService: false }],
    });
  }

  test('each node probes k others and is probed by exactly k others, never itself', () => {
    const checks = expand(meshTopology(50, 3));
    assert.equal(checks.length, 50 * 3, 'cost grows as N*k');
    const inDegree = new Map<string, number>();
    for (const check of checks) {
      assert.notEqual(check.spec.source!.node, check.spec.target!.node);
      inDegree.set(check.spec.target!.node!, (inDegree.get(check.spec.target!.node!) ?? 0) + 1);
    }
    assert.deepEqual([...new Set(inDegree.values())], [3]);
  });

  test('adding a node changes few existing pairs', () => {
    const pairs = (n: number) => new Set(expand(meshTopology(n, 3)).map((check) => check.name));
    const before = pairs(100);
    const after = pairs(101);
    const kept = [...before].filter((name) => after.has(name)).length;
    assert.ok(kept >= before.size - 6, `kept ${kept} of ${before.size}`);
  });

  test('full mesh is N^2 including each node itself', () => {
    const topology = meshTopology(5, 1);
    const full = TopologySchema.parse({ ...topology, sources: [{ name: 'mesh', kind: 'DaemonSet' }] });
    assert.equal(expand(full).length, 25);
  });

  test('ringNeighbours is stable and bounded by the candidates', () => {
    assert.deepEqual(ringNeighbours('a', ['b', 'c'], 5, 's').sort(), ['b', 'c']);
    assert.deepEqual(ringNeighbours('a', ['b', 'c', 'd'], 2, 's'), ringNeighbours('a', ['d', 'c', 'b'], 2, 's'));
  });
});

describe('naming', () => {
  test('IP-like and odd node names become DNS labels', () => {
    assert.equal(slug('10.0.0.4'), '10-0-0-4');
    assert.equal(slug('fd00::1'), 'fd00--1');
    assert.equal(slug('Node_A.example.com'), 'node-a-example-com');
  });

  test('colliding slugs are told apart with a stable hash', () => {
    const slugs = uniqueSlugs(['a.b', 'a-b', 'c']);
    assert.notEqual(slugs.get('a.b'), slugs.get('a-b'));
    assert.match(slugs.get('a.b')!, /^a-b-[0-9a-f]{6}$/);
    assert.equal(slugs.get('c'), 'c');
    assert.deepEqual(uniqueSlugs(['a.b', 'a-b', 'c']), slugs);
  });

  test('long names are truncated with a stable hash and stay unique', () => {
    const long = 'x'.repeat(300);
    const a = checkName(long, 'target-a');
    const b = checkName(long, 'target-b');
    assert.equal(a.length, 253);
    assert.notEqual(a, b);
    assert.equal(a, checkName(long, 'target-a'));
  });

  test('node label values keep valid names and hash the rest', () => {
    assert.equal(nodeLabelValue('ip-10-0-0-4.ec2.internal'), 'ip-10-0-0-4.ec2.internal');
    assert.match(nodeLabelValue('fd00::1'), /^fd00--1-[0-9a-f]{8}$/);
    assert.ok(nodeLabelValue('n'.repeat(100)).length <= 63);
  });
});
