/** Where the target pod on each node is: from the EndpointSlices of the target Services, kept current by a watch. */
import type { KubeClient } from '../kube/client.js';
import { Informer } from '../kube/informer.js';
import { paths, type EndpointSlice } from '../kube/resources.js';

export class TargetPods {
  private readonly informer: Informer<EndpointSlice>;

  constructor(client: KubeClient, namespace: string, services: readonly string[], onError?: (error: unknown) => void) {
    this.informer = new Informer<EndpointSlice>(client, paths.endpointSlices(namespace), targetPodsSelector(services), {
      onUpsert() {},
      onDelete() {},
      ...(onError ? { onError } : {}),
    });
  }

  run(signal: AbortSignal): Promise<void> {
    return this.informer.run(signal);
  }

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  /** The address of a ready endpoint of `service` on `node`, else of any endpoint there. */
  addressOn(service: string, node: string): string | undefined {
    return podAddress(this.informer.cache.values(), service, node);
  }
}

/** A ready endpoint of `service` on `node`, else any endpoint there (a pod that is starting still shows where it is). */
export function podAddress(slices: Iterable<EndpointSlice>, service: string, node: string): string | undefined {
  let fallback: string | undefined;
  for (const slice of slices) {
    if (slice.metadata.labels?.['kubernetes.io/service-name'] !== service) continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.nodeName !== node || endpoint.addresses.length === 0) continue;
      if (endpoint.conditions?.ready !== false) return endpoint.addresses[0];
      fallback ??= endpoint.addresses[0];
    }
  }
  return fallback;
}

/** The label selector of the target Services' EndpointSlices. */
export function targetPodsSelector(services: readonly string[]): string {
  return `kubernetes.io/service-name in (${[...services].sort().join(',')})`;
}
