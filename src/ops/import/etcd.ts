/** etcd members, from the etcd pods (kubeadm's static pods, OpenShift's openshift-etcd pods) or kubeadm's external etcd. */
import { isLoopback, parseHostPort, type HostPort } from './hosts.js';
import type { KubePod } from './facts.js';
import type { ImportedNode } from './nodes.js';

export const ETCD_CLIENT_PORT = 2379;

export interface EtcdMember extends HostPort {
  /** The node the member runs on, when it is one of the imported nodes. */
  node?: ImportedNode;
}

/**
 * One member per pod: its client port and host from `--advertise-client-urls` (falling back to
 * `--listen-client-urls`), the host replaced by its node's address when the URL names no reachable host
 * (OpenShift writes `https://${NODE_IP}:2379`; single-node clusters advertise 127.0.0.1).
 */
export function etcdMembers(pods: readonly KubePod[], nodes: readonly ImportedNode[]): EtcdMember[] {
  const members = new Map<string, EtcdMember>();
  for (const pod of pods) {
    const node = nodes.find((candidate) => candidate.name === pod.spec?.nodeName);
    const url = clientUrl(pod);
    const host = url?.host ?? node?.addresses[0] ?? pod.status?.hostIP ?? pod.status?.podIP;
    if (host === undefined) continue;
    const member: EtcdMember = { host, port: url?.port ?? ETCD_CLIENT_PORT, ...(node ? { node } : {}) };
    members.set(`${member.host}:${member.port}`, member);
  }
  return [...members.values()].sort((a, b) => (memberKey(a) < memberKey(b) ? -1 : 1));
}

export function externalEtcd(endpoints: readonly string[]): HostPort[] {
  return endpoints.flatMap((endpoint) => {
    const parsed = parseHostPort(endpoint, ETCD_CLIENT_PORT);
    return parsed ? [parsed] : [];
  });
}

function memberKey(member: EtcdMember): string {
  return `${member.node?.name ?? ''}/${member.host}:${member.port}`;
}

/** The first client URL of the etcd container; its host only when a pod on another node can reach it. */
function clientUrl(pod: KubePod): { host?: string; port: number } | undefined {
  const containers = pod.spec?.containers ?? [];
  const words = containers
    .filter((container) => container.name === 'etcd' || containers.length === 1)
    .flatMap((container) => [...(container.command ?? []), ...(container.args ?? [])])
    .join(' ');
  for (const flag of ['--advertise-client-urls', '--listen-client-urls']) {
    const url = new RegExp(`${flag}[= ]+["']?([^\\s,"']+)`).exec(words)?.[1];
    const port = url === undefined ? undefined : /:(\d+)\/?$/.exec(url)?.[1];
    if (url === undefined || port === undefined) continue;
    const host = parseHostPort(url, ETCD_CLIENT_PORT)?.host;
    const reachable = host !== undefined && !isLoopback(host) && host !== '0.0.0.0' && host !== '::';
    return { ...(reachable ? { host } : {}), port: Number(port) };
  }
  return undefined;
}
