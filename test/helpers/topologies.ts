import type { TopologyInput } from '../../src/topology/schema.js';

/** A small topology touching every target and source kind. */
export function smallTopology(): TopologyInput {
  return {
    cluster: 'test',
    namespace: 'p2pnc',
    image: 'localhost/p2pnc:test',
    nodes: [
      { name: 'master-0', addresses: ['10.0.0.10', 'fd00::10'], roles: ['master'] },
      { name: 'master-1', addresses: ['10.0.0.11'], roles: ['master'] },
      { name: 'worker-0', addresses: ['10.0.1.10'], roles: ['worker'], labels: { zone: 'a' } },
      { name: '10.0.1.11', addresses: ['10.0.1.11'], roles: ['worker'], labels: { zone: 'b' } },
    ],
    sources: [
      { name: 'network-check-source', kind: 'Deployment', node: 'worker-0' },
      {
        name: 'mesh',
        kind: 'DaemonSet',
        roles: ['worker'],
        mesh: { neighbours: 1 },
        targets: ['network-check-target'],
      },
    ],
    targets: [
      {
        name: 'etcd',
        kind: 'node',
        roles: ['master'],
        port: 2379,
        probe: { kind: 'tls', tlsClientCert: 'etcd-client' },
      },
      {
        name: 'apiserver',
        kind: 'node',
        roles: ['master'],
        port: 6443,
        addressFamily: 'both',
        probe: { kind: 'https', path: '/readyz' },
      },
      {
        name: 'kubernetes-default-service-cluster',
        kind: 'service',
        service: { namespace: 'default', name: 'kubernetes', port: 443 },
      },
      {
        name: 'load-balancer-api-external',
        kind: 'endpoint',
        host: 'api.example.com',
        port: 6443,
        interval: '30s',
        timeout: '5s',
      },
      { name: 'network-check-target', kind: 'p2pnc-target' },
    ],
  };
}
