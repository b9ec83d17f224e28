/**
 * The control plane's vantage (`p2pnc import --control-plane-vantage`): a host-network DaemonSet source on the
 * control-plane nodes, probing what the API server dials: etcd and the API servers, the kubelet of every node (logs,
 * exec, port-forward), the Services behind admission webhooks and aggregated APIs, and Konnectivity where it runs.
 * Every probe needs no credentials: a TLS handshake (or TCP connect).
 */
import { shortHash, truncateWithHash } from '../../api/labels.js';
import { CONTROL_PLANE_ROLE, type TopologyInput } from '../../topology/schema.js';
import type { ClusterFacts, KubePod, ServiceReference } from './facts.js';
import { isLoopback, parseHostPort } from './hosts.js';
import type { ImportedNode } from './nodes.js';

type TargetInput = TopologyInput['targets'][number];
type SourceInput = TopologyInput['sources'][number];

export const CONTROL_PLANE_SOURCE = 'control-plane-vantage';
export const KUBELET_TARGET = 'kubelet';
const KUBELET_PORT = 10250;
/** konnectivity-server's --agent-port and konnectivity-agent's --health-server-port defaults. */
const KONNECTIVITY_AGENT_PORT = 8132;
const KONNECTIVITY_HEALTH_PORT = 8093;
const MAX_NAME = 63;
const TLS = { kind: 'tls' as const };

export interface ControlPlaneVantage {
  source: SourceInput;
  targets: TargetInput[];
}

/**
 * The source and its own targets; `existing` names the targets the rest of the import made (etcd, API servers) that
 * the source probes too. Undefined, with a note, without nodes labelled with the control-plane role.
 */
export function controlPlaneVantage(
  facts: ClusterFacts,
  nodes: readonly ImportedNode[],
  existing: readonly string[],
  notes: string[],
): ControlPlaneVantage | undefined {
  if (!nodes.some((node) => node.roles.includes(CONTROL_PLANE_ROLE))) {
    notes.push(
      `no node is labelled node-role.kubernetes.io/${CONTROL_PLANE_ROLE} (a managed control plane?); no ${CONTROL_PLANE_SOURCE} source`,
    );
    return undefined;
  }
  const targets: TargetInput[] = [
    { name: KUBELET_TARGET, kind: 'node', port: KUBELET_PORT, probe: TLS },
    ...serviceTargets(facts, notes),
    ...konnectivityTargets(facts.konnectivityPods ?? [], nodes, notes),
  ];
  const source: SourceInput = {
    name: CONTROL_PLANE_SOURCE,
    kind: 'DaemonSet',
    hostNetwork: true,
    controlPlane: true,
    targets: [...existing, ...targets.map((target) => target.name)],
  };
  return { source, targets };
}

/** One service target per Service behind a webhook or an aggregated API (one per Service and port); URL webhooks as endpoints. */
function serviceTargets(facts: ClusterFacts, notes: string[]): TargetInput[] {
  const byService = new Map<string, TargetInput>();
  const used = new Set<string>();
  // Names from different Services can meet (webhook-a-b-c from a-b/c and a/b-c): the later gets a hash of its key.
  const unique = (name: string, key: string) => {
    const picked = used.has(name) ? truncateWithHash(`${name.slice(0, 54)}-${shortHash(key, 6)}`, MAX_NAME) : name;
    used.add(picked);
    return picked;
  };
  const add = (prefix: string, service: ServiceReference) => {
    const port = service.port ?? 443;
    const key = `${service.namespace}/${service.name}:${port}`;
    if (byService.has(key)) return;
    byService.set(key, {
      name: unique(targetName(`${prefix}-${service.namespace}-${service.name}${port === 443 ? '' : `-${port}`}`), key),
      kind: 'service',
      service: { namespace: service.namespace, name: service.name, port },
      probe: TLS,
    });
  };
  const urls = new Map<string, TargetInput>();
  for (const configuration of facts.webhookConfigurations ?? [])
    for (const webhook of configuration.webhooks ?? []) {
      const { service, url } = webhook.clientConfig ?? {};
      if (service) add('webhook', service);
      else if (url) {
        const endpoint = parseHostPort(url, 443);
        if (!endpoint || isLoopback(endpoint.host)) continue;
        const key = `${endpoint.host}:${endpoint.port}`;
        if (urls.has(key)) continue;
        urls.set(key, {
          name: unique(targetName(`webhook-${endpoint.host.replace(/[^a-z0-9]+/g, '-')}`), key),
          kind: 'endpoint',
          host: endpoint.host,
          port: endpoint.port,
          probe: TLS,
        });
      }
    }
  for (const apiService of facts.apiServices ?? [])
    if (apiService.spec?.service) add('aggregated-api', apiService.spec.service);
  if (facts.webhookConfigurations === undefined) notes.push('webhook configurations not read; no webhook targets');
  if (facts.apiServices === undefined) notes.push('APIServices not read; no aggregated API targets');
  return [...byService.values(), ...urls.values()];
}

