import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { commonLabels } from './labels.js';

export interface SourceMetricsServiceProps {
  readonly namespace: string;
  /** Port the sources serve /metrics on (their container port named `metrics`). */
  readonly metricsPort: number;
  /** @default p2pnc-source-metrics */
  readonly name?: string;
}

export const METRICS_PORT_NAME = 'metrics';

/**
 * A headless Service over every source pod, for a ServiceMonitor to discover them: no virtual IP, every pod is a
 * target. Not-ready pods are listed too, since a source that cannot sync its checks is when its metrics matter.
 */
export class SourceMetricsService extends ApiObject {
  /** The labels a ServiceMonitor selects this Service by. */
  readonly selectorLabels: Record<string, string>;

  constructor(scope: Construct, id: string, props: SourceMetricsServiceProps) {
    const name = props.name ?? 'p2pnc-source-metrics';
    const labels = commonLabels('source-metrics', name);
    super(scope, id, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { 'app.kubernetes.io/name': 'p2pnc', 'app.kubernetes.io/component': 'source' },
        ports: [{ name: METRICS_PORT_NAME, port: props.metricsPort, targetPort: METRICS_PORT_NAME, protocol: 'TCP' }],
      },
    });
    this.selectorLabels = { 'app.kubernetes.io/name': 'p2pnc', 'app.kubernetes.io/component': 'source-metrics' };
  }
}
