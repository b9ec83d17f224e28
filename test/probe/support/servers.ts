/** Real loopback servers for the probe tests; each tracks its connections so close() leaves nothing behind. */
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server as HttpServer } from 'node:http';
import { type AddressInfo, type Server, type Socket, createServer } from 'node:net';
import { once } from 'node:events';

export interface Running<T extends Server | HttpServer = Server> {
  server: T;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:0 and closes by destroying every open connection first. */
export async function listen<T extends Server | HttpServer>(server: T, host = '127.0.0.1'): Promise<Running<T>> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, host);
  await once(server, 'listening');
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts and closes at once. */
export function acceptingServer(host?: string): Promise<Running> {
  return listen(
    createServer((socket) => socket.end()),
    host,
  );
}

/** Accepts and never says a word (a TLS or HTTP server that hangs). */
export function silentServer(): Promise<Running> {
  return listen(createServer(() => {}));
}

/** Answers every connection with bytes that are not HTTP. */
export function garbageServer(): Promise<Running> {
  return listen(createServer((socket) => socket.end('this is not HTTP\r\n\r\n')));
}

/** A port nothing listens on: bound, then released. */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const running = await listen(createServer(), host);
  await running.close();
  return running.port;
}

export interface HttpRecorder extends Running<HttpServer> {
  requests: { path: string; headers: IncomingHttpHeaders }[];
}

/** Answers `/status/<code>` with that code, anything else with 200; records every request. */
export async function statusServer(): Promise<HttpRecorder> {
  const requests: HttpRecorder['requests'] = [];
  const server = createHttpServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    const match = /^\/status\/(\d{3})$/.exec(request.url ?? '');
    response.statusCode = match ? Number(match[1]) : 200;
    response.end('body that the probe does not read\n');
  });
  return Object.assign(await listen(server), { requests });
}

/** True when this machine can listen on the IPv6 loopback. */
export async function hasIpv6Loopback(): Promise<boolean> {
  try {
    const running = await listen(createServer(), '::1');
    await running.close();
    return true;
  } catch {
    return false;
  }
}

const PROBE_RESOURCES = ['TCPSocketWrap', 'TLSWrap', 'Timeout'];

function countProbeResources(): number {
  return process.getActiveResourcesInfo().filter((name) => PROBE_RESOURCES.includes(name)).length;
}

/** Waits (briefly) until no socket or timer is left; returns what is left over after that. */
export async function leftoverResources(baseline: number, waitMs = 1000): Promise<string[]> {
  const until = Date.now() + waitMs;
  while (countProbeResources() > baseline && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 10));
  return countProbeResources() > baseline
    ? process.getActiveResourcesInfo().filter((name) => PROBE_RESOURCES.includes(name))
    : [];
}

export { countProbeResources };
