/**
 * One probe of one target: DNS, then TCP (and TLS, HTTP, or a sized payload), an ICMP echo or a UDP burst as the kind
 * asks. Never throws: every outcome is a result.
 */
import type { Socket } from 'node:net';
import type { SecureContext, TLSSocket } from 'node:tls';
import { MTU_SIZE, PROBE_KINDS, UDP_COUNT, UDP_MAX_LOSS_PERCENT } from '../../api/probe-kinds.js';
import { formatDuration } from '../../api/duration.js';
import type { FailureKind, ProbeResult, ProbeTarget } from '../types.js';
import { ProbeDeadline } from './deadline.js';
import { formatEndpoint, isIpAddress, isValidHost, isValidPort } from './endpoint.js';
import { StepFailure, describeConnectFailure, describeDnsFailure, describeFailure, isTlsError } from './failure.js';
import { httpGet, isValidHttpPath } from './http.js';
import { echo } from './icmp.js';
import { fetchPayload, payloadPath } from './payload.js';
import { PingSocketError } from './ping-socket.js';
import { type UdpBurst, udpBurst } from './udp.js';
import * as messages from './messages.js';
import { Reason } from './messages.js';
import { type Resolver, resolveHost, systemResolver } from './resolve.js';
import { formatExpectedStatus, isExpectedStatus } from './status.js';
import { connectTcp } from './tcp.js';
import { HTTP1_ALPN, handshakeTls, secureContextFor } from './tls.js';

export interface ProbeOptions {
  /** Bounds the whole probe, DNS included. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** @default the system resolver (getaddrinfo) */
  resolver?: Resolver;
}

type Phases = NonNullable<ProbeResult['phases']>;
type Stage = 'dns' | 'tcp' | 'tls' | 'http' | 'icmp' | 'udp' | 'mtu';

const KNOWN_KINDS: ReadonlySet<string> = new Set(PROBE_KINDS);

/** How long a TLS 1.3 `tls` probe waits at least for the server to accept or reject its (possibly absent) certificate. */
const MIN_TLS_VERDICT_WAIT_MS = 250;

/** One probe's progress and what its messages need, computed once. */
class ProbeRun {
  readonly startedAt = performance.now();
  readonly time = new Date();
  readonly phases: Phases = {};
  readonly host: string;
  readonly endpoint: string;
  stage: Stage = 'dns';
  /** The address being dialed, as Go prints it in `dial tcp <addr>`. */
  dialed: string;

  constructor(readonly target: ProbeTarget) {
    this.host = unbracket(target.host);
    this.endpoint = target.kind === 'icmp' ? this.host : formatEndpoint(this.host, target.port);
    this.dialed = this.endpoint;
  }

  get label(): string {
    return this.target.label;
  }

  url(): string {
    const path = this.target.kind === 'mtu' ? payloadPath(payloadSize(this.target)) : (this.target.path ?? '/');
    return `${this.target.kind === 'https' ? 'https' : 'http'}://${this.endpoint}${path}`;
  }

  result(
    success: boolean,
    reason: string,
    message: string,
    failure?: FailureKind,
    endedAt = performance.now(),
  ): ProbeResult {
    const result: ProbeResult = {
      time: this.time,
      success,
      latencyMs: endedAt - this.startedAt,
      reason,
      message,
      phases: this.phases,
    };
    if (failure) result.failure = failure;
    return result;
  }
}

