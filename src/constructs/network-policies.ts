import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { commonLabels } from './labels.js';

export interface NetworkPoliciesProps {
  readonly namespace: string;
  readonly targetName: string;
  readonly targetPort: number;
  readonly sourceNames: readonly string[];
  /** TCP ports the sources probe, plus the API server's. */
  readonly sourceEgressPorts: readonly number[];
  /** Open the target's UDP echo (some checks are udp). @default false */
  readonly targetUdp?: boolean;
  /** UDP ports the sources' udp checks probe. @default none */
  readonly sourceEgressUdpPorts?: readonly number[];
  readonly metricsPort: number;
}

const tcp = (port: number) => ({ protocol: 'TCP', port });
const udp = (port: number) => ({ protocol: 'UDP', port });

/**
 * Default deny in the namespace, then: the target accepts its probe port from anywhere; each source accepts its
 * metrics port and may send only to the ports it probes, the API server and DNS. Target hosts can be names, so
 * egress is limited by port, not by address.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    const policy = (name: string, spec: Record<string, unknown>) =>
      new ApiObject(this, name, {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name, namespace: props.namespace, labels: commonLabels('network-policy', name) },
        spec,
      });
    policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    policy(`${props.targetName}-ingress`, {
      podSelector: {
        matchLabels: { 'app.kubernetes.io/instance': props.targetName, 'app.kubernetes.io/component': 'target' },
      },
      policyTypes: ['Ingress'],
      // udp checks' echo answers on the same port number.
      ingress: [{ ports: [tcp(props.targetPort), ...(props.targetUdp ? [udp(props.targetPort)] : [])] }],
    });
    // Host-network and sidecar sources run elsewhere: with no source here, no policy selects them.
    if (props.sourceNames.length === 0) return;
    const egressPorts = [...new Set(props.sourceEgressPorts)].sort((a, b) => a - b);
    const udpEgressPorts = [...new Set(props.sourceEgressUdpPorts ?? [])].sort((a, b) => a - b);
    policy('source-traffic', {
      podSelector: {
        matchExpressions: [
          { key: 'app.kubernetes.io/component', operator: 'In', values: ['source'] },
          { key: 'app.kubernetes.io/instance', operator: 'In', values: [...props.sourceNames].sort() },
        ],
      },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ ports: [tcp(props.metricsPort)] }],
      egress: [{ ports: [udp(53), tcp(53)] }, { ports: [...egressPorts.map(tcp), ...udpEgressPorts.map(udp)] }],
    });
  }
}
