/**
 * Where a per-node source's checks live on a large cluster. A source lists its checks by label, and the API server
 * answers a label-selected list of a custom resource by scanning every object under the namespace (a CRD has no
 * watch-cache index): with 10,000 per-node sources and 40,000 checks in one namespace, a rollout costs the API server
 * 10,000 scans of 40,000 objects. Spread over shards, each list scans one namespace's share.
 *
 * Pure and shared: synth places the checks, the runtime finds its node's shard from its node name (downward API) and
 * the shard count (`p2pnc source --check-shards`), the operator commands read every shard.
 */
import { nodeLabelValue, shortHash } from './labels.js';

/** Label on each shard namespace, valued with the namespace whose checks it holds. */
export const LABEL_CHECKS_OF = 'p2pnc.io/checks-of';
export const MAX_CHECK_SHARDS = 999;
const SHARD_INFIX = '-checks-';

/** The name of shard `index`: `<namespace>-checks-<index>`. */
export function checkShardName(namespace: string, index: number): string {
  return `${namespace}${SHARD_INFIX}${index}`;
}

/** Every shard namespace, in order; none for a single shard (the checks stay in `namespace`). */
export function checkShardNames(namespace: string, shards: number): string[] {
  return shards > 1 ? Array.from({ length: shards }, (_, index) => checkShardName(namespace, index)) : [];
}

/** The namespace of the checks a source probes from `nodeName`: its shard, or `namespace` itself for one shard. */
export function checkNamespaceOf(namespace: string, nodeName: string, shards: number): string {
  if (shards <= 1) return namespace;
  return checkShardName(namespace, Number.parseInt(shortHash(nodeLabelValue(nodeName)), 16) % shards);
}

/** The longest namespace whose shard names stay valid namespace names (63 characters). */
export function maxShardedNamespaceLength(shards: number): number {
  return 63 - SHARD_INFIX.length - String(Math.max(shards - 1, 0)).length;
}
