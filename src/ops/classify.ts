/**
 * Which layer a recorded failure belongs to, read back from the reason and message the runtime writes
 * (src/runtime/probe/messages.ts and failure.ts): the status keeps OpenShift's shape, so the failure kind the
 * probe knew is not stored and is recovered here from the Go-style error text.
 */
import type { FailureKind } from '../runtime/types.js';
import { INVALID_CHECK_REASON } from '../api/constants.js';

export type { FailureKind };

export interface RecordedFailure {
  reason?: string | undefined;
  message?: string | undefined;
}

/** Short names of the layers, as printed by status and diagnose. */
export const FAILURE_LABELS: Readonly<Record<FailureKind, string>> = {
  dns: 'DNS',
  refused: 'refused',
  timeout: 'timeout',
  'no-route': 'no route',
  tls: 'TLS',
  'http-status': 'HTTP status',
  http: 'HTTP',
  mtu: 'MTU black hole',
  config: 'invalid check',
  other: 'other',
};

const NO_ROUTE = /(no route to host|network is unreachable|host is down|network is down)$/;
const TIMEOUT = /(i\/o timeout|connection timed out)$/;
const REFUSED = /connection refused$/;
const HTTP_STATUS = /returned status \d{3}, expected /;

/** The layer of one failed probe. Unknown reasons (another writer's) are classified by their text alone. */
export function classifyFailure(failure: RecordedFailure): FailureKind {
  const message = (failure.message ?? '').trim();
  switch (failure.reason) {
    case 'DNSError':
      return 'dns';
    case INVALID_CHECK_REASON:
      return 'config';
    case 'TLSError':
      return 'tls';
    case 'HTTPError':
      return HTTP_STATUS.test(message) ? 'http-status' : 'http';
    case 'TCPConnectError':
    case 'ICMPEchoError':
    case 'UDPEchoError':
      return connectFailure(message);
    case 'MTUBlackHole':
      return 'mtu';
    default:
      if (/: failure looking up host /.test(message)) return 'dns';
      if (/: invalid check: /.test(message)) return 'config';
      if (/: failed to complete a TLS handshake /.test(message)) return 'tls';
      if (HTTP_STATUS.test(message)) return 'http-status';
      if (/: mtu black hole on the path /.test(message)) return 'mtu';
      return connectFailure(message);
  }
}

function connectFailure(message: string): FailureKind {
  if (REFUSED.test(message)) return 'refused';
  if (TIMEOUT.test(message)) return 'timeout';
  if (NO_ROUTE.test(message)) return 'no-route';
  return 'other';
}

/**
 * A DNS failure is either an answer that the name does not exist (`no such host`: the record or the Service is
 * missing) or no usable answer at all (timeout, SERVFAIL, refused: the resolver or the path to it).
 */
export function dnsFailureCause(message: string | undefined): 'no-such-host' | 'resolver' {
  return /: no such host$/.test((message ?? '').trim()) ? 'no-such-host' : 'resolver';
}

/** The HTTP status in an unexpected-status message. */
export function httpStatusOf(message: string | undefined): number | undefined {
  const match = /returned status (\d{3}), expected /.exec(message ?? '');
  return match ? Number(match[1]) : undefined;
}

/** The message without OpenShift's `<label>: ` prefix, for one-line displays. */
export function withoutLabel(message: string | undefined): string {
  const text = message ?? '';
  const at = text.indexOf(': ');
  return at >= 0 ? text.slice(at + 2) : text;
}
