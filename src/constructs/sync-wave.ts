import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/**
 * Argo CD applies lower waves first and waits for them to be healthy: foundation, RBAC, workloads, checks.
 * Checks stay in the last wave, whose health a sync does not wait for: with the health check of
 * examples/argocd a check is Progressing until its first probe and Degraded during an outage, and a later
 * wave would wait for (or fail on) the network. Monitoring objects therefore share the checks' wave.
 */
export enum SyncWave {
  FOUNDATION = 0,
  RBAC = 1,
  WORKLOADS = 2,
  CHECKS = 3,
  MONITORING = 3,
}

/** Annotates every API object under `scope` with its sync wave. */
export function assignSyncWave(scope: IConstruct, wave: SyncWave): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) child.metadata.addAnnotation(SYNC_WAVE, String(wave));
  }
}
