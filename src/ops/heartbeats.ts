/**
 * The sources' heartbeat Leases (api/heartbeat.ts), read by status, diagnose and report: from the cluster, or from
 * Lease objects saved next to the checks (`kubectl get pncc,leases -o json`). Reading them is best effort: without
 * them (RBAC, an older runtime) the commands judge sources by their results' age, and say so.
 */
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import {
  ANNOTATION_RUNNING_ON,
  ANNOTATION_SOURCE_NODE,
  LABEL_HEARTBEAT,
  livenessOf,
  type SourceHeartbeat,
} from '../api/heartbeat.js';
import { LABEL_SOURCE, LABEL_SOURCE_NODE } from '../api/labels.js';
import { KubeApiError, type KubeClient } from '../runtime/kube/client.js';
import { listInPages } from '../runtime/kube/list-pages.js';
import { paths, type Lease } from '../runtime/kube/resources.js';
import type { ClusterOptions } from '../cli/cluster-options.js';
import { clusterClient } from './cluster-checks.js';
import { sourceKey, type CheckRow, type SourceRef } from './matrix.js';

export interface HeartbeatsRead {
  heartbeats: SourceHeartbeat[];
  /** Why none could be read, when so. */
  unreadable?: string;
}

/** A heartbeat Lease as the operator commands use it; undefined for any other Lease. */
export function heartbeatOf(lease: Lease): SourceHeartbeat | undefined {
  const labels = lease.metadata?.labels ?? {};
  const annotations = lease.metadata?.annotations ?? {};
  const source = labels[LABEL_SOURCE];
  if (labels[LABEL_HEARTBEAT] !== 'true' || !source) return undefined;
  const node = annotations[ANNOTATION_SOURCE_NODE] ?? labels[LABEL_SOURCE_NODE];
  const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime) : undefined;
  return {
    source,
    ...(node ? { node } : {}),
    ...(annotations[ANNOTATION_RUNNING_ON] ? { runningOn: annotations[ANNOTATION_RUNNING_ON] } : {}),
    ...(lease.spec?.holderIdentity ? { holder: lease.spec.holderIdentity } : {}),
    ...(renewed && !Number.isNaN(renewed.getTime()) ? { renewTime: renewed } : {}),
    durationMs: (lease.spec?.leaseDurationSeconds ?? 0) * 1000,
  };
}

export async function listHeartbeats(client: KubeClient, namespace: string): Promise<HeartbeatsRead> {
  const heartbeats: SourceHeartbeat[] = [];
  try {
    await listInPages<Lease>(
      client,
      paths.leases(namespace),
      (items) => {
        for (const lease of items) {
          const heartbeat = heartbeatOf(lease);
          if (heartbeat) heartbeats.push(heartbeat);
        }
      },
      { labelSelector: LABEL_HEARTBEAT, onRestart: () => (heartbeats.length = 0) },
    );
  } catch (error) {
    if (error instanceof KubeApiError && (error.status === 403 || error.status === 401))
      return {
        heartbeats: [],
        unreadable: `cannot list leases in namespace ${namespace} (${error.status === 403 ? 'forbidden' : 'unauthorized'})`,
      };
    throw error;
  }
  return { heartbeats };
}

/** Heartbeat Leases saved in a file next to the checks; none when the file holds none. */
export function readSavedHeartbeats(path: string): SourceHeartbeat[] {
  const heartbeats: SourceHeartbeat[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null) return;
    const record = value as { kind?: unknown; items?: unknown };
    if (Array.isArray(record.items)) record.items.forEach(visit);
    else if (record.kind === 'Lease') {
      const heartbeat = heartbeatOf(value as Lease);
      if (heartbeat) heartbeats.push(heartbeat);
    }
  };
  for (const document of parseAllDocuments(readFileSync(path, 'utf8'))) visit(document.toJS() as unknown);
  return heartbeats;
}

export interface SourceLivenessRow {
  source: SourceRef;
  /** The node the source's pod runs on, when its heartbeat says. */
  runningOn?: string;
  state: 'alive' | 'quiet' | 'no-heartbeat';
  /** alive: last renewal; quiet: the renewal not followed by another. */
  since?: Date;
  holder?: string;
}

/** Every source the rows name, with its heartbeat's verdict, in the rows' order. */
export function sourceLiveness(
  rows: readonly CheckRow[],
  heartbeats: readonly SourceHeartbeat[],
  now: Date,
): SourceLivenessRow[] {
  const beats = new Map(heartbeats.map((beat) => [sourceKey({ name: beat.source, node: beat.node }), beat]));
  const seen = new Map<string, SourceLivenessRow>();
  for (const row of rows) {
    const key = sourceKey(row.source);
    if (seen.has(key)) continue;
    const beat = beats.get(key);
    if (!beat) {
      seen.set(key, { source: row.source, state: 'no-heartbeat' });
      continue;
    }
    const liveness = livenessOf(beat, now);
    seen.set(key, {
      source: row.source,
      ...(beat.runningOn ? { runningOn: beat.runningOn } : {}),
      state: liveness.state,
      ...(liveness.since ? { since: liveness.since } : {}),
      ...(beat.holder ? { holder: beat.holder } : {}),
    });
  }
  return [...seen.values()];
}

/**
 * readHeartbeatsFor started now, to be awaited once the checks are read: the two reads overlap. Awaiting it throws what
 * the read threw; until then a failure is held, not reported as unhandled.
 */
export function readHeartbeatsAlongside(options: ClusterOptions & { fromFile?: string }): Promise<HeartbeatsRead> {
  const read = readHeartbeatsFor(options);
  read.catch(() => {});
  return read;
}

/** The heartbeats for a command's checks: from --from-file when given, else from the cluster. */
export async function readHeartbeatsFor(options: ClusterOptions & { fromFile?: string }): Promise<HeartbeatsRead> {
  if (options.fromFile) return { heartbeats: readSavedHeartbeats(options.fromFile) };
  const client = clusterClient(options);
  try {
    return await listHeartbeats(client, options.namespace);
  } finally {
    client.close();
  }
}
