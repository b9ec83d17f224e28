/** probe.kind icmp, udp and mtu in the topology: where each may go, and its options' bounds, with errors that say what to change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { parseTopology, TopologyError } from '../../src/topology/load.js';
import { smallTopology } from '../helpers/topologies.js';

// smallTopology's targets: 0 etcd (node), 1 apiserver (node), 2 a Service, 3 an endpoint, 4 p2pnc-target.
function parse(mutate: (topology: any) => void) {
  const topology = smallTopology() as any;
  mutate(topology);
  return parseTopology(stringify(topology));
}

function errorOf(mutate: (topology: any) => void): string {
  try {
    parse(mutate);
  } catch (error) {
    assert.ok(error instanceof TopologyError, String(error));
    return error.message;
  }
  return assert.fail('expected a TopologyError');
}

test('the new kinds where they reach something that answers', () => {
  const topology = parse((t) => {
    t.targets[0].probe = { kind: 'icmp' };
    t.targets[3].probe = { kind: 'udp', count: 50, maxLossPercent: 5 };
    t.targets[4].probe = { kind: 'mtu', size: 9000 };
    t.targets[4].viaService = true;
  });
  assert.deepEqual(topology.targets[3]!.probe, { kind: 'udp', count: 50, maxLossPercent: 5 });
  assert.deepEqual(topology.targets[4]!.probe, { kind: 'mtu', size: 9000 });
  parse((t) => {
    t.targets[4].probe = { kind: 'icmp' };
    t.targets[4].viaService = false;
  });
  // The host-network target has no Service to go through: nothing to turn off.
  parse((t) => {
    t.targets[4].probe = { kind: 'icmp' };
    t.targets[4].layer = 'host';
  });
});

test('misplaced kinds and options are errors naming the fix', () => {
  const cases: [(t: any) => void, RegExp][] = [
    [
      (t) => (t.targets[2].probe = { kind: 'icmp' }),
      /targets\[2\]\.probe\.kind: icmp cannot probe a Service: ClusterIPs do not answer ping/,
    ],
    [
      (t) => (t.targets[4].probe = { kind: 'icmp' }),
      /targets\[4\]\.probe\.kind: icmp cannot probe the target Service .*set viaService: false/,
    ],
    [
      (t) => (t.targets[0].probe = { kind: 'udp' }),
      /targets\[0\]\.probe\.kind: udp probes need p2pnc's target responder/,
    ],
    [
      (t) => (t.targets[2].probe = { kind: 'mtu' }),
      /targets\[2\]\.probe\.kind: mtu probes need p2pnc's target responder/,
    ],
    [
      (t) => (t.targets[3].probe = { kind: 'tcp', count: 5 }),
      /targets\[3\]\.probe\.count: count applies only to udp probes; set kind: udp or remove count/,
    ],
    [
      (t) => (t.targets[3].probe = { kind: 'udp', size: 9000 }),
      /targets\[3\]\.probe\.size: size applies only to mtu probes/,
    ],
    [
      (t) => (t.targets[3].probe = { kind: 'udp', count: 0 }),
      /targets\[3\]\.probe\.count: count must be between 1 and 1000/,
    ],
    [(t) => (t.targets[3].probe = { kind: 'udp', maxLossPercent: 100 }), /maxLossPercent must be between 0 and 99/],
    [
      (t) => (t.targets[3].probe = { kind: 'mtu', size: 100 }),
      /targets\[3\]\.probe\.size: size must be between 2048 and 1048576 bytes/,
    ],
    [
      (t) => (t.targets[3].probe = { kind: 'ping' }),
      /targets\[3\]\.probe\.kind: must be one of .*"icmp", "udp", "mtu"/,
    ],
  ];
  for (const [mutate, expected] of cases) assert.match(errorOf(mutate), expected);
});