export async function probe(target: ProbeTarget, options: ProbeOptions): Promise<ProbeResult> {
  const run = new ProbeRun(target);
  const invalid = findConfigError(run, options);
  if (invalid) return run.result(false, Reason.invalidCheck, messages.invalidCheck(run.label, invalid), 'config');

  let secureContext: SecureContext | undefined;
  if (target.kind === 'tls' || target.kind === 'https' || handshakesOverTcp(target)) {
    try {
      secureContext = secureContextFor(target.clientCert);
    } catch (error) {
      const text = `invalid TLS client certificate or key: ${describeFailure(new StepFailure('error', error))}`;
      return run.result(false, Reason.invalidCheck, messages.invalidCheck(run.label, text), 'config');
    }
  }

  const deadline = new ProbeDeadline(options.timeoutMs, options.signal);
  let socket: Socket | undefined;
  try {
    const addresses = isIpAddress(run.host)
      ? [run.host]
      : await resolve(run, options.resolver ?? systemResolver, deadline);
    if (target.kind === 'icmp') return await ping(run, addresses[0]!, deadline);
    if (target.kind === 'udp') return await udp(run, addresses[0]!, deadline);
    run.stage = 'tcp';
    socket = await connect(run, addresses, deadline);
    if (target.kind === 'tcp' && !secureContext)
      return run.result(true, Reason.tcpConnect, messages.tcpSucceeded(run.label, run.endpoint));
    if (target.kind === 'mtu') return await transfer(run, socket, deadline, options.timeoutMs);

    if (secureContext) {
      run.stage = 'tls';
      const secured = await handshake(run, socket, secureContext, deadline);
      socket = secured.socket;
      if (target.kind === 'tls' || target.kind === 'tcp') {
        return run.result(
          true,
          Reason.tlsHandshake,
          messages.tlsSucceeded(run.label, run.endpoint),
          undefined,
          secured.endedAt,
        );
      }
    }

    run.stage = 'http';
    const status = await get(run, socket, deadline);
    if (isExpectedStatus(status, target.expectedStatus)) {
      return run.result(true, Reason.httpRequest, messages.httpSucceeded(run.label, run.url(), status));
    }
    const message = messages.httpUnexpectedStatus(
      run.label,
      run.url(),
      status,
      formatExpectedStatus(target.expectedStatus),
    );
    return run.result(false, Reason.httpError, message, 'http-status');
  } catch (error) {
    const failure = error instanceof StepFailure ? error : new StepFailure(deadline.interrupted ?? 'error', error);
    return failureResult(run, failure);
  } finally {
    deadline.dispose();
    socket?.destroy();
  }
}

/**
 * A `tcp` check carrying a client certificate completes a TLS handshake with it, as OpenShift's checker does (it
 * dials TLS whenever the check names a certificate): the certificate is there to be presented, and a server that
 * rejects it is a failure to see. Bounded by the probe's deadline like every step.
 */
function handshakesOverTcp(target: ProbeTarget): boolean {
  return target.kind === 'tcp' && target.clientCert !== undefined;
}

async function ping(run: ProbeRun, address: string, deadline: ProbeDeadline): Promise<ProbeResult> {
  run.stage = 'icmp';
  run.dialed = address;
  const { rttMs } = await echo(address, deadline);
  run.phases.roundTripMs = rttMs;
  const result = run.result(true, Reason.icmpEcho, messages.icmpSucceeded(run.label, run.host, formatDuration(rttMs)));
  result.latencyMs = rttMs;
  return result;
}

async function udp(run: ProbeRun, address: string, deadline: ProbeDeadline): Promise<ProbeResult> {
  run.stage = 'udp';
  run.dialed = formatEndpoint(address, run.target.port);
  const burst = await udpBurst(address, run.target.port, run.target.count ?? UDP_COUNT.default, deadline);
  const maxLoss = run.target.maxLossPercent ?? UDP_MAX_LOSS_PERCENT.default;
  const figures = formatBurst(burst);
  const result =
    burst.lossPercent <= maxLoss
      ? run.result(true, Reason.udpEcho, messages.udpSucceeded(run.label, run.endpoint, figures))
      : run.result(false, Reason.udpEchoError, messages.udpLoss(run.label, run.endpoint, figures, maxLoss), 'timeout');
  if (burst.rttAvgMs !== undefined) result.latencyMs = run.phases.roundTripMs = burst.rttAvgMs;
  return result;
}

/** `10/10 echoed, 0% loss, rtt avg 120µs max 210µs, jitter 31µs` */
export function formatBurst(burst: UdpBurst): string {
  const loss = `${burst.received}/${burst.sent} echoed, ${Number(burst.lossPercent.toFixed(1))}% loss`;
  if (burst.rttAvgMs === undefined) return loss;
  const ms = (value: number) => formatDuration(Math.round(value * 1000) / 1000);
  return `${loss}, rtt avg ${ms(burst.rttAvgMs)} max ${ms(burst.rttMaxMs!)}, jitter ${ms(burst.jitterMs!)}`;
}

