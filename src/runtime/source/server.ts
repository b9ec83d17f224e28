/** /metrics for Prometheus, /healthz (the process serves), /readyz (leading and synced, or standing by). */
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export function startSourceServer(port: number, registry: Registry, ready: () => boolean): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (error: Error) => response.writeHead(500).end(error.message),
      );
    } else if (path === '/healthz') response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    else if (path === '/readyz') {
      const ok = ready();
      response.writeHead(ok ? 200 : 503, { 'Content-Type': 'text/plain' }).end(ok ? 'ok\n' : 'not ready\n');
    } else response.writeHead(404).end();
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 10_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve(server));
  });
}
