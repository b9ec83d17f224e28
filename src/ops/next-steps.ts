/**
 * The commands to run next for each kind of finding, following the layers of the OKD SDN debugging guide:
 * name resolution, then the node (ping, tracepath, routes), then the listener, then service proxying (NAT rules).
 * Commands that must run on a particular machine say so in a trailing shell comment.
 */
import { describeSource, type CheckRow, type SourceRef } from './matrix.js';

export function sourceSteps(namespace: string, source: SourceRef): string[] {
  const onNode = source.node ? ` --field-selector spec.nodeName=${source.node}` : '';
  return [
    `kubectl -n ${namespace} get pods -l p2pnc.io/source=${source.name} -o wide${onNode}`,
    `kubectl -n ${namespace} logs -l p2pnc.io/source=${source.name} --tail=50 --prefix`,
    `kubectl -n ${namespace} get events --field-selector involvedObject.kind=Pod --sort-by=.lastTimestamp`,
  ];
}

export function sourceNetworkSteps(namespace: string, source: SourceRef, sample: CheckRow | undefined): string[] {
  return [
    ...sourceSteps(namespace, source).slice(0, 2),
    `kubectl -n ${namespace} get networkpolicy`,
    ...(source.node
      ? [`kubectl get node ${source.node} -o wide`, `ip route; sysctl net.ipv4.ip_forward   # on ${source.node}`]
      : []),
    ...(sample ? [`p2pnc check tcp-endpoint ${probeEndpoint(sample)}   # from ${describeSource(source)}`] : []),
  ];
}

export function invalidCheckSteps(
  namespace: string,
  check: string,
  targetPod?: { service: string; node: string },
): string[] {
  const steps = [`kubectl -n ${namespace} get pncc ${check} -o yaml`];
  if (targetPod) {
    steps.push(
      `kubectl -n ${namespace} get pods -l app.kubernetes.io/instance=${targetPod.service},app.kubernetes.io/component=target -o wide --field-selector spec.nodeName=${targetPod.node}`,
      `kubectl -n ${namespace} describe daemonset ${targetPod.service}`,
      `kubectl describe node ${targetPod.node}`,
    );
  }
  return steps;
}

export function targetDaemonSetSteps(namespace: string, service: string): string[] {
  return [
    `kubectl -n ${namespace} get daemonset ${service} -o wide`,
    `kubectl -n ${namespace} get pods -l app.kubernetes.io/instance=${service},app.kubernetes.io/component=target -o wide`,
    `kubectl -n ${namespace} get events --field-selector involvedObject.kind=DaemonSet,involvedObject.name=${service}`,
    `kubectl -n ${namespace} get endpointslices -l kubernetes.io/service-name=${service} -o wide`,
  ];
}

export function clusterDomainSteps(namespace: string, source: SourceRef, name: string): string[] {
  const pods = `kubectl -n ${namespace} get pods -l p2pnc.io/source=${source.name}${source.node ? ` --field-selector spec.nodeName=${source.node}` : ''}`;
  return [
    `${pods} -o jsonpath='{range .items[*]}{.metadata.name} dnsPolicy={.spec.dnsPolicy} hostNetwork={.spec.hostNetwork}{"\\n"}{end}'`,
    ...(source.node
      ? [`kubectl get --raw /api/v1/nodes/${source.node}/proxy/configz | grep -o '"clusterDomain":"[^"]*"'`]
      : []),
    `dig +search ${name}   # from a pod on ${source.node ?? `the node of ${source.name}`}`,
  ];
}

export function resolverSteps(namespace: string, sources: readonly SourceRef[], names: readonly string[]): string[] {
  const name = names[0] ?? 'kubernetes.default.svc.cluster.local';
  return [
    `kubectl get pods -A -l 'k8s-app in (kube-dns,coredns)' -o wide; kubectl get pods -n openshift-dns -o wide`,
    `kubectl get endpointslices -A -l 'kubernetes.io/service-name in (kube-dns,dns-default)'`,
    `kubectl -n ${namespace} get networkpolicy   # sources need egress to DNS on port 53`,
    ...sources
      .slice(0, 2)
      .map((source) => `dig +search ${name}   # from a pod on ${source.node ?? `the node of ${source.name}`}`),
  ];
}

export function missingNameSteps(name: string): string[] {
  const service = serviceOfName(name);
  return [`dig +short ${name}`, ...(service ? [`kubectl -n ${service.namespace} get service ${service.name}`] : [])];
}

export function nodeSteps(
  namespace: string,
  node: string,
  address: string | undefined,
  fromNodes: readonly string[],
  targetPodRows: boolean,
): string[] {
  const from = fromNodes.length > 0 ? `   # from ${fromNodes[0]}` : '';
  return [
    `kubectl get node ${node} -o wide`,
    `kubectl describe node ${node}`,
    ...(address
      ? [`ping -c 3 ${address}${from}`, `tracepath ${address}${from}`, `ip route get ${address}${from}`]
      : []),
    ...(targetPodRows
      ? [
          `kubectl -n ${namespace} get pods -l app.kubernetes.io/component=target -o wide --field-selector spec.nodeName=${node}`,
        ]
      : []),
    `p2pnc status -n ${namespace} --node ${node} --probe`,
  ];
}

