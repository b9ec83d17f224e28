import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { commonLabels } from './labels.js';

/** The fields of prometheus-operator's monitoring.coreos.com/v1 ServiceMonitor that p2pnc sets. */
interface ServiceMonitorSpec {
  selector: { matchLabels: Record<string, string> };
  namespaceSelector: { matchNames: string[] };
  endpoints: { port: string; path: string; interval?: string; scheme?: 'http' | 'https' }[];
}

export interface ServiceMonitorProps {
  readonly name: string;
  readonly namespace: string;
  /** Labels of the Service to scrape; it must be in `namespace`. */
  readonly serviceLabels: Record<string, string>;
  /** Name of the Service port serving /metrics. */
  readonly port: string;
  /** A Prometheus duration (`30s`). @default the Prometheus scrape interval */
  readonly interval?: string;
  /** Extra labels, for a Prometheus that selects ServiceMonitors by label. @default none */
  readonly labels?: Record<string, string>;
}

/** A prometheus-operator ServiceMonitor (cdk8s has no typed one; the spec type above keeps it checked). */
export class ServiceMonitor extends ApiObject {
  constructor(scope: Construct, id: string, props: ServiceMonitorProps) {
    const spec: ServiceMonitorSpec = {
      selector: { matchLabels: props.serviceLabels },
      namespaceSelector: { matchNames: [props.namespace] },
      endpoints: [{ port: props.port, path: '/metrics', ...(props.interval ? { interval: props.interval } : {}) }],
    };
    super(scope, id, {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: { ...props.labels, ...commonLabels('monitoring', props.name) },
      },
      spec,
    });
  }
}
