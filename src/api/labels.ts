/**
 * Label values derived from names: pure and stable, shared by the generator (check labels) and the runtime (a
 * source selects its node's checks by the label value of its own node name, from the downward API).
 */
import { createHash } from 'node:crypto';

/** The labels every check carries, so `kubectl get pncc -l ...` and a source's watch select by them. */
export const LABEL_SOURCE = 'p2pnc.io/source';
export const LABEL_SOURCE_NODE = 'p2pnc.io/source-node';
export const LABEL_TARGET = 'p2pnc.io/target';
export const LABEL_TARGET_NODE = 'p2pnc.io/target-node';
export const LABEL_TARGET_KIND = 'p2pnc.io/target-kind';
/** Where the source probes from: pod (the pod network), host (the node's own network) or sidecar (a user's pod). */
export const LABEL_VANTAGE = 'p2pnc.io/vantage';
/** The network layer of the target's address, when it is one node's: pod or host. */
export const LABEL_TARGET_LAYER = 'p2pnc.io/target-layer';

/** A DNS-1123 subdomain: what the API server accepts as an object's (and a node's) name. */
export const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export const MAX_NAME = 253;
export const MAX_LABEL_VALUE = 63;
const HASH_LENGTH = 8;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** Cuts `text` to `max` characters, replacing the tail with a hash of the whole so distinct inputs stay distinct. */
export function truncateWithHash(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - HASH_LENGTH - 1).replace(/[-.]+$/, '');
  return `${head}-${shortHash(text)}`;
}

/** A DNS-1123 label-safe rendering of any name: `10.0.0.4` -> `10-0-0-4`, `fd00::1` -> `fd00--1`, `Node_A` -> `node-a`. */
export function slug(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+|-+$/g, '');
  return cleaned === '' ? `x${shortHash(name)}` : cleaned;
}

/**
 * The label value for a node name. Needs no topology context, so the runtime computes the same value from
 * its node name (downward API): the name itself when it is a valid label value (every node name of at most 63
 * characters). A longer node name is cut to its first 54 characters (less trailing '-' and '.'), then '-' and the
 * first 8 hex digits of its SHA-256, which a shell computes too:
 * `n=NAME; echo "$(printf %s "${n:0:54}" | sed 's/[-.]*$//')-$(printf %s "$n" | sha256sum | cut -c1-8)"`.
 * Anything else (never a node name) becomes a slug with a hash.
 */
export function nodeLabelValue(nodeName: string): string {
  if (nodeName.length <= MAX_LABEL_VALUE && LABEL_VALUE.test(nodeName)) return nodeName;
  if (DNS1123_SUBDOMAIN.test(nodeName)) return truncateWithHash(nodeName, MAX_LABEL_VALUE);
  return truncateWithHash(`${slug(nodeName)}-${shortHash(nodeName)}`, MAX_LABEL_VALUE);
}
