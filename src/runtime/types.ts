/** Plain data passed between the probes, the status reducer and the writer. */

import type { ProbeKind } from '../api/probe-kinds.js';

export type { ProbeKind };

/** How a probe failed; diagnose and the metrics group failures by it. */
export type FailureKind =
  | 'dns' // the name did not resolve
  | 'refused' // connection refused (nothing listens, or a firewall rejects)
  | 'timeout' // no answer within the timeout (dropped packets, link down)
  | 'no-route' // no route to host / network unreachable
  | 'tls' // TLS handshake failed
  | 'http-status' // the HTTP status was not an expected one
  | 'http' // the HTTP exchange failed after connecting
  | 'mtu' // connected, but large segments never arrive (a path-MTU black hole)
  | 'config' // the check itself is malformed (bad endpoint, missing Secret)
  | 'other';

/** What to probe, fully resolved: the runtime turns a check's spec (and Secrets, EndpointSlices) into this. */
export interface ProbeTarget {
  /** Message prefix: the check name with everything up to `-to-` removed, as OpenShift does. */
  label: string;
  host: string;
  port: number;
  kind: ProbeKind;
  /** HTTP path. @default / */
  path?: string;
  /** Expected HTTP statuses. @default 200-399 */
  expectedStatus?: number[];
  /** TLS SNI. @default host when it is a name */
  serverName?: string;
  /** @default true */
  insecureSkipVerify?: boolean;
  /** PEM client certificate and key (from a kubernetes.io/tls Secret). */
  clientCert?: { cert: string; key: string };
  /** Datagrams per `udp` probe. @default 10 (UDP_COUNT) */
  count?: number;
  /** A `udp` probe fails when more than this percentage of its datagrams got no echo. @default 20 */
  maxLossPercent?: number;
  /** Payload bytes of an `mtu` probe. @default 65536 (MTU_SIZE) */
  size?: number;
}

export interface ProbeResult {
  /** When the probe started. */
  time: Date;
  success: boolean;
  /** Whole probe duration in milliseconds (fractional); for icmp the echo's round trip, for udp the mean one. */
  latencyMs: number;
  /**
   * TCPConnect, TCPConnectError, DNSError, TLSHandshake, TLSError, HTTPRequest, HTTPError, ICMPEcho, ICMPEchoError,
   * UDPEcho, UDPEchoError, MTUTransfer, MTUBlackHole, InvalidCheck.
   */
  reason: string;
  /** OpenShift-style message, prefixed with `<label>: `. */
  message: string;
  failure?: FailureKind;
  /**
   * Per-phase durations in milliseconds, when reached: httpMs is the request to its response headers (first byte),
   * except for an mtu probe, where it is the whole payload (transferMs too); icmp and udp have their echo's round
   * trip (udp: the mean).
   */
  phases?: {
    dnsMs?: number;
    connectMs?: number;
    tlsMs?: number;
    httpMs?: number;
    transferMs?: number;
    roundTripMs?: number;
  };
}
