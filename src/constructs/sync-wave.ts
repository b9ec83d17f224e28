import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/**
 * Argo CD applies lower waves first and waits for each to be healthy before the next; the last wave is applied and
 * not waited for. Foundation (namespace, CRD: waited for until Established), then RBAC, then one last wave with the
 * workloads, the checks and monitoring. Nothing comes after the workloads or the checks on purpose: a check is
 * Progressing until its first probe and Degraded during an outage, and a DaemonSet is not Healthy while one node's
 * pod is down, which is exactly when p2pnc matters; a wave after either would make a sync wait for (or fail on) the
 * network, and a change of checks would not land during an incident.
 */
export const SyncWave = {
  FOUNDATION: 0,
  RBAC: 1,
  WORKLOADS: 2,
  CHECKS: 2,
  MONITORING: 2,
} as const;
export type SyncWave = (typeof SyncWave)[keyof typeof SyncWave];

/** Annotates every API object under `scope` with its sync wave. */
export function assignSyncWave(scope: IConstruct, wave: SyncWave): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) child.metadata.addAnnotation(SYNC_WAVE, String(wave));
  }
}
