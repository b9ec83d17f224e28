/**
 * MTU step: a GET of a sized payload from the target responder over the connected socket. The responder sends its
 * (small) headers before the (full-sized) payload segments, so "the headers came, the payload did not" singles out
 * a path that passes small packets and drops large ones: an MTU black hole.
 */
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';
import type { HttpGet } from './http.js';
import { USER_AGENT } from './http.js';

/** The responder's route: `GET /payload?bytes=N` answers with N bytes. */
export const PAYLOAD_PATH = '/payload';

export function payloadPath(bytes: number): string {
  return `${PAYLOAD_PATH}?bytes=${bytes}`;
}

export interface PayloadTransfer {
  status: number;
  /** Payload bytes that arrived. */
  received: number;
  /** True when the deadline ended the transfer after the headers came and before the last byte. */
  stalled: boolean;
}

/** Resolves once the payload is in, or when the deadline hits after the headers; rejects before the headers. */
export function fetchPayload(socket: Socket, get: HttpGet, deadline: ProbeDeadline): Promise<PayloadTransfer> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  return new Promise((resolve, reject) => {
    const req = request({
      createConnection: () => socket,
      method: 'GET',
      path: get.path,
      setHost: false,
      headers: { Host: get.authority, 'User-Agent': USER_AGENT, Accept: '*/*', Connection: 'close' },
    });
    req.on('error', ignoreError);
    let response: IncomingMessage | undefined;
    let received = 0;
    let settled = false;
    const finish = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      deadline.disarm();
      req.destroy();
      outcome();
    };
    const transfer = (stalled: boolean): PayloadTransfer => ({ status: response!.statusCode ?? 0, received, stalled });
    req.once('response', (res: IncomingMessage) => {
      response = res;
      res.on('error', ignoreError);
      if (res.statusCode !== 200) return finish(() => resolve(transfer(false)));
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      res.once('end', () => finish(() => resolve(transfer(false))));
    });
    req.once('error', (error: Error) => finish(() => reject(new StepFailure('error', error))));
    deadline.arm((cause) => {
      if (cause === 'timeout' && response && response.statusCode === 200) return finish(() => resolve(transfer(true)));
      finish(() => reject(interruptionFailure(cause)));
    });
    req.end();
  });
}
