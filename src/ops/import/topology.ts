/**
 * Cluster facts -> a topology to start from. Pure: the same facts always give the same topology, and the result
 * is validated with the topology schema, so it synthesizes without edits.
 */
import { DNS1123_SUBDOMAIN, shortHash, slug, truncateWithHash } from '../../api/labels.js';
import { uniqueSlugs } from '../../topology/naming.js';
import { TopologySchema, type TopologyInput } from '../../topology/schema.js';
import { UserError } from '../../util/errors.js';
import { apiServerEndpoints, httpsOrFirst, type ApiServerEndpoints } from './api-servers.js';
import { ETCD_CLIENT_PORT, etcdMembers, externalEtcd } from './etcd.js';
import type { ClusterFacts, KubeService } from './facts.js';
import type { HostPort } from './hosts.js';
import { parseClusterConfiguration, type KubeadmFacts } from './kubeadm.js';
import { loadBalancers } from './load-balancers.js';
import { controlPlaneVantage } from './control-plane.js';
import { importNodes, type ImportedNode } from './nodes.js';

type TargetInput = TopologyInput['targets'][number];
type SourceInput = TopologyInput['sources'][number];

const DEFAULT_SOURCE = 'network-check-source';
const MESH_SOURCE = 'node-mesh';
const P2PNC_TARGET = 'network-check-target';
const API_SERVER_TARGET = 'kubernetes-apiserver-endpoint';
const ETCD_TARGET = 'etcd';
const KUBERNETES_SERVICE_TARGET = 'kubernetes-default-service-cluster';
/** The node mesh is added from this many nodes its DaemonSet can run on. */
const MESH_MIN_NODES = 3;
const DEFAULT_API_PORT = 6443;
const CONTROL_PLANE_ROLES = ['control-plane', 'master'];
const MAX_TARGET_NAME = 63;

export interface ImportOptions {
  /** The topology's cluster name. @default OpenShift's infrastructure name, kubeadm's clusterName, or `kubernetes` */
  cluster?: string;
  /** p2pnc's namespace. */
  namespace: string;
  /** k of the node-mesh DaemonSet source; 0 for no mesh. */
  meshNeighbours: number;
  /** Add the control plane's vantage (a host-network source on the control-plane nodes). @default false */
  controlPlaneVantage?: boolean;
}

export interface ImportResult {
  topology: TopologyInput;
  /** What could not be read or was assumed, one line each. */
  notes: string[];
}

interface Context {
  nodes: ImportedNode[];
  /** `control-plane` or `master`, whichever the nodes carry (control-plane first). */
  controlPlaneRole: string | undefined;
  notes: string[];
  /** `<prefix>-<node>` for a member on a node (found by its address when not given), else `<prefix>-<host>`. */
  memberName(prefix: string, host: string, node?: ImportedNode): string;
}

