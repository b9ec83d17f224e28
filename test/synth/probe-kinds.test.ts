/** What the new probe kinds change in dist/: the target's UDP port, the ping sysctl on sources with icmp checks only. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { smallTopology } from '../helpers/topologies.js';
import { type K8sObject, synthToTemp } from '../helpers/synth.js';

const find = (objects: K8sObject[], kind: string, name: string): any => {
  const found = objects.find((object) => object.kind === kind && object.metadata?.name === name);
  assert.ok(found, `no ${kind} ${name}`);
  return found;
};

const PING_SYSCTL = { name: 'net.ipv4.ping_group_range', value: '65532 65532' };

test('icmp checks give their source pods the ping sysctl (the group alone); other sources stay without', () => {
  const topology = smallTopology() as any;
  // Only the Deployment source probes the endpoint, by ICMP; the DaemonSet keeps its tcp checks.
  topology.targets[3].probe = { kind: 'icmp' };
  topology.sources[1].targets = ['etcd', 'network-check-target'];
  const { objects } = synthToTemp(topology);
  const prober = find(objects, 'Deployment', 'network-check-source');
  assert.deepEqual(prober.spec.template.spec.securityContext.sysctls, [PING_SYSCTL]);
  // Still Pod Security restricted: no capability added, all dropped.
  assert.deepEqual(prober.spec.template.spec.containers[0].securityContext.capabilities, { drop: ['ALL'] });
  const mesh = find(objects, 'DaemonSet', 'mesh');
  assert.equal(mesh.spec.template.spec.securityContext.sysctls, undefined);
});

test('the target answers udp probes: a UDP port beside the TCP one on the pod, the Service and its ingress policy', () => {
  const topology = smallTopology() as any;
  topology.targets[4].probe = { kind: 'udp' };
  const { objects } = synthToTemp(topology);
  const daemonSet = find(objects, 'DaemonSet', 'network-check-target');
  assert.deepEqual(daemonSet.spec.template.spec.containers[0].ports, [
    { containerPort: 8080, name: 'probe' },
    { containerPort: 8080, name: 'probe-udp', protocol: 'UDP' },
  ]);
  const service = find(objects, 'Service', 'network-check-target');
  assert.deepEqual(
    service.spec.ports.map((port: any) => [port.name, port.port, port.targetPort, port.protocol]),
    [
      ['probe', 80, 8080, undefined],
      ['probe-udp', 80, 8080, 'UDP'],
    ],
  );
  const ingress = find(objects, 'NetworkPolicy', 'network-check-target-ingress');
  assert.deepEqual(ingress.spec.ingress[0].ports, [
    { protocol: 'TCP', port: 8080 },
    { protocol: 'UDP', port: 8080 },
  ]);
  const egress = find(objects, 'NetworkPolicy', 'source-traffic');
  const udpPorts = egress.spec.egress[1].ports.filter((port: any) => port.protocol === 'UDP').map((p: any) => p.port);
  assert.deepEqual(udpPorts, [80, 8080]);
});
