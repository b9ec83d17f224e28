import { ApiObject, JsonPatch } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { commonLabels } from './labels.js';

/** Labels that select the pods of one workload. */
export type PodSelector = Readonly<Record<string, string>>;

/**
 * Replicas on different nodes where the scheduler can manage it, so the standby that takes over the Lease does not
 * go down with the leader's node. ScheduleAnyway: a replica that cannot be spread (one node left, a pinned source)
 * still runs.
 */
export function spreadByHostname(workload: kplus.Deployment, matchLabels: PodSelector): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { ...matchLabels } },
      },
    ]),
  );
}

export interface SourceDisruptionBudgetProps {
  readonly name: string;
  readonly namespace: string;
  readonly selector: PodSelector;
}

/**
 * A PodDisruptionBudget for a replicated source: a node drain evicts one replica at a time, so one keeps probing
 * while the other moves. Only for replicas > 1: with one replica, maxUnavailable 1 would allow everything anyway.
 */
export class SourceDisruptionBudget extends Construct {
  constructor(scope: Construct, id: string, props: SourceDisruptionBudgetProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: props.name, namespace: props.namespace, labels: commonLabels('source', props.name) },
      spec: { maxUnavailable: 1, selector: { matchLabels: { ...props.selector } } },
    });
  }
}
