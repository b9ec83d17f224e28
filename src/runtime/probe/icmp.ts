/** ICMP step: one echo request to one address over a ping socket; resolves with the round-trip time. */
import type { Socket } from 'node:dgram';
import { isIP } from 'node:net';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';
import { openPingSocket } from './ping-socket.js';

const ECHO_REQUEST = { 4: 8, 6: 128 } as const;
const ECHO_REPLY = { 4: 0, 6: 129 } as const;
const HEADER_BYTES = 8;
/** Payload after the header: a per-probe token, so a late reply of an earlier probe is never taken for this one's. */
const TOKEN_BYTES = 8;
/** The kernel ignores the port of a ping socket's destination; dgram wants one from 1 to 65535. */
const ANY_PORT = 1;

let sequence = 0;

export interface EchoReply {
  /** Round trip in milliseconds. */
  rttMs: number;
}

export function echo(address: string, deadline: ProbeDeadline): Promise<EchoReply> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  const family = isIP(address) === 6 ? 6 : 4;
  let socket: Socket;
  try {
    socket = openPingSocket(family);
  } catch (error) {
    return Promise.reject(new StepFailure('error', error));
  }
  sequence = (sequence + 1) & 0xffff;
  const seq = sequence;
  const request = Buffer.allocUnsafe(HEADER_BYTES + TOKEN_BYTES);
  request.writeUInt8(ECHO_REQUEST[family], 0);
  request.writeUInt8(0, 1);
  // Checksum and identifier are the kernel's to fill in.
  request.writeUInt32BE(0, 2);
  request.writeUInt16BE(seq, 6);
  const token = request.subarray(HEADER_BYTES);
  token.writeDoubleBE(Math.random(), 0);

  return new Promise((resolve, reject) => {
    let sentAt = 0;
    let settled = false;
    socket.on('error', ignoreError);
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      deadline.disarm();
      socket.removeListener('message', onMessage);
      socket.removeListener('error', onError);
      socket.close();
      outcome();
    };
    const onMessage = (message: Buffer): void => {
      if (
        message.length >= HEADER_BYTES + TOKEN_BYTES &&
        message[0] === ECHO_REPLY[family] &&
        message.readUInt16BE(6) === seq &&
        message.subarray(HEADER_BYTES, HEADER_BYTES + TOKEN_BYTES).equals(token)
      ) {
        const rttMs = performance.now() - sentAt;
        finish(() => resolve({ rttMs }));
      }
    };
    const onError = (error: Error): void => finish(() => reject(new StepFailure('error', error)));
    socket.on('message', onMessage);
    socket.once('error', onError);
    deadline.arm((cause) => finish(() => reject(interruptionFailure(cause))));
    sentAt = performance.now();
    // Without a callback a failed send surfaces as the socket's 'error' (onError), and Node skips a completion hop.
    socket.send(request, ANY_PORT, address);
  });
}
