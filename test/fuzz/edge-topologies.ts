/** Valid topologies at the limits of every format: names, node names and labels as long as they may be. */
import type { TopologyInput } from '../../src/topology/schema.js';

const label63 = (letter: string) => `${letter}${'-x'.repeat(30)}${letter}${letter}`.slice(0, 63);
/** A DNS subdomain of exactly 253 characters. */
const subdomain253 = (seed: string) => `${seed}${'.abcdefghij'.repeat(25)}`.slice(0, 252).replace(/\.$/, 'z') + 'q';
const prefix253 = `${'p'.repeat(61)}.${'q'.repeat(61)}.${'r'.repeat(61)}.${'s'.repeat(61)}.tld`.slice(0, 253);

export function edgeTopologies(): { name: string; topology: TopologyInput }[] {
  const nodeA = subdomain253('a');
  const nodeB = subdomain253('b');
  const longLabels = { [`${prefix253}/${'n'.repeat(63)}`]: 'v'.repeat(63), 'k8s.example.com/empty': '' };
  const longest: TopologyInput = {
    cluster: label63('c'),
    namespace: label63('n'),
    image: `registry.example.com:5000/${'team/'.repeat(10)}p2pnc:${'t'.repeat(128)}`,
    clusterDomain: 'cluster.local',
    target: { name: label63('t'), port: 65535, servicePort: 1 },
    monitoring: { serviceMonitor: true, prometheusRule: true, labels: longLabels },
    nodes: [
      { name: nodeA, addresses: ['10.0.0.1', 'fd00::1'], roles: [label63('r')], labels: longLabels },
      { name: nodeB, addresses: ['fd00::2'], roles: [label63('r')], labels: longLabels },
      { name: '10.0.0.3', addresses: ['10.0.0.3'], roles: [label63('r')], labels: longLabels },
    ],
    sources: [
      { name: label63('d'), kind: 'Deployment', node: nodeA, replicas: 5 },
      { name: label63('e'), kind: 'DaemonSet', roles: [label63('r')], nodeLabels: longLabels, mesh: { neighbours: 1 } },
    ],
    targets: [
      {
        name: label63('g'),
        kind: 'node',
        port: 1,
        addressFamily: 'both',
        probe: { kind: 'tls', tlsClientCert: label63('s'), serverName: subdomain253('h') },
      },
      {
        name: label63('h'),
        kind: 'endpoint',
        host: '::ffff:10.0.0.1',
        port: 443,
        probe: { kind: 'https', path: `/${'p'.repeat(2047)}`, expectedStatus: [100, 599] },
      },
      {
        name: label63('i'),
        kind: 'service',
        service: { namespace: label63('n'), name: label63('v'), port: 443 },
        backends: label63('g'),
      },
      { name: label63('j'), kind: 'p2pnc-target', roles: [label63('r')], nodeLabels: longLabels },
    ],
  };
  return [{ name: 'every name and label at its longest', topology: longest }];
}
