/**
 * One Lease with resourceVersion conflicts, as the API server keeps it, in memory: for the elector's decisions, where
 * the API server is not the subject (the cluster suites run the elector against a real one). `failing` cuts a replica
 * off from it.
 */
import { KubeApiError, type KubeClient, type RequestOptions } from '../../../src/runtime/kube/client.js';
import type { Lease } from '../../../src/runtime/kube/resources.js';

export class LeaseApi {
  lease: Lease | undefined;
  private version = 0;
  readonly failing = new Map<string, () => Error>();

  clientFor(identity: string): KubeClient {
    const client = {
      get: async () => {
        this.reach(identity);
        if (!this.lease) throw new KubeApiError(404, 'NotFound', 'leases "x" not found');
        return structuredClone(this.lease);
      },
      request: async (method: string, _path: string, options: RequestOptions = {}) => {
        this.reach(identity);
        const body = structuredClone(options.body) as Lease;
        if (method === 'POST' ? this.lease : body.metadata.resourceVersion !== this.lease?.metadata.resourceVersion) {
          throw new KubeApiError(409, 'Conflict', 'the object has been modified');
        }
        this.lease = { ...body, metadata: { ...body.metadata, resourceVersion: String(++this.version) } };
        return structuredClone(this.lease);
      },
    };
    return client as unknown as KubeClient;
  }

  private reach(identity: string): void {
    const fail = this.failing.get(identity);
    if (fail) throw fail();
  }
}
