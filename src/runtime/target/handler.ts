/** The responder's routes: GET/HEAD / and /healthz answer with the identity, /payload with bytes for mtu probes. */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { type Identity, negotiateFormat, renderIdentity } from './identity.js';
import { parsePayloadSize, servePayload } from './payload.js';
import { PAYLOAD_PATH } from '../probe/payload.js';

const IDENTITY_PATHS = new Set(['/', '/healthz']);

export interface HandlerState {
  /** Once true, every response closes its connection so shutdown is not held up by keep-alive. */
  closing: boolean;
}

export function createHandler(
  identity: Identity,
  state: HandlerState,
  now: () => Date = () => new Date(),
): RequestListener {
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (state.closing) response.setHeader('Connection', 'close');
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (!IDENTITY_PATHS.has(path) && path !== PAYLOAD_PATH)
      return reply(response, 404, 'not found\n', 'text/plain; charset=utf-8');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD');
      // An unread request body would otherwise keep the connection busy.
      response.setHeader('Connection', 'close');
      return reply(response, 405, 'method not allowed\n', 'text/plain; charset=utf-8');
    }
    if (path === PAYLOAD_PATH) {
      const bytes = parsePayloadSize(request.url ?? '');
      if (typeof bytes === 'string') return reply(response, 400, bytes, 'text/plain; charset=utf-8');
      return servePayload(request, response, bytes);
    }
    const format = negotiateFormat(request.headers.accept);
    const body = renderIdentity(identity, now(), format);
    reply(response, 200, body, format === 'json' ? 'application/json' : 'text/plain; charset=utf-8');
  };
}

/** Node drops the body itself for HEAD while keeping Content-Length. */
function reply(response: ServerResponse, status: number, body: string, contentType: string): void {
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  });
  response.end(body);
}
