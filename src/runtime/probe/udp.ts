/** UDP step: a burst of datagrams to p2pnc's echo responder; counts the echoes, their round trips and jitter. */
import { type Socket, createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';
import { UDP_ECHO_MAGIC, UDP_ECHO_MIN_BYTES } from './udp-protocol.js';

/** Gap between two datagrams of a burst: spread enough not to overrun a queue, short enough to end quickly. */
export const UDP_SPACING_MS = 2;
/** After the last datagram, stragglers are waited for this long at least, and at least 4 times the slowest echo. */
const MIN_STRAGGLER_WAIT_MS = 250;

export interface UdpBurst {
  sent: number;
  received: number;
  /** Share of datagrams without an echo, 0..100. */
  lossPercent: number;
  rttAvgMs?: number;
  rttMaxMs?: number;
  /** Mean absolute difference of consecutive echoes' round trips (RFC 3550's jitter without its smoothing). */
  jitterMs?: number;
}

const TOKEN_OFFSET = UDP_ECHO_MAGIC.length;
const SEQ_OFFSET = TOKEN_OFFSET + 8;

export function udpBurst(address: string, port: number, count: number, deadline: ProbeDeadline): Promise<UdpBurst> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  const socket: Socket = createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  socket.on('error', ignoreError);
  const token = Math.random();
  const sentAt = new Float64Array(count);
  const rtts = new Float64Array(count).fill(-1);
  let sent = 0;
  let received = 0;
  let maxRtt = 0;

  return new Promise((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      deadline.disarm();
      if (timer) clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.close();
      outcome();
    };
    const done = (): void => finish(() => resolve(summarize(sent, received, rtts)));
    const fail = (error: Error): void => finish(() => reject(new StepFailure('error', error)));

    socket.on('message', (message: Buffer) => {
      if (message.length < UDP_ECHO_MIN_BYTES || !message.subarray(0, TOKEN_OFFSET).equals(UDP_ECHO_MAGIC)) return;
      if (message.readDoubleBE(TOKEN_OFFSET) !== token) return;
      const seq = message.readUInt32BE(SEQ_OFFSET);
      if (seq >= sent || rtts[seq]! >= 0) return;
      const rtt = performance.now() - sentAt[seq]!;
      rtts[seq] = rtt;
      received++;
      if (rtt > maxRtt) maxRtt = rtt;
      if (received === count) done();
    });
    // ECONNREFUSED (ICMP port unreachable: no responder) and local routing errors end the burst.
    socket.once('error', fail);
    // Lost datagrams are counted, not failed: the deadline ends the wait, then the burst is summarized.
    deadline.arm((cause) => (cause === 'timeout' ? done() : finish(() => reject(interruptionFailure(cause)))));

    const packet = Buffer.alloc(UDP_ECHO_MIN_BYTES);
    UDP_ECHO_MAGIC.copy(packet, 0);
    packet.writeDoubleBE(token, TOKEN_OFFSET);
    const sendNext = (): void => {
      if (settled) return;
      const seq = sent;
      packet.writeUInt32BE(seq, SEQ_OFFSET);
      sentAt[seq] = performance.now();
      sent++;
      socket.send(packet, (error) => {
        if (error) fail(error);
      });
      if (sent < count) timer = setTimeout(sendNext, UDP_SPACING_MS);
      else timer = setTimeout(done, Math.min(deadline.remainingMs(), Math.max(MIN_STRAGGLER_WAIT_MS, 4 * maxRtt)));
    };
    socket.connect(port, address, sendNext);
  });
}

function summarize(sent: number, received: number, rtts: Float64Array): UdpBurst {
  const burst: UdpBurst = { sent, received, lossPercent: sent === 0 ? 100 : (100 * (sent - received)) / sent };
  if (received === 0) return burst;
  let sum = 0;
  let max = 0;
  let deltas = 0;
  let deltaSum = 0;
  let previous = -1;
  for (let i = 0; i < sent; i++) {
    const rtt = rtts[i]!;
    if (rtt < 0) continue;
    sum += rtt;
    if (rtt > max) max = rtt;
    if (previous >= 0) {
      deltaSum += Math.abs(rtt - previous);
      deltas++;
    }
    previous = rtt;
  }
  burst.rttAvgMs = sum / received;
  burst.rttMaxMs = max;
  burst.jitterMs = deltas > 0 ? deltaSum / deltas : 0;
  return burst;
}
