/** `host:port` endpoints as written in checks and on the command line; IPv6 hosts are bracketed (`[fd00::1]:6443`). */
import { isIP } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
}

export class InvalidEndpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidEndpointError';
  }
}

const DNS_NAME =
  /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;
const PORT = /^[0-9]{1,5}$/;

/** Formats an endpoint the way Go's net.JoinHostPort does. */
export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True when the host needs no DNS lookup. */
export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}

export function isValidPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** A DNS name or an IP address (IPv6 without brackets). */
export function isValidHost(host: string): boolean {
  return isIP(host) !== 0 || DNS_NAME.test(host);
}

/** Parses `host:port`, `[v6]:port`; throws InvalidEndpointError with a message fit for users. */
export function parseEndpoint(text: string): Endpoint {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':')
      throw new InvalidEndpointError(`invalid endpoint "${text}": expected [ipv6]:port`);
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (isIP(host) !== 6)
      throw new InvalidEndpointError(`invalid endpoint "${text}": "${host}" is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new InvalidEndpointError(`invalid endpoint "${text}": expected host:port`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) {
      throw new InvalidEndpointError(
        `invalid endpoint "${text}": write IPv6 addresses in brackets, e.g. [${host}]:${portText || '443'}`,
      );
    }
    if (!isValidHost(host))
      throw new InvalidEndpointError(`invalid endpoint "${text}": "${host}" is neither a host name nor an IP address`);
  }
  const port = PORT.test(portText) ? Number(portText) : Number.NaN;
  if (!isValidPort(port))
    throw new InvalidEndpointError(`invalid endpoint "${text}": the port must be a number from 1 to 65535`);
  return { host, port };
}
