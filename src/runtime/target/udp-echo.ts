/** The UDP half of the responder: echoes `udp` probes' datagrams on the TCP port's number, and nothing else. */
import { type Socket, createSocket } from 'node:dgram';
import { once } from 'node:events';
import { isEchoRequest } from '../probe/udp-protocol.js';

export interface UdpEcho {
  host: string;
  port: number;
  /** Datagrams echoed so far. */
  readonly echoed: number;
  close(): Promise<void>;
}

/** Echoes beyond this many a second are dropped: a spoofed flood gets no more out of a target than a busy source. */
export const DEFAULT_MAX_ECHOES_PER_SECOND = 20_000;
const RECEIVE_BUFFER_BYTES = 1024 * 1024;
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

/** Binds `::` dual-stack (0.0.0.0 without IPv6) or the given host, on the given port (0: any). */
export async function startUdpEcho(
  host: string,
  port: number,
  maxEchoesPerSecond = DEFAULT_MAX_ECHOES_PER_SECOND,
): Promise<UdpEcho> {
  const candidates: { type: 'udp4' | 'udp6'; address: string }[] =
    host === '::'
      ? [
          { type: 'udp6', address: '::' },
          { type: 'udp4', address: '0.0.0.0' },
        ]
      : [{ type: host.includes(':') ? 'udp6' : 'udp4', address: host }];
  let socket: Socket | undefined;
  for (const [index, candidate] of candidates.entries()) {
    const attempt = createSocket({ type: candidate.type, ipv6Only: false });
    try {
      attempt.bind(port, candidate.address);
      await once(attempt, 'listening');
      socket = attempt;
      break;
    } catch (error) {
      attempt.close();
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NO_IPV6.has(code) || index === candidates.length - 1) throw error;
    }
  }
  const bound = socket!;
  // Bursts from many sources at once should not overflow the default queue (about 270 datagrams) and read as loss.
  // The kernel caps this at net.core.rmem_max.
  try {
    bound.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    // keeps the default
  }
  let echoed = 0;
  let windowStart = 0;
  let inWindow = 0;
  // A reply to an unreachable sender surfaces as an error on the next receive: nothing to do about it.
  bound.on('error', () => {});
  bound.on('message', (message, remote) => {
    if (!isEchoRequest(message)) return;
    const now = Date.now();
    if (now - windowStart >= 1_000) {
      windowStart = now;
      inWindow = 0;
    }
    if (++inWindow > maxEchoesPerSecond) return;
    echoed++;
    bound.send(message, remote.port, remote.address);
  });
  const address = bound.address();
  let closed: Promise<void> | undefined;
  return {
    host: address.address,
    port: address.port,
    get echoed() {
      return echoed;
    },
    close: () => (closed ??= new Promise((resolve) => bound.close(() => resolve()))),
  };
}
