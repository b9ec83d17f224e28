/**
 * `GET /payload?bytes=N`: N bytes for `mtu` probes. The headers go out first, on their own, so a client that gets
 * them and not the payload knows small packets pass and large ones do not.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { MTU_SIZE } from '../../api/probe-kinds.js';

const CHUNK = Buffer.alloc(64 * 1024, 0x70);

/** The size asked for, or an error text for a 400. */
export function parsePayloadSize(url: string): number | string {
  const query = new URLSearchParams(url.split('?', 2)[1] ?? '');
  const text = query.get('bytes') ?? String(MTU_SIZE.default);
  const bytes = /^\d{1,8}$/.test(text) ? Number(text) : Number.NaN;
  if (!(bytes >= 0 && bytes <= MTU_SIZE.max)) return `bytes must be a whole number from 0 to ${MTU_SIZE.max}\n`;
  return bytes;
}

export function servePayload(request: IncomingMessage, response: ServerResponse, bytes: number): void {
  response.writeHead(200, {
    'Content-Type': 'application/octet-stream',
    'Content-Length': bytes,
    'Cache-Control': 'no-store',
  });
  if (request.method === 'HEAD') return void response.end();
  response.flushHeaders();
  let left = bytes;
  const writeMore = (): void => {
    while (left > 0) {
      const chunk = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
      left -= chunk.length;
      // Back-pressure: at most one chunk per connection waits in memory.
      if (!response.write(chunk)) return void response.once('drain', writeMore);
    }
    response.end();
  };
  // A client that stalls or leaves must not keep the loop waiting for 'drain'.
  response.once('close', () => {
    left = 0;
    response.removeListener('drain', writeMore);
  });
  writeMore();
}