export function targetOnNodeSteps(namespace: string, row: CheckRow): string[] {
  const node = row.target.node!;
  const port = portOf(row);
  return [
    `p2pnc check tcp-endpoint ${probeEndpoint(row)}`,
    ...(port
      ? [
          `ss -ltnp 'sport = :${port}'   # on ${node}: is anything listening?`,
          `iptables-save | grep -w ${port}   # on ${node}: is the port filtered?`,
        ]
      : []),
    ...(row.target.kind === 'p2pnc-target'
      ? [
          `kubectl -n ${namespace} get pods -l app.kubernetes.io/component=target -o wide --field-selector spec.nodeName=${node}`,
        ]
      : []),
    `kubectl get pods -A -o wide --field-selector spec.nodeName=${node}`,
  ];
}

export function targetEverywhereSteps(namespace: string, row: CheckRow): string[] {
  const port = portOf(row);
  return [
    `p2pnc status -n ${namespace} --target ${row.target.name} --probe`,
    `kubectl get networkpolicy -A`,
    ...(port ? [`iptables-save | grep -w ${port}   # on a node of ${row.target.name}`] : []),
    ...(row.target.kind === 'p2pnc-target' ? [`kubectl -n ${namespace} get daemonset ${row.target.name} -o wide`] : []),
  ];
}

export function pathSteps(namespace: string, source: SourceRef, node: string, address: string | undefined): string[] {
  const from = source.node ? `   # from ${source.node}` : '';
  return [
    ...(address
      ? [`ping -c 3 ${address}${from}`, `tracepath ${address}${from}`, `ip route get ${address}${from}`]
      : []),
    `kubectl get node ${node} -o wide`,
    `p2pnc status -n ${namespace} --node ${node}`,
  ];
}

export function loadBalancerSteps(namespace: string, row: CheckRow, backends: string): string[] {
  const host = row.dnsName ?? row.address;
  return [
    ...(row.dnsName ? [`dig +short ${row.dnsName}`] : []),
    `p2pnc check tcp-endpoint ${row.endpoint}`,
    ...(host ? [`tracepath ${host}`] : []),
    `p2pnc status -n ${namespace} --target ${backends}   # the backends answer: check the load balancer's listeners, health checks and target registration`,
  ];
}

export function serviceSteps(rows: readonly CheckRow[], sourceNodes: readonly string[]): string[] {
  const services = [
    ...new Map(
      rows
        .map((row) => serviceOfName(row.dnsName ?? ''))
        .filter((service) => service !== undefined)
        .map((service) => [`${service.namespace}/${service.name}`, service]),
    ).values(),
  ];
  const grep =
    services.length > 0
      ? `grep -E '${services.map((service) => `${service.namespace}/${service.name}`).join('|')}'`
      : 'grep KUBE-SVC';
  return [
    ...services
      .slice(0, 3)
      .flatMap((service) => [
        `kubectl -n ${service.namespace} get service ${service.name} -o wide`,
        `kubectl -n ${service.namespace} get endpointslices -l kubernetes.io/service-name=${service.name}`,
      ]),
    ...sourceNodes
      .slice(0, 2)
      .flatMap((node) => [
        `kubectl get pods -A -o wide --field-selector spec.nodeName=${node}   # kube-proxy or the CNI's pod on it`,
        `iptables-save -t nat | ${grep}   # on ${node}`,
      ]),
  ];
}

export function checkSteps(namespace: string, row: CheckRow): string[] {
  const host = row.dnsName ?? row.address;
  const steps = [`kubectl -n ${namespace} get pncc ${row.check} -o yaml`, recheck(row, host)];
  if (row.lastFailure?.kind === 'timeout' || row.lastFailure?.kind === 'no-route') {
    if (host) steps.push(`tracepath ${host}${row.source.node ? `   # from ${row.source.node}` : ''}`);
  }
  if (row.lastFailure?.kind === 'mtu' && host)
    steps.push(
      `ping -M do -s 1472 -c 3 ${host}   # from ${row.source.node ?? 'the source'}: full-size frames without fragmenting; lower -s until it passes to find the path MTU`,
      'ip link show   # on both nodes: compare the pod interface MTU with the node NIC MTU minus the overlay header',
    );
  if (row.lastFailure?.kind === 'tls')
    steps.push(
      `openssl s_client -connect ${row.endpoint} </dev/null   # a TLS timeout with small packets passing can be an MTU mismatch`,
    );
  return steps;
}

/** The `p2pnc check` command that probes the same way now. */
function recheck(row: CheckRow, host: string | undefined): string {
  if (row.probe === 'icmp') return `p2pnc check icmp ${host ?? probeEndpoint(row).replace(/:\d+$/, '')}`;
  if (row.probe === 'udp') return `p2pnc check udp ${probeEndpoint(row)}`;
  if (row.probe === 'mtu') return `p2pnc check tcp-endpoint ${probeEndpoint(row)} --mtu 65536`;
  return `p2pnc check tcp-endpoint ${probeEndpoint(row)}${probeFlags(row)}`;
}

/** `p2pnc check` flags reproducing the check's probe kind. */
function probeFlags(row: CheckRow): string {
  if (row.probe === 'tls') return ' --tls';
  if (row.probe === 'http') return ` --http ${row.probePath ?? '/'}`;
  if (row.probe === 'https') return ` --https ${row.probePath ?? '/'}`;
  return '';
}

function probeEndpoint(row: CheckRow): string {
  return row.endpoint.includes(' pod on ') ? `<pod-ip>:${portOf(row) ?? ''}` : row.endpoint;
}

export function portOf(row: CheckRow): string | undefined {
  return /:(\d+)$/.exec(row.endpoint)?.[1];
}

/** `api.openshift-apiserver.svc.cluster.local` -> openshift-apiserver/api. */
export function serviceOfName(name: string): { namespace: string; name: string } | undefined {
  const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.|$)/.exec(name);
  return match ? { name: match[1]!, namespace: match[2]! } : undefined;
}