function payloadSize(target: ProbeTarget): number {
  return target.size ?? MTU_SIZE.default;
}

async function transfer(
  run: ProbeRun,
  socket: Socket,
  deadline: ProbeDeadline,
  timeoutMs: number,
): Promise<ProbeResult> {
  run.stage = 'mtu';
  const size = payloadSize(run.target);
  const started = performance.now();
  let done;
  try {
    done = await fetchPayload(
      socket,
      { path: payloadPath(size), authority: formatEndpoint(run.host, run.target.port) },
      deadline,
    );
  } finally {
    run.phases.httpMs = run.phases.transferMs = performance.now() - started;
  }
  const url = run.url();
  if (done.stalled) {
    const message = messages.mtuBlackHole(run.label, url, done.received, size, formatDuration(timeoutMs));
    return run.result(false, Reason.mtuBlackHole, message, 'mtu');
  }
  if (done.status !== 200) {
    const message = messages.httpUnexpectedStatus(run.label, url, done.status, '200 (is the target a p2pnc target?)');
    return run.result(false, Reason.httpError, message, 'http-status');
  }
  if (done.received !== size)
    return run.result(false, Reason.httpError, messages.mtuShort(run.label, url, done.received, size), 'http');
  return run.result(true, Reason.mtuTransfer, messages.mtuSucceeded(run.label, url, size));
}

async function resolve(run: ProbeRun, resolver: Resolver, deadline: ProbeDeadline): Promise<string[]> {
  const started = performance.now();
  try {
    return await resolveHost(run.host, resolver, deadline);
  } finally {
    run.phases.dnsMs = performance.now() - started;
  }
}

/** Tries each address in turn, as Go's dialer does; reports the first failure when all fail. */
async function connect(run: ProbeRun, addresses: readonly string[], deadline: ProbeDeadline): Promise<Socket> {
  const started = performance.now();
  let first: { failure: StepFailure; dialed: string } | undefined;
  try {
    for (const address of addresses) {
      if (address !== run.host) run.dialed = formatEndpoint(address, run.target.port);
      try {
        return await connectTcp(address, run.target.port, deadline);
      } catch (error) {
        // An interruption ends the probe; an error moves on to the next address.
        if (!(error instanceof StepFailure) || error.cause !== 'error') throw error;
        first ??= { failure: error, dialed: run.dialed };
      }
    }
    run.dialed = first!.dialed;
    throw first!.failure;
  } finally {
    run.phases.connectMs = performance.now() - started;
  }
}

async function handshake(
  run: ProbeRun,
  socket: Socket,
  secureContext: SecureContext,
  deadline: ProbeDeadline,
): Promise<{ socket: TLSSocket; endedAt: number }> {
  const { target } = run;
  const started = performance.now();
  let endedAt: number | undefined;
  try {
    const serverName = target.serverName ?? run.host;
    const done = await handshakeTls(
      socket,
      {
        host: serverName,
        serverName: isIpAddress(serverName) ? undefined : serverName,
        verify: target.insecureSkipVerify === false,
        secureContext,
        alpn: target.kind === 'https' ? HTTP1_ALPN : undefined,
        // https needs no wait: a late rejection surfaces as the request's error.
        verdictWaitMs: target.kind !== 'https' ? Math.max(MIN_TLS_VERDICT_WAIT_MS, 3 * (run.phases.connectMs ?? 0)) : 0,
      },
      deadline,
    );
    // A wait that ran out quietly is not the server's latency: the handshake ended when the client finished.
    endedAt = done.confirmed ? performance.now() : done.finishedAt;
    return { socket: done.socket, endedAt };
  } finally {
    run.phases.tlsMs = (endedAt ?? performance.now()) - started;
  }
}

async function get(run: ProbeRun, socket: Socket, deadline: ProbeDeadline): Promise<number> {
  const { target } = run;
  const started = performance.now();
  try {
    const authorityHost = target.kind === 'https' && target.serverName ? target.serverName : run.host;
    return await httpGet(
      socket,
      { path: target.path ?? '/', authority: formatEndpoint(authorityHost, target.port) },
      deadline,
    );
  } finally {
    run.phases.httpMs = performance.now() - started;
  }
}

