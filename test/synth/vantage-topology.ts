import type { TopologyInput } from '../../src/topology/schema.js';

/** Every vantage: pod and host meshes on every node, the control plane's view, and a sidecar in an ingress controller. */
export function vantageTopology(): TopologyInput {
  return {
    cluster: 'test',
    namespace: 'p2pnc',
    image: 'localhost/p2pnc:test',
    nodes: [
      { name: 'master-0', addresses: ['10.0.0.10'], roles: ['control-plane'] },
      { name: 'worker-0', addresses: ['10.0.1.10'], roles: ['worker'] },
      { name: 'worker-1', addresses: ['10.0.1.11'], roles: ['worker'] },
    ],
    sources: [
      { name: 'pod-mesh', kind: 'DaemonSet', targets: ['node-pod'] },
      { name: 'host-mesh', kind: 'DaemonSet', hostNetwork: true, targets: ['node-host'] },
      {
        name: 'control-plane',
        kind: 'DaemonSet',
        hostNetwork: true,
        controlPlane: true,
        metricsPort: 17700,
        targets: ['etcd', 'kubelet', 'metrics-server'],
      },
      {
        name: 'ingress-vantage',
        kind: 'Sidecar',
        workload: {
          kind: 'Deployment',
          namespace: 'ingress',
          name: 'ingress-controller',
          serviceAccount: 'ingress-controller',
        },
        targets: ['kubernetes-default-service-cluster', 'node-pod', 'node-host'],
      },
    ],
    targets: [
      { name: 'node-pod', kind: 'p2pnc-target', viaService: false },
      { name: 'node-host', kind: 'p2pnc-target', layer: 'host' },
      { name: 'etcd', kind: 'node', roles: ['control-plane'], port: 2379, probe: { kind: 'tls' } },
      { name: 'kubelet', kind: 'node', port: 10250, probe: { kind: 'tls' } },
      {
        name: 'metrics-server',
        kind: 'service',
        service: { namespace: 'kube-system', name: 'metrics-server', port: 443 },
        probe: { kind: 'tls' },
      },
      {
        name: 'kubernetes-default-service-cluster',
        kind: 'service',
        service: { namespace: 'default', name: 'kubernetes', port: 443 },
      },
    ],
  };
}
