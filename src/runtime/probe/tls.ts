/** TLS step: a handshake over the connected socket, with SNI and an optional client certificate. */
import type { Socket } from 'node:net';
import { type SecureContext, type TLSSocket, connect, createSecureContext } from 'node:tls';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';

export interface TlsParameters {
  /** The dialed host (an IP or a name): checked against the certificate when verifying and no server name is set. */
  host: string;
  /** SNI; never an IP address (RFC 6066). */
  serverName: string | undefined;
  verify: boolean;
  secureContext: SecureContext;
  alpn: Uint8Array | undefined;
  /**
   * TLS 1.3 lets the client finish before the server has judged its certificate; wait this long at most for the
   * server's verdict (a session ticket, an alert, or a close). 0 skips the wait.
   */
  verdictWaitMs: number;
}

export interface TlsHandshake {
  socket: TLSSocket;
  /** When the client finished the handshake (performance.now()). */
  finishedAt: number;
  /** True when the server's verdict came (ticket or close); false when the wait ran out quietly. */
  confirmed: boolean;
}

/** ALPN for HTTP/1.1, precomputed once (length-prefixed wire format). */
export const HTTP1_ALPN = Uint8Array.from([8, ...Buffer.from('http/1.1')]);

let defaultContext: SecureContext | undefined;
const clientCertContexts = new Map<string, Map<string, SecureContext>>();
const MAX_CACHED_CLIENT_CERTS = 256;

/** Secure contexts are costly to build (key parsing, root store): one per distinct client certificate, reused. */
export function secureContextFor(clientCert: { cert: string; key: string } | undefined): SecureContext {
  if (!clientCert) return (defaultContext ??= createSecureContext());
  let byKey = clientCertContexts.get(clientCert.cert);
  let context = byKey?.get(clientCert.key);
  if (context) return context;
  context = createSecureContext({ cert: clientCert.cert, key: clientCert.key });
  if (!byKey) {
    if (clientCertContexts.size >= MAX_CACHED_CLIENT_CERTS) clientCertContexts.clear();
    byKey = new Map();
    clientCertContexts.set(clientCert.cert, byKey);
  }
  byKey.set(clientCert.key, context);
  return context;
}

export function handshakeTls(
  socket: Socket,
  parameters: TlsParameters,
  deadline: ProbeDeadline,
): Promise<TlsHandshake> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  return new Promise((resolve, reject) => {
    const secure = connect({
      socket,
      host: parameters.host,
      servername: parameters.serverName,
      secureContext: parameters.secureContext,
      rejectUnauthorized: parameters.verify,
      ALPNProtocols: parameters.alpn,
    });
    secure.on('error', ignoreError);
    let finishedAt = 0;
    let verdictTimer: NodeJS.Timeout | undefined;

    const cleanup = (): void => {
      deadline.disarm();
      if (verdictTimer) clearTimeout(verdictTimer);
      secure.removeListener('secureConnect', onSecureConnect);
      secure.removeListener('error', onError);
      secure.removeListener('session', onSession);
      secure.removeListener('end', onVerdict);
      secure.removeListener('close', onVerdict);
    };
    const succeed = (confirmed: boolean): void => {
      cleanup();
      resolve({ socket: secure, finishedAt, confirmed });
    };
    const onVerdict = (): void => succeed(true);
    // A TLS 1.2 ticket may be announced before 'secureConnect'; only a ticket after the client finished is a verdict.
    const onSession = (): void => {
      if (finishedAt > 0) succeed(true);
    };
    const onQuiet = (): void => succeed(false);
    const onError = (error: Error): void => {
      cleanup();
      secure.destroy();
      reject(new StepFailure('error', error));
    };
    const onSecureConnect = (): void => {
      finishedAt = performance.now();
      if (parameters.verdictWaitMs <= 0 || secure.getProtocol() !== 'TLSv1.3') return succeed(true);
      secure.once('end', onVerdict);
      secure.once('close', onVerdict);
      verdictTimer = setTimeout(onQuiet, Math.min(parameters.verdictWaitMs, deadline.remainingMs()));
    };

    // Listening for 'session' before the handshake turns on OpenSSL's session callbacks in time for the tickets.
    secure.on('session', onSession);
    secure.once('secureConnect', onSecureConnect);
    secure.once('error', onError);
    deadline.arm((cause) => {
      cleanup();
      secure.destroy();
      reject(interruptionFailure(cause));
    });
  });
}
