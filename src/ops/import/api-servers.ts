/** The API servers behind the `kubernetes` Service: their addresses and port, from EndpointSlices or Endpoints. */
import { isIP } from 'node:net';
import type { ClusterFacts } from './facts.js';

export interface ApiServerEndpoints {
  addresses: string[];
  port?: number;
}

export function apiServerEndpoints(
  facts: Pick<ClusterFacts, 'apiEndpointSlices' | 'apiEndpoints'>,
): ApiServerEndpoints | undefined {
  const slices = (facts.apiEndpointSlices ?? []).filter((slice) => (slice.endpoints ?? []).length > 0);
  if (slices.length > 0) {
    return {
      addresses: unique(slices.flatMap((slice) => (slice.endpoints ?? []).flatMap((endpoint) => endpoint.addresses))),
      ...portOf(slices.flatMap((slice) => slice.ports ?? [])),
    };
  }
  const subsets = (facts.apiEndpoints?.subsets ?? []).filter((subset) => (subset.addresses ?? []).length > 0);
  if (subsets.length === 0) return undefined;
  return {
    addresses: unique(subsets.flatMap((subset) => (subset.addresses ?? []).map((address) => address.ip))),
    ...portOf(subsets.flatMap((subset) => subset.ports ?? [])),
  };
}

function portOf(ports: { name?: string | undefined; port?: number | undefined }[]): { port?: number } {
  const port = httpsOrFirst(ports)?.port;
  return port === undefined ? {} : { port };
}

/** The API server's port among a Service's or Endpoints' ports: the one named https, else the first. */
export function httpsOrFirst<T extends { name?: string | undefined }>(ports: readonly T[]): T | undefined {
  return ports.find((entry) => entry.name === 'https') ?? ports[0];
}

function unique(addresses: string[]): string[] {
  return [...new Set(addresses.filter((address) => isIP(address) !== 0))].sort();
}
