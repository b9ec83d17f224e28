/** The API load balancers a cluster knows about: OpenShift's API URLs, kubeadm's controlPlaneEndpoint, the kubeconfig's server. */
import { isLoopback, parseHostPort, type HostPort } from './hosts.js';

export interface LoadBalancer extends HostPort {
  name: string;
}

export interface LoadBalancerSources {
  /** OpenShift's infrastructure status.apiServerURL and apiServerInternalURI. */
  openshiftExternal?: string;
  openshiftInternal?: string;
  /** kubeadm's controlPlaneEndpoint (`host[:port]`). */
  controlPlaneEndpoint?: string;
  /** The server the kubeconfig points at. */
  server: string;
  /** Port of a controlPlaneEndpoint written without one (kubeadm then uses the API server's port). */
  apiPort: number;
  /** Addresses that are nodes, API server endpoints or Service IPs: reaching them is not reaching a load balancer. */
  notLoadBalancers: ReadonlySet<string>;
}

/** The `kubernetes` Service's own names, as in-cluster kubeconfigs use them. */
const IN_CLUSTER_NAME = /^kubernetes(\.default(\.svc(\..+)?)?)?$/;

/** Each distinct load balancer once, named as OpenShift names its checks where it can. */
export function loadBalancers(sources: LoadBalancerSources): LoadBalancer[] {
  const candidates: [string, string | undefined, number][] = [
    ['load-balancer-api-external', sources.openshiftExternal, 443],
    ['load-balancer-api-internal', sources.openshiftInternal, 443],
    ['load-balancer-api', sources.controlPlaneEndpoint, sources.apiPort],
    ['load-balancer-api', sources.server, 443],
  ];
  const found: LoadBalancer[] = [];
  for (const [name, text, portIfMissing] of candidates) {
    const endpoint = text === undefined ? undefined : parseHostPort(text, portIfMissing);
    if (
      !endpoint ||
      isLoopback(endpoint.host) ||
      IN_CLUSTER_NAME.test(endpoint.host) ||
      sources.notLoadBalancers.has(endpoint.host)
    )
      continue;
    if (found.some((known) => known.host === endpoint.host && known.port === endpoint.port)) continue;
    const taken = found.some((known) => known.name === name);
    found.push({ name: taken ? `${name}-kubeconfig` : name, ...endpoint });
  }
  return found;
}
