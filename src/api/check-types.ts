/**
 * The PodNetworkConnectivityCheck's spec and status as plain types, without the schema library: what the runtime
 * reads and writes. check.ts holds the zod schema (synth, `p2pnc schema`, the CRD) and fails to compile when its
 * inferred types and these differ, so the two cannot drift apart.
 */
import type { ProbeKind } from './probe-kinds.js';
import type { MessageStyle } from './constants.js';

/** One probe result. Times are RFC 3339; the latency is a Go duration string such as 2.241775ms. */
export interface LogEntry {
  time: string | null;
  success: boolean;
  reason?: string;
  message?: string;
  latency?: string | null;
}

export interface Outage {
  start: string | null;
  end?: string | null;
  message?: string;
  startLogs?: LogEntry[];
  endLogs?: LogEntry[];
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime: string | null;
}

/** OpenShift's status shape, field for field. */
export interface CheckStatus {
  conditions?: Condition[];
  successes?: LogEntry[];
  failures?: LogEntry[];
  outages?: Outage[];
}

export interface CheckProbe {
  kind: ProbeKind;
  path?: string;
  expectedStatus?: number[];
  serverName?: string;
  insecureSkipVerify?: boolean;
  count?: number;
  maxLossPercent?: number;
  size?: number;
}

export interface CheckSpec {
  sourcePod: string;
  targetEndpoint: string;
  tlsClientCert?: { name: string };
  probe?: CheckProbe;
  interval?: string;
  timeout?: string;
  history?: { entries?: number; outages?: number; messages?: MessageStyle };
  refreshInterval?: string;
  source?: { name: string; node?: string; vantage?: 'pod' | 'host' | 'sidecar' };
  target?: {
    name: string;
    kind: string;
    node?: string;
    nodeRoles?: string[];
    backends?: string;
    layer?: 'pod' | 'host';
  };
  targetPod?: { service: string; node: string; port: number };
}
