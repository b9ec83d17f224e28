/** OpenShift check-endpoints' log messages and reasons, each prefixed with `<label>: `. */
import { INVALID_CHECK_REASON } from '../../api/constants.js';

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
  return `${label}: tcp connection to ${endpoint} succeeded`;
}

/** `dialed` is the address actually dialed (the resolved IP for names), as in Go's `dial tcp <addr>` error. */
export function tcpFailed(label: string, endpoint: string, dialed: string, text: string): string {
  return `${label}: failed to establish a TCP connection to ${endpoint}: dial tcp ${dialed}: ${text}`;
}

export function dnsFailed(label: string, host: string, text: string): string {
  return `${label}: failure looking up host ${host}: lookup ${host}: ${text}`;
}

export function tlsSucceeded(label: string, endpoint: string): string {
  return `${label}: tls connection to ${endpoint} succeeded`;
}

export function tlsFailed(label: string, endpoint: string, text: string): string {
  return `${label}: failed to complete a TLS handshake with ${endpoint}: ${text}`;
}

export function httpSucceeded(label: string, url: string, status: number): string {
  return `${label}: http GET ${url} succeeded with status ${status}`;
}

export function httpUnexpectedStatus(label: string, url: string, status: number, expected: string): string {
  return `${label}: http GET ${url} returned status ${status}, expected ${expected}`;
}

export function httpFailed(label: string, url: string, text: string): string {
  return `${label}: http GET ${url} failed: ${text}`;
}

export function invalidCheck(label: string, text: string): string {
  return `${label}: invalid check: ${text}`;
}

export function icmpSucceeded(label: string, host: string, rtt: string): string {
  return `${label}: icmp echo to ${host} succeeded in ${rtt}`;
}

/** `address` is the address pinged when `host` is a name. */
export function icmpFailed(label: string, host: string, address: string, text: string): string {
  return `${label}: no icmp echo reply from ${host}${address === host ? '' : ` (${address})`}: ${text}`;
}

/** `figures`: "10/10 echoed, 0% loss, rtt avg 0.1ms max 0.2ms, jitter 0.01ms". */
export function udpSucceeded(label: string, endpoint: string, figures: string): string {
  return `${label}: udp echo to ${endpoint} succeeded: ${figures}`;
}

export function udpLoss(label: string, endpoint: string, figures: string, maxLossPercent: number): string {
  return `${label}: udp echo to ${endpoint} lost more than ${maxLossPercent}% of its datagrams: ${figures}`;
}

export function udpFailed(label: string, endpoint: string, dialed: string, text: string): string {
  return `${label}: failed to exchange UDP datagrams with ${endpoint}: udp ${dialed}: ${text}`;
}

export function mtuSucceeded(label: string, url: string, bytes: number): string {
  return `${label}: mtu transfer of ${bytes} bytes from ${url} succeeded`;
}

export function mtuBlackHole(label: string, url: string, received: number, expected: number, after: string): string {
  return (
    `${label}: mtu black hole on the path from ${url}: connected and got the response headers, but only ` +
    `${received} of ${expected} payload bytes arrived within ${after}: small packets pass and large segments ` +
    'never arrive (an MTU larger than the path allows, with ICMP "fragmentation needed" dropped)'
  );
}

export function mtuShort(label: string, url: string, received: number, expected: number): string {
  return `${label}: mtu transfer from ${url} ended after ${received} of ${expected} bytes`;
}
