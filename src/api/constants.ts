/**
 * The check API's names and defaults: plain values, no schema library, so the runtime reads them without loading zod.
 * The check's zod schema (check.ts) re-exports them.
 */
import { parseDuration } from './duration.js';
import { P2PNC_VERSION } from './version.js';

export const GROUP = 'p2pnc.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'PodNetworkConnectivityCheck';
export const PLURAL = 'podnetworkconnectivitychecks';
export const SHORT_NAME = 'pncc';

/** The runtime image a topology names unless it sets `image`. */
export const DEFAULT_IMAGE = `ghcr.io/p2pnc/p2pnc:${P2PNC_VERSION}`;

/** What a check keeps and how often a healthy one is written, unless its spec says otherwise. */
export const DEFAULT_STATUS_HISTORY = { entries: 20, outages: 20 } as const;
export const DEFAULT_REFRESH_INTERVAL = '10m';
/** How a check's status messages read: OpenShift's, starting with the target's label, or without it. */
export const MESSAGE_STYLES = ['full', 'compact'] as const;
export type MessageStyle = (typeof MESSAGE_STYLES)[number];
export const DEFAULT_REFRESH_INTERVAL_MS = parseDuration(DEFAULT_REFRESH_INTERVAL)!;

/** The check's condition types: Reachable (OpenShift's), Degraded (packet loss) and Stale (no source probes it). */
export const REACHABLE = 'Reachable';
export const DEGRADED = 'Degraded';
export const STALE = 'Stale';

/** The Reachable reason of a check that cannot be probed as written (no target pod, a missing Secret, a bad endpoint). */
export const INVALID_CHECK_REASON = 'InvalidCheck';

/**
 * Environment variables the pods get from the downward API (synth writes them, the runtime reads them). Every other
 * flag of `p2pnc source` and `p2pnc target` reads `P2PNC_<FLAG>` (cli/env-options.ts).
 */
export const ENV = {
  /** The checks' namespace: the source's `-n`. */
  namespace: 'P2PNC_NAMESPACE',
  /** The pod's name: the source's leader identity, the target's answer. */
  podName: 'P2PNC_POD_NAME',
  /** The node the pod runs on: the source's `--node`, the target's answer. */
  nodeName: 'P2PNC_NODE_NAME',
} as const;

/** Port of a source's /metrics, /healthz and /readyz. */
export const DEFAULT_METRICS_PORT = 17698;

/** The Lease a replicated source (a Deployment, a sidecar's replicas) elects its prober with. */
export function leaderLeaseName(source: string): string {
  return `${source}-leader`;
}
