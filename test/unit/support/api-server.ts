/**
 * A local HTTPS server that answers the few requests the runtime's stateful parts send as kube-apiserver answers
 * them: check lists (with resourceVersion), gets, watches and JSON merge patches of check status guarded by
 * resourceVersion (409 when it moved), and Lease get, create and update (409 on a stale resourceVersion). Tests hold
 * the watches and script failures, per client when clients carry different tokens; the KubeClient that talks to it is
 * the real one, over real TLS. For unit tests of the runtime's decisions without the cluster bed.
 */
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient } from '../../../src/runtime/kube/client.js';
import type { CheckObject, Lease } from '../../../src/runtime/kube/resources.js';
import { createTestPki, type TestPki } from '../../probe/support/certs.js';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body?: unknown;
}

/** A watch the test answers: send events, then end it (or leave it open). */
export interface HeldWatch {
  query: URLSearchParams;
  send(event: { type: string; object: unknown }): void;
  end(): void;
}

export class LocalApiServer {
  readonly requests: SeenRequest[] = [];
  readonly checks = new Map<string, CheckObject>();
  readonly leases = new Map<string, Lease>();
  /** Clients (by bearer token) cut off: their connections are reset, or answered with this HTTP status. */
  readonly cutOff = new Map<string, 'reset' | number>();
  /** Each watch as it arrives; by default it stays open until the test ends it. */
  onWatch: (watch: HeldWatch) => void = () => undefined;
  private version = 100;
  private readonly failures: { method: string; status: number; reason: string; left: number }[] = [];
  private readonly open = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    private readonly pki: TestPki,
    readonly namespace: string,
  ) {}

  static async start(namespace = 'p2pnc'): Promise<LocalApiServer> {
    const pki = createTestPki();
    const server = createServer({ key: pki.serverKey, cert: pki.serverCert });
    const api = new LocalApiServer(server, pki, namespace);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => void api.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return api;
  }

  /** A real KubeClient for this server; `token` tells its requests apart (see cutOff). */
  client(token?: string): KubeClient {
    return new KubeClient({
      server: `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`,
      ca: Buffer.from(this.pki.caCert),
      namespace: this.namespace,
      ...(token ? { token: () => token } : {}),
    });
  }

  /** Stores a check as the API server would, with a fresh resourceVersion. */
  put(check: CheckObject): CheckObject {
    const stored = structuredClone({
      ...check,
      metadata: { ...check.metadata, namespace: this.namespace, resourceVersion: String(++this.version) },
    });
    this.checks.set(check.metadata.name, stored);
    return stored;
  }

  /** The next `count` requests with this method fail with `status`. */
  fail(method: string, status: number, count = 1): void {
    this.failures.push({ method, status, reason: status === 409 ? 'Conflict' : 'InternalError', left: count });
  }

  count(method: string, pathPart = ''): number {
    return this.requests.filter((request) => request.method === method && request.path.includes(pathPart)).length;
  }

  /** The one Lease, as stored. */
  get storedLease(): Lease | undefined {
    return [...this.leases.values()][0];
  }

  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.pki.remove();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://localhost');
    let text = '';
    for await (const chunk of request) text += String(chunk);
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const method = request.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams, ...(body !== undefined && { body }) });
    const cut = this.cutOff.get(request.headers.authorization?.replace(/^Bearer /, '') ?? '');
    if (cut === 'reset') return void request.socket.destroy();
    if (cut !== undefined) return this.status(response, cut, 'ServiceUnavailable', 'cut off by the test');
    const failure = this.failures.find((candidate) => candidate.method === method && candidate.left > 0);
    if (failure) {
      failure.left -= 1;
      return this.status(response, failure.status, failure.reason, 'scripted failure');
    }
    const parts = url.pathname.split('/');
    if (parts.includes('leases'))
      return this.answerLease(method, parts[parts.indexOf('leases') + 1], body as Lease, response);
    const plural = parts.indexOf('podnetworkconnectivitychecks');
    if (plural < 0) return this.status(response, 404, 'NotFound', `${url.pathname} not found`);
    const name = parts[plural + 1];
    if (method === 'GET' && !name && url.searchParams.get('watch') === 'true') return this.watch(url, response);
    if (method === 'GET' && !name)
      return this.json(response, 200, {
        kind: 'PodNetworkConnectivityCheckList',
        metadata: { resourceVersion: String(this.version) },
        items: [...this.checks.values()],
      });
    const stored = name ? this.checks.get(name) : undefined;
    if (!stored) return this.status(response, 404, 'NotFound', `checks "${name}" not found`);
    if (method === 'GET') return this.json(response, 200, stored);
    if (method === 'PATCH' && parts[plural + 2] === 'status') {
      const patch = body as { metadata?: { resourceVersion?: string }; status: Record<string, unknown> };
      const expected = patch.metadata?.resourceVersion;
      if (expected !== undefined && expected !== stored.metadata.resourceVersion)
        return this.status(response, 409, 'Conflict', 'the object has been modified');
      const status = { ...(stored.status ?? {}), ...patch.status } as CheckObject['status'];
      return this.json(response, 200, this.put({ ...stored, status }));
    }
    return this.status(response, 405, 'MethodNotAllowed', `${method} not served here`);
  }

  private answerLease(method: string, name: string | undefined, body: Lease, response: ServerResponse): void {
    const stored = name ? this.leases.get(name) : undefined;
    if (method === 'GET')
      return stored ? this.json(response, 200, stored) : this.status(response, 404, 'NotFound', 'lease not found');
    if (method === 'POST' && this.leases.has(body.metadata.name))
      return this.status(response, 409, 'AlreadyExists', 'lease already exists');
    if (method === 'PUT' && body.metadata.resourceVersion !== stored?.metadata.resourceVersion)
      return this.status(response, 409, 'Conflict', 'the object has been modified');
    const saved = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
    this.leases.set(saved.metadata.name, saved);
    this.json(response, method === 'POST' ? 201 : 200, saved);
  }

  private watch(url: URL, response: ServerResponse): void {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.flushHeaders();
    this.open.add(response);
    response.on('close', () => this.open.delete(response));
    this.onWatch({
      query: url.searchParams,
      send: (event) => response.write(`${JSON.stringify(event)}\n`),
      end: () => response.end(),
    });
  }

  private json(response: ServerResponse, code: number, body: unknown): void {
    response.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  }

  private status(response: ServerResponse, code: number, reason: string, message: string): void {
    this.json(response, code, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason, message, code });
  }
}
