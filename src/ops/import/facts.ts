/** What `p2pnc import` reads from a cluster: the few fields it uses of each API object, as the API returns them. */

export interface KubeNode {
  metadata: { name: string; labels?: Record<string, string> };
  spec?: { taints?: { key: string; value?: string; effect: string }[] };
  status?: { addresses?: { type: string; address: string }[] };
}

export interface KubeServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
}

export interface KubeService {
  spec?: { clusterIP?: string; clusterIPs?: string[]; ports?: KubeServicePort[] };
}

export interface KubeEndpointSlice {
  addressType?: string;
  endpoints?: { addresses: string[]; nodeName?: string }[];
  ports?: { name?: string; port?: number }[];
}

export interface KubeEndpoints {
  subsets?: {
    addresses?: { ip: string }[];
    notReadyAddresses?: { ip: string }[];
    ports?: { name?: string; port: number }[];
  }[];
}

export interface KubePod {
  metadata: { name: string; namespace?: string };
  spec?: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers?: { name: string; command?: string[]; args?: string[] }[];
  };
  status?: { hostIP?: string; podIP?: string };
}

/** A Service an admission webhook or an APIService points at. */
export interface ServiceReference {
  namespace: string;
  name: string;
  port?: number;
}

/** A Validating- or MutatingWebhookConfiguration. */
export interface KubeWebhookConfiguration {
  metadata: { name: string };
  webhooks?: { name: string; clientConfig?: { service?: ServiceReference; url?: string } }[];
}

export interface KubeApiService {
  metadata: { name: string };
  /** No service: served by the API server itself (Local). */
  spec?: { service?: ServiceReference | null };
}

/** OpenShift's `infrastructures.config.openshift.io/cluster`. */
export interface OpenShiftInfrastructure {
  status?: { infrastructureName?: string; apiServerURL?: string; apiServerInternalURI?: string };
}

export interface ClusterFacts {
  /** The API server URL the import talked to (the kubeconfig's server). */
  server: string;
  nodes: KubeNode[];
  /** default/kubernetes; undefined when it could not be read. */
  kubernetesService?: KubeService;
  /** EndpointSlices of default/kubernetes (the API servers); undefined when they could not be read. */
  apiEndpointSlices?: KubeEndpointSlice[];
  /** The Endpoints default/kubernetes, read when there are no EndpointSlices. */
  apiEndpoints?: KubeEndpoints;
  /** Pods of the etcd members; undefined when they could not be read. */
  etcdPods?: KubePod[];
  /** The ClusterConfiguration (YAML) of kubeadm's kube-system/kubeadm-config ConfigMap. */
  kubeadmClusterConfiguration?: string;
  /** Present on OpenShift only. */
  infrastructure?: OpenShiftInfrastructure;
  /** With --control-plane-vantage: validating and mutating webhook configurations (undefined when not read). */
  webhookConfigurations?: KubeWebhookConfiguration[];
  /** With --control-plane-vantage: APIServices (undefined when not read). */
  apiServices?: KubeApiService[];
  /** With --control-plane-vantage: the konnectivity-server and konnectivity-agent pods of kube-system. */
  konnectivityPods?: KubePod[];
}
