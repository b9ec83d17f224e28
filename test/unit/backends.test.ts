// The topology's `backends` and the target node's roles, carried into each check's spec for diagnose.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { expand } from '../../src/topology/expand.js';
import { parseTopology } from '../../src/topology/load.js';
import { TopologySchema } from '../../src/topology/schema.js';
import { smallTopology } from '../helpers/topologies.js';

const withBackends = (index: number, backends: string) => {
  const topology = smallTopology() as { targets: Record<string, unknown>[] };
  topology.targets[index]!.backends = backends;
  return topology;
};

test('backends and node roles go into spec.target', () => {
  const checks = expand(TopologySchema.parse(withBackends(3, 'apiserver')));
  const lb = checks.find((check) => check.name === 'network-check-source-worker-0-to-load-balancer-api-external')!;
  assert.deepEqual(lb.spec.target, { name: 'load-balancer-api-external', kind: 'endpoint', backends: 'apiserver' });
  const master = checks.find((check) => check.name === 'network-check-source-worker-0-to-apiserver-master-0')!;
  assert.deepEqual(master.spec.target, { name: 'apiserver', kind: 'node', node: 'master-0', nodeRoles: ['master'] });
});

test('backends must name another target', () => {
  const message = (topology: unknown) => {
    try {
      parseTopology(stringify(topology), 'topology.yaml');
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };
  assert.match(
    message(withBackends(3, 'apiservr')),
    /topology\.yaml:\d+: targets\[3\]\.backends: unknown target "apiservr" \(defined: etcd, apiserver, kubernetes-default-service-cluster, network-check-target\)$/m,
  );
  assert.match(
    message(withBackends(2, 'kubernetes-default-service-cluster')),
    /targets\[2\]\.backends: a target cannot be its own backends/,
  );
  assert.match(message(withBackends(0, 'apiserver')), /targets\[0\]\.backends: unknown key "backends"/);
});
