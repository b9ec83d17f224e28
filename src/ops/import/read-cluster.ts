/** Reads the facts `p2pnc import` needs. Only the nodes are required; anything else it may not read becomes a note. */
import { KubeApiError, type KubeClient } from '../../runtime/kube/client.js';
import type { ObjectList } from '../../runtime/kube/resources.js';
import { UserError } from '../../util/errors.js';
import type {
  ClusterFacts,
  KubeEndpoints,
  KubeEndpointSlice,
  KubeNode,
  KubePod,
  KubeApiService,
  KubeService,
  KubeWebhookConfiguration,
  OpenShiftInfrastructure,
} from './facts.js';

const TIMEOUT_MS = 30_000;

export interface ReadOptions {
  /** Also read what the API server dials: webhook configurations, APIServices, Konnectivity's pods. @default false */
  controlPlaneVantage?: boolean;
}

export async function readClusterFacts(
  client: KubeClient,
  server: string,
  options: ReadOptions = {},
): Promise<{ facts: ClusterFacts; notes: string[] }> {
  // Reads run in parallel; notes keep the order in which the reads were started, so output is stable.
  const notes: (string | undefined)[] = [];
  const get = <T>(path: string, query?: Record<string, string>) =>
    client.get<T>(path, { timeoutMs: TIMEOUT_MS, ...(query ? { query } : {}) });
  /** undefined when absent (404) or not allowed (noted); a failure to reach the server stays fatal. */
  const optional = async <T>(what: string, read: () => Promise<T>): Promise<T | undefined> => {
    const slot = notes.push(undefined) - 1;
    try {
      return await read();
    } catch (error) {
      if (!(error instanceof KubeApiError)) throw unreachable(server, error);
      if (error.status !== 404)
        notes[slot] = `cannot ${what}: ${error.status === 403 ? 'forbidden' : error.message.split('\n')[0]}`;
      return undefined;
    }
  };

  let nodes: KubeNode[];
  try {
    nodes = (await get<ObjectList<KubeNode>>('/api/v1/nodes')).items;
  } catch (error) {
    if (!(error instanceof KubeApiError)) throw unreachable(server, error);
    throw new UserError(
      `cannot list nodes at ${server}: ${error.message.split('\n')[0]} (import needs to list nodes; use a kubeconfig allowed to)`,
    );
  }

  const [kubernetesService, apiEndpointSlices, kubeadmConfig, openshift] = await Promise.all([
    optional('read Service default/kubernetes', () =>
      get<KubeService>('/api/v1/namespaces/default/services/kubernetes'),
    ),
    optional(
      'list EndpointSlices of default/kubernetes',
      async () =>
        (
          await get<ObjectList<KubeEndpointSlice>>('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
            labelSelector: 'kubernetes.io/service-name=kubernetes',
          })
        ).items,
    ),
    optional('read ConfigMap kube-system/kubeadm-config', () =>
      get<{ data?: Record<string, string> }>('/api/v1/namespaces/kube-system/configmaps/kubeadm-config'),
    ),
    // Discovery first: every user may read it, so a cluster without OpenShift's API gets no "forbidden" note.
    optional('discover config.openshift.io', () => get<unknown>('/apis/config.openshift.io/v1')),
  ]);
  const hasSlices = (apiEndpointSlices ?? []).some((slice) => (slice.endpoints ?? []).length > 0);
  const [apiEndpoints, infrastructure, etcdPods] = await Promise.all([
    hasSlices
      ? undefined
      : optional('read Endpoints default/kubernetes', () =>
          get<KubeEndpoints>('/api/v1/namespaces/default/endpoints/kubernetes'),
        ),
    openshift
      ? optional('read infrastructures.config.openshift.io/cluster', () =>
          get<OpenShiftInfrastructure>('/apis/config.openshift.io/v1/infrastructures/cluster'),
        )
      : undefined,
    openshift
      ? optional(
          'list etcd pods in openshift-etcd',
          async () =>
            (await get<ObjectList<KubePod>>('/api/v1/namespaces/openshift-etcd/pods', { labelSelector: 'app=etcd' }))
              .items,
        )
      : optional(
          'list etcd pods in kube-system',
          async () =>
            (await get<ObjectList<KubePod>>('/api/v1/namespaces/kube-system/pods', { labelSelector: 'component=etcd' }))
              .items,
        ),
  ]);
  const clusterConfiguration = kubeadmConfig?.data?.['ClusterConfiguration'];
  const list = <T>(what: string, path: string) => optional(what, async () => (await get<ObjectList<T>>(path)).items);
  const [validating, mutating, apiServices, kubeSystemPods] = options.controlPlaneVantage
    ? await Promise.all([
        list<KubeWebhookConfiguration>(
          'list ValidatingWebhookConfigurations',
          '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations',
        ),
        list<KubeWebhookConfiguration>(
          'list MutatingWebhookConfigurations',
          '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations',
        ),
        list<KubeApiService>('list APIServices', '/apis/apiregistration.k8s.io/v1/apiservices'),
        list<KubePod>('list pods in kube-system (Konnectivity)', '/api/v1/namespaces/kube-system/pods'),
      ])
    : [];
  const webhookConfigurations =
    validating || mutating
      ? [...(validating ?? []), ...(mutating ?? [])].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))
      : undefined;

  const facts: ClusterFacts = {
    server,
    nodes,
    ...(kubernetesService ? { kubernetesService } : {}),
    ...(apiEndpointSlices ? { apiEndpointSlices } : {}),
    ...(apiEndpoints ? { apiEndpoints } : {}),
    ...(etcdPods ? { etcdPods } : {}),
    ...(clusterConfiguration ? { kubeadmClusterConfiguration: clusterConfiguration } : {}),
    ...(infrastructure ? { infrastructure } : {}),
    ...(webhookConfigurations ? { webhookConfigurations } : {}),
    ...(apiServices ? { apiServices } : {}),
    ...(kubeSystemPods
      ? { konnectivityPods: kubeSystemPods.filter((pod) => pod.metadata.name.startsWith('konnectivity-')) }
      : {}),
  };
  return { facts, notes: notes.filter((note) => note !== undefined) };
}

function unreachable(server: string, error: unknown): UserError {
  const message = error instanceof Error ? error.message : String(error);
  return new UserError(`cannot reach the API server at ${server}: ${message} (check --kubeconfig and --context)`);
}
