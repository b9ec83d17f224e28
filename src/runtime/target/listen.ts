/** Listening on the first address that works: dual-stack `::` first, IPv4 when this host has no IPv6. */
import { once } from 'node:events';
import type { AddressInfo, ListenOptions, Server } from 'node:net';

/** Errors binding `::` gives when IPv6 is disabled or missing from the kernel. */
const NO_IPV6 = new Set(['EAFNOSUPPORT', 'EADDRNOTAVAIL', 'EPROTONOSUPPORT']);

export function listenCandidates(host: string, port: number): ListenOptions[] {
  if (host === '::')
    return [
      { host: '::', port, ipv6Only: false },
      { host: '0.0.0.0', port },
    ];
  return [{ host, port }];
}

export interface Bound {
  host: string;
  port: number;
  /** True when bound to `::` without ipv6Only, so IPv4 clients are answered too. */
  dualStack: boolean;
}

/** Tries each candidate in order; falls through only on "no such address family/address" errors. */
export async function listenFirst(server: Server, candidates: readonly ListenOptions[]): Promise<Bound> {
  let lastError: unknown;
  for (const [index, candidate] of candidates.entries()) {
    try {
      server.listen(candidate);
      // once() rejects when 'error' comes first, as a failed bind does.
      await once(server, 'listening');
      const address = server.address() as AddressInfo;
      return {
        host: address.address,
        port: address.port,
        dualStack: candidate.host === '::' && candidate.ipv6Only !== true,
      };
    } catch (error) {
      lastError = error;
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (!NO_IPV6.has(code) || index === candidates.length - 1) throw error;
    }
  }
  throw lastError;
}
