/** DNS step: a name becomes the IP addresses to dial. */
import { lookup } from 'node:dns/promises';
import type { ProbeDeadline } from './deadline.js';
import { StepFailure, interruptionFailure } from './failure.js';
import { isIpAddress } from './endpoint.js';

/** Resolves a host name to IP addresses, in the order to try them. */
export type Resolver = (host: string) => Promise<string[]>;

/** The system resolver (getaddrinfo: /etc/hosts, search domains, ndots), as Go's cgo resolver would use. */
export const systemResolver: Resolver = async (host) => {
  const entries = await lookup(host, { all: true });
  return entries.map((entry) => entry.address);
};

class NoSuchHost extends Error {
  readonly code = 'ENOTFOUND';
}

/** Resolves within the deadline; a late answer is ignored (getaddrinfo cannot be cancelled). */
export function resolveHost(host: string, resolver: Resolver, deadline: ProbeDeadline): Promise<string[]> {
  if (deadline.interrupted) return Promise.reject(interruptionFailure(deadline.interrupted));
  return new Promise((resolve, reject) => {
    let settled = false;
    deadline.arm((cause) => {
      settled = true;
      reject(interruptionFailure(cause));
    });
    resolver(host).then(
      (addresses) => {
        if (settled) return;
        settled = true;
        deadline.disarm();
        const invalid = addresses.find((address) => !isIpAddress(address));
        if (invalid !== undefined)
          reject(new StepFailure('error', new Error(`resolver returned "${invalid}", not an IP address`)));
        else if (addresses.length === 0) reject(new StepFailure('error', new NoSuchHost('no such host')));
        else resolve(addresses);
      },
      (error: unknown) => {
        if (settled) return;
        settled = true;
        deadline.disarm();
        reject(new StepFailure('error', error));
      },
    );
  });
}
