import { ApiObject } from 'cdk8s';
import type { IConstruct } from 'constructs';

export const SYNC_WAVE = 'argocd.argoproj.io/sync-wave';

/** Argo CD applies lower waves first and waits for them to be healthy: foundation, RBAC, workloads, checks. */
export enum SyncWave {
  FOUNDATION = 0,
  RBAC = 1,
  WORKLOADS = 2,
  CHECKS = 3,
}

/** Annotates every API object under `scope` with its sync wave. */
export function assignSyncWave(scope: IConstruct, wave: SyncWave): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) child.metadata.addAnnotation(SYNC_WAVE, String(wave));
  }
}
