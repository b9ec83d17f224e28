/**
 * OpenShift check-endpoints' log messages and reasons, each prefixed with `<label>: `, and the readers that take them
 * apart again (ops/classify.ts, diagnose): the status keeps OpenShift's shape, so what a probe knew about a failure
 * is recovered from this text. Writer and reader share the phrases below, so they cannot drift apart.
 *
 * Compact messages (a check's `spec.history.messages: compact`, large clusters) have no prefix: the label repeats the
 * check's name in every entry, a fifth of a full status. Pass '' as the label for them.
 */
import { INVALID_CHECK_REASON } from '../../api/constants.js';
import type { FailureKind } from '../types.js';

/** The fixed phrase of each failure message that tells its layer, after `<label>: `. */
const PHRASES = {
  dns: 'failure looking up host ',
  config: 'invalid check: ',
  tls: 'failed to complete a TLS handshake with ',
  mtu: 'mtu black hole on the path from ',
} as const satisfies Partial<Record<FailureKind, string>>;
const HTTP_STATUS = /returned status (\d{3}), expected /;

/** OpenShift's `<label>: ` prefix; none for compact messages. */
const lead = (label: string): string => (label ? `${label}: ` : '');

export const Reason = {
  tcpConnect: 'TCPConnect',
  tcpConnectError: 'TCPConnectError',
  dnsError: 'DNSError',
  tlsHandshake: 'TLSHandshake',
  tlsError: 'TLSError',
  httpRequest: 'HTTPRequest',
  httpError: 'HTTPError',
  invalidCheck: INVALID_CHECK_REASON,
  icmpEcho: 'ICMPEcho',
  icmpEchoError: 'ICMPEchoError',
  udpEcho: 'UDPEcho',
  udpEchoError: 'UDPEchoError',
  mtuTransfer: 'MTUTransfer',
  mtuBlackHole: 'MTUBlackHole',
} as const;

export function tcpSucceeded(label: string, endpoint: string): string {
  return `${lead(label)}tcp connection to ${endpoint} succeeded`;
}

/** `dialed` is the address actually dialed (the resolved IP for names), as in Go's `dial tcp <addr>` error. */
export function tcpFailed(label: string, endpoint: string, dialed: string, text: string): string {
  return `${lead(label)}failed to establish a TCP connection to ${endpoint}: dial tcp ${dialed}: ${text}`;
}

export function dnsFailed(label: string, host: string, text: string): string {
  return `${lead(label)}${PHRASES.dns}${host}: lookup ${host}: ${text}`;
}

export function tlsSucceeded(label: string, endpoint: string): string {
  return `${lead(label)}tls connection to ${endpoint} succeeded`;
}

export function tlsFailed(label: string, endpoint: string, text: string): string {
  return `${lead(label)}${PHRASES.tls}${endpoint}: ${text}`;
}

export function httpSucceeded(label: string, url: string, status: number): string {
  return `${lead(label)}http GET ${url} succeeded with status ${status}`;
}

export function httpUnexpectedStatus(label: string, url: string, status: number, expected: string): string {
  return `${lead(label)}http GET ${url} returned status ${status}, expected ${expected}`;
}

export function httpFailed(label: string, url: string, text: string): string {
  return `${lead(label)}http GET ${url} failed: ${text}`;
}

export function invalidCheck(label: string, text: string): string {
  return `${lead(label)}${PHRASES.config}${text}`;
}

export function icmpSucceeded(label: string, host: string, rtt: string): string {
  return `${lead(label)}icmp echo to ${host} succeeded in ${rtt}`;
}

/** `address` is the address pinged when `host` is a name. */
export function icmpFailed(label: string, host: string, address: string, text: string): string {
  return `${lead(label)}no icmp echo reply from ${host}${address === host ? '' : ` (${address})`}: ${text}`;
}

/** `figures`: "10/10 echoed, 0% loss, rtt avg 0.1ms max 0.2ms, jitter 0.01ms". */
export function udpSucceeded(label: string, endpoint: string, figures: string): string {
  return `${lead(label)}udp echo to ${endpoint} succeeded: ${figures}`;
}

export function udpLoss(label: string, endpoint: string, figures: string, maxLossPercent: number): string {
  return `${lead(label)}udp echo to ${endpoint} lost more than ${maxLossPercent}% of its datagrams: ${figures}`;
}

export function udpFailed(label: string, endpoint: string, dialed: string, text: string): string {
  return `${lead(label)}failed to exchange UDP datagrams with ${endpoint}: udp ${dialed}: ${text}`;
}

export function mtuSucceeded(label: string, url: string, bytes: number): string {
  return `${lead(label)}mtu transfer of ${bytes} bytes from ${url} succeeded`;
}

export function mtuBlackHole(label: string, url: string, received: number, expected: number, after: string): string {
  return (
    `${lead(label)}${PHRASES.mtu}${url}: connected and got the response headers, but only ` +
    `${received} of ${expected} payload bytes arrived within ${after}: small packets pass and large segments ` +
    'never arrive (an MTU larger than the path allows, with ICMP "fragmentation needed" dropped)'
  );
}

export function mtuShort(label: string, url: string, received: number, expected: number): string {
  return `${lead(label)}mtu transfer from ${url} ended after ${received} of ${expected} bytes`;
}

/**
 * The layer a failure message names by its phrase (DNS, an invalid check, TLS, an unexpected HTTP status, an MTU
 * black hole); undefined for connect-level failures, whose layer is in their Go error text (failure.ts).
 */
export function layerOfMessage(message: string): FailureKind | undefined {
  for (const [kind, phrase] of Object.entries(PHRASES) as [keyof typeof PHRASES, string][])
    if (message.startsWith(phrase) || message.includes(`: ${phrase}`)) return kind;
  return HTTP_STATUS.test(message) ? 'http-status' : undefined;
}

/** The status in an unexpected-status message (httpUnexpectedStatus). */
export function httpStatusOfMessage(message: string): number | undefined {
  const match = HTTP_STATUS.exec(message);
  return match ? Number(match[1]) : undefined;
}

/**
 * The message without OpenShift's `<label>: ` prefix. A label is one word (a name); the first part of a compact
 * message, which has none, is a phrase with spaces ("tcp connection to ...", "invalid check").
 */
export function withoutLabel(message: string): string {
  const at = message.indexOf(': ');
  return at > 0 && !/\s/.test(message.slice(0, at)) ? message.slice(at + 2) : message;
}
