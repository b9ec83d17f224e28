/**
 * The target responder: a small, bounded HTTP server that the TCP, TLS-less HTTP and mtu probes reach, and a UDP echo
 * on the same port number for udp probes.
 */
import { type Server, createServer } from 'node:http';
import type { Socket } from 'node:net';
import { createHandler } from './handler.js';
import { type Identity, identityFromEnv } from './identity.js';
import { type Bound, listenCandidates, listenFirst } from './listen.js';
import { type UdpEcho, startUdpEcho } from './udp-echo.js';

export interface TargetOptions {
  /** 0 picks a free port. */
  port: number;
  /** `::` (the default) listens dual-stack and falls back to 0.0.0.0 without IPv6. */
  host?: string;
  /** Connections beyond this are closed at once; @default 256 */
  maxConnections?: number;
  /** @default from P2PNC_NODE_NAME and P2PNC_POD_NAME */
  identity?: Identity;
  /** Echo udp probes on the TCP port's number. @default true */
  udp?: boolean;
  /** UDP echoes per second at most; beyond, datagrams go unanswered. @default 20000 */
  maxEchoesPerSecond?: number;
}

export interface CloseResult {
  /** Connections still open when the grace period ended, destroyed mid-request. */
  forced: number;
}

export interface RunningTarget extends Bound {
  identity: Identity;
  /** Requests answered so far. */
  readonly requests: number;
  /** The UDP echo's port (the TCP port's number), unless disabled. */
  udpPort?: number;
  /** Datagrams echoed so far. */
  readonly echoed: number;
  /** Stops accepting, lets requests in flight finish (up to graceMs), closes idle keep-alive connections. */
  close(graceMs?: number): Promise<CloseResult>;
}

// Probes are single short requests: nothing needs a connection to linger.
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const HEADERS_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 10_000;
/** Sockets that connect and never send (plain TCP probes that stay open, slowloris) are dropped after this. */
const IDLE_SOCKET_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_CONNECTIONS = 256;
const DEFAULT_GRACE_MS = 5_000;

export async function startTarget(options: TargetOptions): Promise<RunningTarget> {
  const identity = options.identity ?? identityFromEnv();
  const state = { closing: false };
  const server = createServer(
    {
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      // How often headersTimeout and requestTimeout are enforced (Node's default is 30s).
      connectionsCheckingInterval: 1_000,
      maxHeaderSize: 8 * 1024,
      // Headers of /payload leave in a segment of their own, ahead of the payload's full-sized ones.
      noDelay: true,
    },
    createHandler(identity, state),
  );
  server.maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  server.setTimeout(IDLE_SOCKET_TIMEOUT_MS);

  let requests = 0;
  server.on('request', () => {
    requests += 1;
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  const bound = await listenFirst(server, listenCandidates(options.host ?? '::', options.port));
  let udp: UdpEcho | undefined;
  if (options.udp !== false) {
    try {
      udp = await startUdpEcho(options.host ?? '::', bound.port, options.maxEchoesPerSecond);
    } catch (error) {
      server.close();
      throw error;
    }
  }
  let closed: Promise<CloseResult> | undefined;
  return {
    ...bound,
    identity,
    get requests() {
      return requests;
    },
    ...(udp ? { udpPort: udp.port } : {}),
    get echoed() {
      return udp?.echoed ?? 0;
    },
    close: (graceMs = DEFAULT_GRACE_MS) =>
      (closed ??= Promise.all([shutdown(server, sockets, state, graceMs), udp?.close()]).then(([result]) => result)),
  };
}

async function shutdown(
  server: Server,
  sockets: Set<Socket>,
  state: { closing: boolean },
  graceMs: number,
): Promise<CloseResult> {
  state.closing = true;
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() only drops connections idle at this moment; those that go idle later close via `Connection: close`.
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), graceMs);
  });
  const outcome = await Promise.race([stopped, deadline]);
  clearTimeout(timer);
  if (outcome !== 'deadline') return { forced: 0 };
  const forced = sockets.size;
  server.closeAllConnections();
  for (const socket of sockets) socket.destroy();
  await stopped;
  return { forced };
}
