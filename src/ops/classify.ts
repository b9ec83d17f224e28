/**
 * Which layer a recorded failure belongs to, from the reason and message the runtime writes: the status keeps
 * OpenShift's shape, so the failure kind the probe knew is not stored. The text is read by the readers next to its
 * writers (src/runtime/probe/messages.ts for the phrases, failure.ts for the Go error texts).
 */
import { connectKindOf, isNoSuchHost } from '../runtime/probe/failure.js';
import {
  httpStatusOfMessage,
  layerOfMessage,
  Reason,
  withoutLabel as messageWithoutLabel,
} from '../runtime/probe/messages.js';
import type { FailureKind } from '../runtime/types.js';

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

/** The layer of one failed probe. Unknown reasons (another writer's) are classified by their text alone. */
export function classifyFailure(failure: RecordedFailure): FailureKind {
  const message = (failure.message ?? '').trim();
  switch (failure.reason) {
    case Reason.dnsError:
      return 'dns';
    case Reason.invalidCheck:
      return 'config';
    case Reason.tlsError:
      return 'tls';
    case Reason.httpError:
      return layerOfMessage(message) === 'http-status' ? 'http-status' : 'http';
    case Reason.tcpConnectError:
    case Reason.icmpEchoError:
    case Reason.udpEchoError:
      return connectFailure(message);
    case Reason.mtuBlackHole:
      return 'mtu';
    default:
      return layerOfMessage(message) ?? connectFailure(message);
  }
}

function connectFailure(message: string): FailureKind {
  return connectKindOf(message) ?? 'other';
}

/**
 * A DNS failure is either an answer that the name does not exist (`no such host`: the record or the Service is
 * missing) or no usable answer at all (timeout, SERVFAIL, refused: the resolver or the path to it).
 */
export function dnsFailureCause(message: string | undefined): 'no-such-host' | 'resolver' {
  return isNoSuchHost((message ?? '').trim()) ? 'no-such-host' : 'resolver';
}

/** The HTTP status in an unexpected-status message. */
export function httpStatusOf(message: string | undefined): number | undefined {
  return httpStatusOfMessage(message ?? '');
}

/** The message without OpenShift's `<label>: ` prefix, for one-line displays. */
export function withoutLabel(message: string | undefined): string {
  return messageWithoutLabel(message ?? '');
}
