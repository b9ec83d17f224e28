/**
 * An https.Agent that reaches the API server through an HTTP proxy with CONNECT (kubeconfig `proxy-url`), then speaks
 * TLS to the API server inside the tunnel: the proxy sees the host name and port, never the traffic. Credentials in the
 * URL (http://user:password@proxy:3128) go as Proxy-Authorization.
 */
import { request as httpRequest, type ClientRequestArgs } from 'node:http';
import { Agent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { UserError } from '../../util/errors.js';

export class ConnectProxyAgent extends Agent {
  private readonly proxy: URL;

  constructor(proxyUrl: string, options: AgentOptions) {
    super(options);
    let proxy: URL;
    try {
      proxy = new URL(proxyUrl);
    } catch {
      throw new UserError(`kubeconfig proxy-url "${proxyUrl}" is not a URL; use http://host:port`);
    }
    if (proxy.protocol !== 'http:')
      throw new UserError(
        `kubeconfig proxy-url "${proxyUrl}": p2pnc tunnels through http:// proxies only (not ${proxy.protocol.replace(':', '')})`,
      );
    this.proxy = proxy;
  }

  // Node's Agent accepts the socket through the callback when createConnection returns nothing.
  override createConnection(
    options: ClientRequestArgs,
    callback?: (error: Error | null, socket: Duplex) => void,
  ): Duplex | undefined {
    const done = (error: Error | null, socket?: Duplex) => callback?.(error, socket as Duplex);
    const host = options.host ?? 'localhost';
    const target = `${host.includes(':') ? `[${host}]` : host}:${options.port ?? 443}`;
    const { username, password } = this.proxy;
    const connect = httpRequest({
      host: this.proxy.hostname.replace(/^\[|\]$/g, ''),
      port: this.proxy.port || 80,
      method: 'CONNECT',
      path: target,
      agent: false,
      headers: {
        Host: target,
        ...(username
          ? {
              'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}`,
            }
          : {}),
      },
    });
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        done(
          new UserError(
            `proxy ${this.proxy.host} (kubeconfig proxy-url) refused CONNECT ${target}: HTTP ${response.statusCode}`,
          ),
        );
        return;
      }
      done(null, tlsConnect({ ...(options as ConnectionOptions), socket }));
    });
    connect.once('response', (response) => {
      response.resume();
      done(
        new UserError(
          `proxy ${this.proxy.host} (kubeconfig proxy-url) refused CONNECT ${target}: HTTP ${response.statusCode}`,
        ),
      );
    });
    connect.once('error', (error) =>
      done(new UserError(`cannot reach proxy ${this.proxy.host} (kubeconfig proxy-url): ${error.message}`)),
    );
    connect.end();
    return undefined;
  }
}
