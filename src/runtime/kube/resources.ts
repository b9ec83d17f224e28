/** Paths and shapes of the API objects the runtime reads and writes. */
import type { CheckSpec, CheckStatus } from '../../api/check.js';
import { GROUP, PLURAL, VERSION } from '../../api/constants.js';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Server-side apply's bookkeeping: large, and never read here (the operator commands drop it on reading). */
  managedFields?: unknown[];
}

export interface CheckObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: CheckSpec;
  status?: CheckStatus;
}

export interface ObjectList<T> {
  /** `continue` is set on a page of a paginated list when more follow. */
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

export interface EndpointSlice {
  metadata: ObjectMeta;
  endpoints?: { addresses: string[]; nodeName?: string; conditions?: { ready?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}

export interface Secret {
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
}

export interface Lease {
  metadata: ObjectMeta;
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export const paths = {
  checks: (namespace: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}`,
  check: (namespace: string, name: string) => `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}`,
  checkStatus: (namespace: string, name: string) =>
    `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${PLURAL}/${name}/status`,
  endpointSlices: (namespace: string) => `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`,
  secret: (namespace: string, name: string) => `/api/v1/namespaces/${namespace}/secrets/${name}`,
  events: (namespace: string) => `/api/v1/namespaces/${namespace}/events`,
  leases: (namespace: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases`,
  lease: (namespace: string, name: string) => `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${name}`,
  namespaces: () => '/api/v1/namespaces',
};
