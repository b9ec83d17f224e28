/**
 * Marks checks that no source has probed for `staleAfterMs` (default 48 h) with a Stale condition, so they show up
 * in kubectl and in `p2pnc status`: typically checks of a removed node or source. Run by the leader of a
 * Deployment source over every check in the namespace; it never deletes (that is `p2pnc prune`).
 */
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { listInPages } from '../kube/list-pages.js';
import { paths, type CheckObject } from '../kube/resources.js';
import { findCondition, lastProbeTime, markStale, STALE } from '../status/reducer.js';
import { statusPatch } from '../status/write-policy.js';

export interface StaleSweep {
  /** Checks marked Stale by this sweep. */
  marked: string[];
  /** Checks of the namespace that are stale after this sweep, newly marked or not. */
  stale: number;
  /** Marks that failed for another reason than a source writing the check meanwhile (409) or its deletion (404). */
  failed: { check: string; error: string }[];
}

/** Reads the namespace in pages (memory stays one page, whatever the number of checks) and marks what is stale. */
export async function sweepStaleChecks(
  client: KubeClient,
  namespace: string,
  staleAfterMs: number,
  now = new Date(),
): Promise<StaleSweep> {
  const sweep: StaleSweep = { marked: [], stale: 0, failed: [] };
  await listInPages<CheckObject>(
    client,
    paths.checks(namespace),
    async (checks) => {
      for (const check of checks) await sweepOne(client, namespace, check, staleAfterMs, now, sweep);
    },
    { onRestart: () => (sweep.stale = 0) },
  );
  return sweep;
}

/** Sweeps each namespace in turn (the checks' namespace and its check shards), adding up what each found. */
export async function sweepNamespaces(
  client: KubeClient,
  namespaces: readonly string[],
  staleAfterMs: number,
  now = new Date(),
): Promise<StaleSweep> {
  const total: StaleSweep = { marked: [], stale: 0, failed: [] };
  for (const namespace of namespaces) {
    const sweep = await sweepStaleChecks(client, namespace, staleAfterMs, now);
    total.marked.push(...sweep.marked);
    total.stale += sweep.stale;
    total.failed.push(...sweep.failed);
  }
  return total;
}

async function sweepOne(
  client: KubeClient,
  namespace: string,
  check: CheckObject,
  staleAfterMs: number,
  now: Date,
  sweep: StaleSweep,
): Promise<void> {
  const status = check.status ?? {};
  const createdAt = check.metadata.creationTimestamp ? new Date(check.metadata.creationTimestamp) : undefined;
  const next = markStale(status, lastProbeTime(status), now, staleAfterMs, createdAt);
  if (findCondition(next, STALE)?.status === 'True') sweep.stale++;
  if (next === status) return;
  try {
    // Guarded by resourceVersion: a source writing the check meanwhile wins, and the next sweep looks again.
    await client.mergePatch(
      paths.checkStatus(namespace, check.metadata.name),
      statusPatch(next, check.metadata.resourceVersion),
      { timeoutMs: 10_000 },
    );
    sweep.marked.push(check.metadata.name);
  } catch (error) {
    if (error instanceof KubeApiError && (error.isConflict || error.isNotFound)) return;
    sweep.failed.push({ check: check.metadata.name, error: String(error) });
  }
}
