import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { API_VERSION, KIND } from '../api/check.js';
import type { PlannedCheck } from '../topology/expand.js';

export interface ConnectivityCheckProps {
  readonly namespace: string;
  readonly check: PlannedCheck;
  /** Extra annotations, e.g. Argo CD sync options. @default none */
  readonly annotations?: Record<string, string>;
}

/** One PodNetworkConnectivityCheck: a point-to-point pair decided by expand(). The status is the runtime's. */
export class ConnectivityCheck extends ApiObject {
  constructor(scope: Construct, id: string, props: ConnectivityCheckProps) {
    const annotations = { ...props.annotations, ...props.check.annotations };
    super(scope, id, {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: {
        name: props.check.name,
        namespace: props.namespace,
        labels: props.check.labels,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      },
      spec: props.check.spec,
    });
  }
}