function failureResult(run: ProbeRun, failure: StepFailure): ProbeResult {
  switch (run.stage) {
    case 'dns':
      return run.result(
        false,
        Reason.dnsError,
        messages.dnsFailed(run.label, run.host, describeDnsFailure(failure)),
        'dns',
      );
    case 'tcp': {
      const { kind, text } = describeConnectFailure(failure);
      return run.result(
        false,
        Reason.tcpConnectError,
        messages.tcpFailed(run.label, run.endpoint, run.dialed, text),
        kind,
      );
    }
    case 'tls':
      return tlsFailure(run, failure);
    case 'icmp': {
      const { kind, text } = describeSocketFailure(failure);
      return run.result(false, Reason.icmpEchoError, messages.icmpFailed(run.label, run.host, run.dialed, text), kind);
    }
    case 'udp': {
      const { kind, text } = describeSocketFailure(failure);
      const message = messages.udpFailed(run.label, run.endpoint, run.dialed, text);
      return run.result(false, Reason.udpEchoError, message, kind);
    }
    case 'mtu':
    case 'http': {
      if (failure.cause === 'error' && isTlsError(failure.error)) return tlsFailure(run, failure);
      const message = messages.httpFailed(run.label, run.url(), describeFailure(failure));
      return run.result(false, Reason.httpError, message, failureKind(failure, 'http'));
    }
  }
}

function tlsFailure(run: ProbeRun, failure: StepFailure): ProbeResult {
  const message = messages.tlsFailed(run.label, run.endpoint, describeFailure(failure));
  return run.result(false, Reason.tlsError, message, failureKind(failure, 'tls'));
}

/** ICMP and UDP socket errors: a ping socket the sysctl refuses is the deployment's to fix (config). */
function describeSocketFailure(failure: StepFailure): { kind: FailureKind; text: string } {
  if (failure.cause === 'error' && failure.error instanceof PingSocketError)
    return { kind: 'config', text: failure.error.message };
  const { kind, text } = describeConnectFailure(failure);
  // Go's texts read "connect: ..." for TCP; a datagram's errors surface on write or read.
  return { kind, text: text.replace(/^connect: /, '') };
}

/** A timeout after connecting is the server's doing, not the network's: it keeps the step's kind. */
function failureKind(failure: StepFailure, stepKind: FailureKind): FailureKind {
  return failure.cause === 'canceled' ? 'other' : stepKind;
}

function findConfigError(run: ProbeRun, options: ProbeOptions): string | undefined {
  const { target } = run;
  if (!isValidHost(run.host)) return `"${target.host}" is neither a host name nor an IP address`;
  if (!KNOWN_KINDS.has(target.kind)) return `unknown probe kind "${String(target.kind)}"`;
  if (target.kind !== 'icmp' && !isValidPort(target.port)) return `port ${target.port} is not from 1 to 65535`;
  if (target.count !== undefined && !inRange(target.count, UDP_COUNT))
    return `count ${target.count} is not from ${UDP_COUNT.min} to ${UDP_COUNT.max}`;
  if (target.maxLossPercent !== undefined && !inRange(target.maxLossPercent, UDP_MAX_LOSS_PERCENT))
    return `maxLossPercent ${target.maxLossPercent} is not from ${UDP_MAX_LOSS_PERCENT.min} to ${UDP_MAX_LOSS_PERCENT.max}`;
  if (target.size !== undefined && !inRange(target.size, MTU_SIZE))
    return `size ${target.size} is not from ${MTU_SIZE.min} to ${MTU_SIZE.max} bytes`;
  if (
    (target.kind === 'http' || target.kind === 'https') &&
    target.path !== undefined &&
    !isValidHttpPath(target.path)
  ) {
    return `HTTP path "${target.path}" must start with / and contain no spaces or control characters`;
  }
  if (!(options.timeoutMs > 0 && Number.isFinite(options.timeoutMs)))
    return `timeout ${options.timeoutMs}ms is not a positive duration`;
  return undefined;
}

function inRange(value: number, bounds: { min: number; max: number }): boolean {
  return Number.isInteger(value) && value >= bounds.min && value <= bounds.max;
}

function unbracket(host: string): string {
  return host.length > 2 && host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
