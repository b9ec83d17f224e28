/**
 * Marks checks that no source has probed for `staleAfterMs` (default 48 h) with a Stale condition, so they show up
 * in kubectl and in `p2pnc status`: typically checks of a removed node or source. Run by the leader of a
 * Deployment source over every check in the namespace; it never deletes (that is `p2pnc prune`).
 */
import type { KubeClient } from '../kube/client.js';
import { paths, type CheckObject, type ObjectList } from '../kube/resources.js';
import { findCondition, lastProbeTime, markStale, STALE } from '../status/reducer.js';
import { statusPatch } from '../status/write-policy.js';

export interface StaleSweep {
  /** Checks marked Stale by this sweep. */
  marked: string[];
  /** Checks of the namespace that are stale after this sweep, newly marked or not. */
  stale: number;
}

export async function sweepStaleChecks(client: KubeClient, namespace: string, staleAfterMs: number, now = new Date()): Promise<StaleSweep> {
  const list = await client.get<ObjectList<CheckObject>>(paths.checks(namespace), { timeoutMs: 60_000 });
  const marked: string[] = [];
  let stale = 0;
  for (const check of list.items) {
    const status = check.status ?? {};
    const createdAt = check.metadata.creationTimestamp ? new Date(check.metadata.creationTimestamp) : undefined;
    const next = markStale(status, lastProbeTime(status), now, staleAfterMs, createdAt);
    if (findCondition(next, STALE)?.status === 'True') stale++;
    if (next === status) continue;
    // Guarded by resourceVersion: a source writing the check meanwhile wins, and the next sweep looks again.
    await client
      .mergePatch(paths.checkStatus(namespace, check.metadata.name), statusPatch(next, check.metadata.resourceVersion), { timeoutMs: 10_000 })
      .then(() => marked.push(check.metadata.name))
      .catch(() => undefined);
  }
  return { marked, stale };
}
