import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { RuleGroup } from '../monitoring/rules.js';
import { commonLabels } from './labels.js';

export interface PrometheusRuleProps {
  readonly name: string;
  readonly namespace: string;
  readonly groups: readonly RuleGroup[];
  /** Extra labels, for a Prometheus that selects rules by label. @default none */
  readonly labels?: Record<string, string>;
}

/** A prometheus-operator PrometheusRule; its spec is a Prometheus rules file, so promtool checks it as one. */
export class PrometheusRule extends ApiObject {
  constructor(scope: Construct, id: string, props: PrometheusRuleProps) {
    super(scope, id, {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: {
        name: props.name,
        namespace: props.namespace,
        labels: { ...props.labels, ...commonLabels('monitoring', props.name) },
      },
      spec: { groups: props.groups },
    });
  }
}
