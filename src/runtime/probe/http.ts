/** HTTP step: one GET over the already connected (and possibly TLS) socket, without an agent. */
import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, ignoreError, interruptionFailure } from './failure.js';

export const USER_AGENT = 'p2pnc-probe';

export interface HttpGet {
  path: string;
  /** Host header value. */
  authority: string;
}

/** Path characters Node's http client accepts; checked before connecting so a bad path is a config error. */
export function isValidHttpPath(path: string): boolean {
  return path.startsWith('/') && !/[^\u0021-\u00ff]/.test(path);
}

/** Resolves with the response status once the headers arrive; the body is not read. */
export function httpGet(socket: Socket, get: HttpGet, deadline: ProbeDeadline): Promise<number> {
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
    const onResponse = (response: IncomingMessage): void => {
      deadline.disarm();
      req.removeListener('error', onError);
      response.on('error', ignoreError);
      response.destroy();
      resolve(response.statusCode ?? 0);
    };
    const onError = (error: Error): void => {
      deadline.disarm();
      req.removeListener('response', onResponse);
      req.destroy();
      reject(new StepFailure('error', error));
    };
    req.once('response', onResponse);
    req.once('error', onError);
    deadline.arm((cause) => {
      req.removeListener('response', onResponse);
      req.removeListener('error', onError);
      req.destroy();
      reject(interruptionFailure(cause));
    });
    req.end();
  });
}