export function importTopology(facts: ClusterFacts, options: ImportOptions): ImportResult {
  const notes: string[] = [];
  const nodes = importNodes(facts.nodes, notes);
  if (nodes.length === 0)
    throw new UserError('the cluster lists no node with an IP address; a topology needs at least one node');
  const kubeadm = parseClusterConfiguration(facts.kubeadmClusterConfiguration, notes);
  const slugs = uniqueSlugs(nodes.map((node) => node.name));
  const context: Context = {
    nodes,
    controlPlaneRole: CONTROL_PLANE_ROLES.find((role) => nodes.some((node) => node.roles.includes(role))),
    notes,
    // A member on a node is named after the node, so its checks are named as a node target's would be.
    memberName: (prefix, host, node = nodes.find((candidate) => candidate.allAddresses.includes(host))) =>
      truncateWithHash(`${prefix}-${node ? slugs.get(node.name) : slug(host)}`, MAX_TARGET_NAME),
  };
  const api = apiServerEndpoints(facts);
  const servicePort = httpsOrFirst(facts.kubernetesService?.spec?.ports ?? []);
  const apiPort =
    api?.port ?? (typeof servicePort?.targetPort === 'number' ? servicePort.targetPort : undefined) ?? DEFAULT_API_PORT;
  if (api === undefined) notes.push(`no endpoints of the kubernetes Service read; API server port ${apiPort} assumed`);

  const base = uniqueNames([
    ...apiServerTargets(context, api, apiPort),
    ...etcdTargets(context, facts, kubeadm),
    {
      name: KUBERNETES_SERVICE_TARGET,
      kind: 'service',
      service: { namespace: 'default', name: 'kubernetes', port: servicePort?.port ?? 443 },
    },
    ...loadBalancers({
      openshiftExternal: facts.infrastructure?.status?.apiServerURL,
      openshiftInternal: facts.infrastructure?.status?.apiServerInternalURI,
      controlPlaneEndpoint: kubeadm.controlPlaneEndpoint,
      server: facts.server,
      apiPort,
      notLoadBalancers: new Set([
        ...nodes.flatMap((node) => node.allAddresses),
        ...(api?.addresses ?? []),
        ...serviceIPs(facts.kubernetesService),
      ]),
    }).map(({ name, host, port }): TargetInput => ({ name, kind: 'endpoint', host, port })),
    { name: P2PNC_TARGET, kind: 'p2pnc-target' },
  ]);
  const vantage = options.controlPlaneVantage
    ? controlPlaneVantage(
        facts,
        nodes,
        base
          .filter((target) => target.name.startsWith(API_SERVER_TARGET) || target.name.startsWith(ETCD_TARGET))
          .map((target) => target.name),
        notes,
      )
    : undefined;
  const targets = uniqueNames([...base, ...(vantage?.targets ?? [])]).sort((a, b) => (a.name < b.name ? -1 : 1));
  // The control plane's targets are the control-plane source's alone: the other sources keep what they probed.
  const others = vantage ? base.map((target) => target.name).sort() : undefined;

  const draft: TopologyInput = {
    cluster:
      options.cluster ??
      truncateWithHash(
        slug(facts.infrastructure?.status?.infrastructureName ?? kubeadm.clusterName ?? 'kubernetes'),
        63,
      ),
    namespace: options.namespace,
    ...(kubeadm.dnsDomain && DNS1123_SUBDOMAIN.test(kubeadm.dnsDomain) ? { clusterDomain: kubeadm.dnsDomain } : {}),
    apiServer: { port: apiPort },
    nodes: nodes.map(({ name, addresses, roles, labels }) => ({
      name,
      addresses,
      ...(roles.length > 0 ? { roles } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    })),
    sources: [
      ...sources(context, options.meshNeighbours).map((source) =>
        others && source.targets === undefined ? { ...source, targets: others } : source,
      ),
      ...(vantage ? [vantage.source] : []),
    ],
    targets,
  };
  const parsed = TopologySchema.safeParse(draft);
  if (!parsed.success)
    throw new Error(
      `import produced an invalid topology: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`,
    );
  const { cluster, namespace, image, clusterDomain, interval, timeout } = parsed.data;
  // The defaults written out, in the README's key order, so the file shows what there is to edit.
  const topology: TopologyInput = {
    cluster,
    namespace,
    image,
    clusterDomain,
    interval,
    timeout,
    apiServer: draft.apiServer,
    nodes: draft.nodes,
    sources: draft.sources,
    targets,
  };
  return { topology, notes };
}

/**
 * Control-plane nodes (by role label) give one node target; API server endpoints on other machines (a managed
 * control plane, or nodes without the role label) give one endpoint target each.
 */
function apiServerTargets(context: Context, api: ApiServerEndpoints | undefined, port: number): TargetInput[] {
  const role = context.controlPlaneRole;
  const controlPlane = role ? context.nodes.filter((node) => node.roles.includes(role)) : [];
  const targets: TargetInput[] = role ? [{ name: API_SERVER_TARGET, kind: 'node', roles: [role], port }] : [];
  const elsewhere = (api?.addresses ?? []).filter(
    (address) => !controlPlane.some((node) => node.allAddresses.includes(address)),
  );
  for (const host of elsewhere)
    targets.push({ name: context.memberName(API_SERVER_TARGET, host), kind: 'endpoint', host, port });
  if (!role && elsewhere.length > 0)
    context.notes.push(
      'no node has a control-plane role label; API servers taken from the endpoints of the kubernetes Service',
    );
  if (targets.length === 0)
    context.notes.push('no control-plane nodes and no API server endpoints found; no API server endpoint target');
  return targets;
}

/**
 * kubeadm's external etcd endpoints; else the etcd pods: one node target when they run exactly on the nodes of
 * the etcd (or control-plane) role at one port, else one endpoint target per member; else, when no etcd pod is
 * visible, the control-plane nodes at 2379 (an assumption, said in a note).
 */
function etcdTargets(context: Context, facts: ClusterFacts, kubeadm: KubeadmFacts): TargetInput[] {
  const external = externalEtcd(kubeadm.externalEtcdEndpoints);
  if (external.length > 0) return external.map((member) => endpointTarget(context, ETCD_TARGET, member));
  const role = context.nodes.some((node) => node.roles.includes('etcd')) ? 'etcd' : context.controlPlaneRole;
  const roleNodes = role ? context.nodes.filter((node) => node.roles.includes(role)) : [];
  const members = etcdMembers(facts.etcdPods ?? [], context.nodes);
  if (members.length > 0) {
    const port = members[0]!.port;
    const memberNodes = new Set(members.map((member) => member.node?.name));
    const onRoleNodes =
      roleNodes.length > 0 &&
      members.every((member) => member.port === port && member.node !== undefined && roleNodes.includes(member.node)) &&
      roleNodes.every((node) => memberNodes.has(node.name));
    if (onRoleNodes) return [{ name: ETCD_TARGET, kind: 'node', roles: [role!], port }];
    return members.map((member) => endpointTarget(context, ETCD_TARGET, member));
  }
  if (role) {
    const why = facts.etcdPods === undefined ? 'etcd pods not readable' : 'no etcd pods found';
    context.notes.push(
      `${why}; assuming etcd on the ${role} nodes at port ${ETCD_CLIENT_PORT} (edit or remove the ${ETCD_TARGET} target if not)`,
    );
    return [{ name: ETCD_TARGET, kind: 'node', roles: [role], port: ETCD_CLIENT_PORT }];
  }
  context.notes.push('no etcd members visible and no control-plane nodes (a managed control plane?); no etcd target');
  return [];
}

function endpointTarget(
  context: Context,
  prefix: string,
  { host, port, node }: HostPort & { node?: ImportedNode },
): TargetInput {
  return { name: context.memberName(prefix, host, node), kind: 'endpoint', host, port };
}

/**
 * A Deployment probing every target, as OpenShift's checker does; with MESH_MIN_NODES or more nodes its
 * DaemonSet can run on, a node mesh of p2pnc's target pods (each node checked by k others: N*k checks, not N^2).
 */
function sources(context: Context, neighbours: number): SourceInput[] {
  const deployment: SourceInput = { name: DEFAULT_SOURCE, kind: 'Deployment' };
  const schedulable = context.nodes.filter((node) => node.schedulable);
  if (neighbours <= 0 || schedulable.length < MESH_MIN_NODES) return [deployment];
  const mesh = { mesh: { neighbours }, targets: [P2PNC_TARGET] };
  if (schedulable.length === context.nodes.length)
    return [deployment, { name: MESH_SOURCE, kind: 'DaemonSet', ...mesh }];
  // DaemonSet sources tolerate no taints, so the mesh must be placed by a role that marks exactly the untainted nodes.
  const roles = [...new Set(context.nodes.flatMap((node) => node.roles))].sort(
    (a, b) => Number(b === 'worker') - Number(a === 'worker') || (a < b ? -1 : 1),
  );
  const role = roles.find((candidate) => {
    const holders = context.nodes.filter((node) => node.roles.includes(candidate));
    return holders.length === schedulable.length && holders.every((node) => node.schedulable);
  });
  if (role) return [deployment, { name: MESH_SOURCE, kind: 'DaemonSet', roles: [role], ...mesh }];
  context.notes.push(
    `no role label marks exactly the ${schedulable.length} nodes without taints, so no ${MESH_SOURCE} DaemonSet source (label them, e.g. node-role.kubernetes.io/worker, and import again)`,
  );
  return [deployment];
}

/** Names stay unique even when a node's name looks like another member's address. */
function uniqueNames(targets: TargetInput[]): TargetInput[] {
  const used = new Set<string>();
  return targets.map((target) => {
    const name = used.has(target.name)
      ? truncateWithHash(`${target.name}-${shortHash(JSON.stringify(target), 6)}`, MAX_TARGET_NAME)
      : target.name;
    used.add(name);
    return { ...target, name };
  });
}

function serviceIPs(service: KubeService | undefined): string[] {
  return [...(service?.spec?.clusterIPs ?? []), ...(service?.spec?.clusterIP ? [service.spec.clusterIP] : [])];
}