/**
 * konnectivity-server (static pods on the control-plane nodes, host network): its agent port on those nodes.
 * konnectivity-agent: its health port on each node when it runs on the host network; in the pod network its
 * address changes with every pod, so it is left out (the agents dial the server, which the server target covers).
 */
function konnectivityTargets(pods: readonly KubePod[], nodes: readonly ImportedNode[], notes: string[]): TargetInput[] {
  const targets: TargetInput[] = [];
  const servers = pods.filter((pod) => pod.metadata.name.startsWith('konnectivity-server'));
  const agents = pods.filter((pod) => pod.metadata.name.startsWith('konnectivity-agent'));
  if (servers.length > 0) {
    const port = flagPort(servers[0]!, '--agent-port') ?? KONNECTIVITY_AGENT_PORT;
    targets.push(...onNodes('konnectivity-server', servers, nodes, port, TLS));
  }
  if (agents.length > 0) {
    if (agents.every((pod) => pod.spec?.hostNetwork)) {
      const port = flagPort(agents[0]!, '--health-server-port') ?? KONNECTIVITY_HEALTH_PORT;
      targets.push(...onNodes('konnectivity-agent', agents, nodes, port, { kind: 'http', path: '/healthz' }));
    } else notes.push('konnectivity agents run in the pod network; their health port is not a target');
  }
  return targets;
}

/** A node target when the pods run on every node of the control-plane role or on every node, else one endpoint per pod. */
function onNodes(
  name: string,
  pods: readonly KubePod[],
  nodes: readonly ImportedNode[],
  port: number,
  probe: TargetInput['probe'],
): TargetInput[] {
  const where = new Set(pods.map((pod) => pod.spec?.nodeName));
  const controlPlane = nodes.filter((node) => node.roles.includes(CONTROL_PLANE_ROLE));
  const exactly = (selected: readonly ImportedNode[]) =>
    selected.length === where.size && selected.every((node) => where.has(node.name));
  if (exactly(controlPlane)) return [{ name, kind: 'node', roles: [CONTROL_PLANE_ROLE], port, probe }];
  if (exactly(nodes)) return [{ name, kind: 'node', port, probe }];
  return pods.flatMap((pod) => {
    const host = nodes.find((node) => node.name === pod.spec?.nodeName)?.addresses[0] ?? pod.status?.hostIP;
    return host
      ? [{ name: targetName(`${name}-${pod.spec?.nodeName ?? host}`), kind: 'endpoint', host, port, probe }]
      : [];
  });
}

function flagPort(pod: KubePod, flag: string): number | undefined {
  const words = (pod.spec?.containers ?? []).flatMap((container) => [
    ...(container.command ?? []),
    ...(container.args ?? []),
  ]);
  const value = new RegExp(`^${flag}[= ](\\d+)$`);
  for (const word of words) {
    const port = Number(value.exec(word)?.[1]);
    if (port >= 1 && port <= 65535) return port;
  }
  return undefined;
}

/** A DNS-1123 label: cut with a hash when long, with a hash when the cleaned name lost characters. */
function targetName(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const name = cleaned === text ? cleaned : `${cleaned}-${shortHash(text, 6)}`;
  return truncateWithHash(name, MAX_NAME).replace(/-+$/, '');
}
