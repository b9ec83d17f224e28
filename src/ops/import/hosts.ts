/** Host and port from the URLs and `host[:port]` strings clusters keep (kubeconfig servers, kubeadm endpoints, etcd URLs). */
import { isIP } from 'node:net';
import { isHost } from '../../topology/schema.js';

export interface HostPort {
  host: string;
  port: number;
}

/** `https://api.example.com:6443`, `api.example.com:6443`, `[fd00::1]:6443` or `10.0.0.4`; undefined when unusable. */
export function parseHostPort(text: string, portIfMissing: number): HostPort | undefined {
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  let url: URL;
  try {
    url = new URL(hasScheme ? text : `https://${text}`);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  const schemeDefault = url.protocol === 'http:' ? 80 : 443;
  const port = url.port ? Number(url.port) : hasScheme ? schemeDefault : portIfMissing;
  if (!isHost(host)) return undefined;
  return { host, port };
}

/** Addresses only the machine itself can reach: useless as a target for a pod. */
export function isLoopback(host: string): boolean {
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '::1' ||
    (isIP(host) === 4 && host.startsWith('127.'))
  );
}
