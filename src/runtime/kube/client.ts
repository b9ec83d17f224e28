/** A small Kubernetes API client over node:https: JSON requests, merge patches and watches. */
import { Agent, request as httpsRequest } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { createSecureContext, type SecureContext } from 'node:tls';
import type { KubeConfig } from './config.js';
import { ConnectProxyAgent } from './proxy-agent.js';
import { P2PNC_VERSION } from '../../api/version.js';
import { UserError } from '../../util/errors.js';

export class KubeApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  get isConflict(): boolean {
    return this.status === 409;
  }

  get isNotFound(): boolean {
    return this.status === 404;
  }

  /** 410 Gone on a watch: the resourceVersion is too old; list again. */
  get isExpired(): boolean {
    return this.status === 410;
  }
}

/** The API server could not take a request now (unreachable, overloaded, failing): worth keeping it to retry. */
export function isServerUnavailable(error: unknown): boolean {
  return !(error instanceof KubeApiError) || error.status === 429 || error.status >= 500;
}

export interface RequestOptions {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | number | boolean | undefined>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export type WatchEvent<T> =
  | { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T }
  | { type: 'ERROR'; object: { code?: number; reason?: string; message?: string } };

export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(private readonly config: KubeConfig) {
    this.base = new URL(config.server);
    const options = {
      keepAlive: true,
      maxSockets: 8,
      secureContext: tlsContext(config),
      rejectUnauthorized: !config.insecureSkipTlsVerify,
      ...(config.tlsServerName ? { servername: config.tlsServerName } : {}),
    };
    this.agent = config.proxyUrl ? new ConnectProxyAgent(config.proxyUrl, options) : new Agent(options);
  }

  get namespace(): string | undefined {
    return this.config.namespace;
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, options);
    const text = await readBody(response);
    if ((response.statusCode ?? 0) >= 400) throw apiError(response.statusCode ?? 0, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, options?: RequestOptions): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  /** JSON merge patch (RFC 7386): arrays are replaced whole. */
  mergePatch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body, contentType: 'application/merge-patch+json' });
  }

  /**
   * Streams watch events until the server closes the watch, the signal aborts, or an error event arrives
   * (thrown as KubeApiError, 410 for an expired resourceVersion).
   */
  async watch<T>(
    path: string,
    query: RequestOptions['query'],
    onEvent: (event: WatchEvent<T>) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.send('GET', path, {
      query: { ...query, watch: true, allowWatchBookmarks: true },
      ...(signal ? { signal } : {}),
    });
    if ((response.statusCode ?? 0) >= 400) throw apiError(response.statusCode ?? 0, await readBody(response));
    let buffered = '';
    response.setEncoding('utf8');
    try {
      for await (const chunk of response as AsyncIterable<string>) {
        buffered += chunk;
        let newline: number;
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          if (!line) continue;
          const event = JSON.parse(line) as WatchEvent<T>;
          if (event.type === 'ERROR')
            throw new KubeApiError(
              event.object.code ?? 500,
              event.object.reason ?? 'WatchError',
              event.object.message ?? 'watch error',
            );
          onEvent(event);
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  close(): void {
    this.agent.destroy();
  }

  private send(method: string, path: string, options: RequestOptions): Promise<IncomingMessage> {
    const url = new URL(path, this.base);
    for (const [key, value] of Object.entries(options.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const token = this.config.token?.();
    const authorization = token ? `Bearer ${token}` : this.config.authorization?.();
    return new Promise((resolve, reject) => {
      const request = httpsRequest(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            Accept: 'application/json',
            'User-Agent': `p2pnc/${P2PNC_VERSION}`,
            ...(authorization ? { Authorization: authorization } : {}),
            ...(body !== undefined
              ? { 'Content-Type': options.contentType ?? 'application/json', 'Content-Length': Buffer.byteLength(body) }
              : {}),
          },
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        },
        resolve,
      );
      request.on('timeout', () => request.destroy(new Error(`request to ${url.pathname} timed out`)));
      request.on('error', reject);
      request.end(body);
    });
  }
}

/**
 * The CA and client certificate parsed once per client: given as agent options, Node parses them again for every
 * connection, which thousands of sources reconnecting at once pay for.
 */
function tlsContext(config: KubeConfig): SecureContext {
  try {
    return createSecureContext({
      ...(config.ca ? { ca: config.ca } : {}),
      ...(config.cert ? { cert: config.cert } : {}),
      ...(config.key ? { key: config.key } : {}),
    });
  } catch (error) {
    throw new UserError(
      `the kubeconfig's certificate-authority, client-certificate or client-key could not be loaded (${(error as Error).message}); check that each is a PEM file or PEM data`,
    );
  }
}

/** A body decoded once: decoding and joining each chunk as a string costs a list of thousands of checks dearly. */
async function readBody(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function apiError(status: number, text: string): KubeApiError {
  try {
    const body = JSON.parse(text) as { reason?: string; message?: string };
    return new KubeApiError(status, body.reason ?? 'Unknown', body.message ?? text);
  } catch {
    return new KubeApiError(status, 'Unknown', text.slice(0, 200) || `HTTP ${status}`);
  }
}
