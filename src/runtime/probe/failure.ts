/** How a step failed, and the Go-style error text OpenShift's messages carry. */
import type { FailureKind } from '../types.js';
import type { Interruption } from './deadline.js';

/** Thrown by steps. Not an Error on purpose: no stack trace is captured for an expected outcome. */
export class StepFailure {
  constructor(
    readonly cause: Interruption | 'error',
    readonly error?: unknown,
  ) {}
}

/** Keeps a late socket error (after the probe moved on or gave up) from becoming an uncaught exception. */
export function ignoreError(): void {}

export function interruptionFailure(cause: Interruption): StepFailure {
  return cause === 'timeout' ? TIMEOUT : CANCELED;
}

const TIMEOUT = new StepFailure('timeout');
const CANCELED = new StepFailure('canceled');

/** Go's texts for an interrupted operation. */
export const TIMEOUT_TEXT = 'i/o timeout';
export const CANCELED_TEXT = 'operation was canceled';

interface ConnectErrno {
  kind: FailureKind;
  /** What Go prints after `dial tcp <addr>: ` (strerror, as in Go's syscall.Errno). */
  text: string;
}

const CONNECT_ERRNOS: Readonly<Record<string, ConnectErrno>> = {
  ECONNREFUSED: { kind: 'refused', text: 'connect: connection refused' },
  EHOSTUNREACH: { kind: 'no-route', text: 'connect: no route to host' },
  ENETUNREACH: { kind: 'no-route', text: 'connect: network is unreachable' },
  EHOSTDOWN: { kind: 'no-route', text: 'connect: host is down' },
  ENETDOWN: { kind: 'no-route', text: 'connect: network is down' },
  ETIMEDOUT: { kind: 'timeout', text: 'connect: connection timed out' },
  ECONNRESET: { kind: 'other', text: 'connect: connection reset by peer' },
  EACCES: { kind: 'other', text: 'connect: permission denied' },
  EPERM: { kind: 'other', text: 'connect: operation not permitted' },
  EADDRNOTAVAIL: { kind: 'other', text: 'connect: cannot assign requested address' },
  EMFILE: { kind: 'other', text: 'socket: too many open files' },
  ENFILE: { kind: 'other', text: 'socket: too many open files in system' },
};

/** Classifies a failed TCP connect. */
export function describeConnectFailure(failure: StepFailure): ConnectErrno {
  if (failure.cause === 'timeout') return { kind: 'timeout', text: TIMEOUT_TEXT };
  if (failure.cause === 'canceled') return { kind: 'other', text: CANCELED_TEXT };
  const code = errorCode(failure.error);
  return (code && CONNECT_ERRNOS[code]) || { kind: 'other', text: `connect: ${errorText(failure.error)}` };
}

/**
 * The connect-level layer of a failure message from the Go error text it ends with (the table above, or a timeout);
 * undefined when the text is none of those.
 */
export function connectKindOf(message: string): FailureKind | undefined {
  if (message.endsWith(TIMEOUT_TEXT)) return 'timeout';
  for (const { kind, text } of Object.values(CONNECT_ERRNOS))
    if (kind !== 'other' && message.endsWith(text.slice(text.indexOf(': ') + 2))) return kind;
  return undefined;
}

/** Go's text for a name that does not exist: the record or the Service is missing, not the resolver. */
const NO_SUCH_HOST = 'no such host';

const DNS_TEXTS: Readonly<Record<string, string>> = {
  ENOTFOUND: NO_SUCH_HOST,
  ENODATA: NO_SUCH_HOST,
  EAI_NONAME: NO_SUCH_HOST,
  EAI_AGAIN: 'temporary failure in name resolution',
  ESERVFAIL: 'server misbehaving',
  ETIMEOUT: TIMEOUT_TEXT,
  ECONNREFUSED: 'connection refused',
};

/** What follows `lookup <host>: ` in a DNS failure message. */
export function describeDnsFailure(failure: StepFailure): string {
  if (failure.cause === 'timeout') return TIMEOUT_TEXT;
  if (failure.cause === 'canceled') return CANCELED_TEXT;
  const code = errorCode(failure.error);
  return (code && DNS_TEXTS[code]) || errorText(failure.error);
}

/** Whether a DNS failure message says the name does not exist (rather than that no usable answer came). */
export function isNoSuchHost(message: string): boolean {
  return message.endsWith(`: ${NO_SUCH_HOST}`);
}

/** Text of a TLS or HTTP failure: OpenSSL's reason when there is one, without its code-and-file decoration. */
export function describeFailure(failure: StepFailure): string {
  if (failure.cause === 'timeout') return TIMEOUT_TEXT;
  if (failure.cause === 'canceled') return CANCELED_TEXT;
  const error = failure.error;
  const fromOpenSsl = isTlsError(error) || (isObject(error) && typeof error.library === 'string');
  if (fromOpenSsl && isObject(error) && typeof error.reason === 'string' && error.reason !== '') return error.reason;
  return errorText(error);
}

/** True when an error comes from the TLS layer (a handshake alert surfacing after TLS 1.3's early client finish). */
export function isTlsError(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_'));
}

export function errorCode(error: unknown): string | undefined {
  return isObject(error) && typeof error.code === 'string' ? error.code : undefined;
}

function errorText(error: unknown): string {
  if (error instanceof Error) return error.message.trim() || error.name;
  return String(error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
