/**
 * The topology file: the one thing a user edits. One zod schema gives the TypeScript types,
 * validation with path-precise errors, and (via `p2pnc schema`) the JSON Schema for editors.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { DEFAULT_IMAGE, MESSAGE_STYLES } from '../api/constants.js';
import { MAX_CHECK_SHARDS, checkShardName, maxShardedNamespaceLength } from '../api/check-shards.js';
import { GO_DURATION_PATTERN, parseDuration } from '../api/duration.js';
import { MTU_SIZE, PROBE_KINDS, RESPONDER_KINDS, UDP_COUNT, UDP_MAX_LOSS_PERCENT } from '../api/probe-kinds.js';
import { quote } from './echo.js';
import { bySizeText, checkShards } from './cluster-size.js';
import {
  dns1035Label,
  dnsLabel as dnsLabelFormat,
  dnsSubdomain,
  DNS_NAME,
  formatProblem,
  HOST,
  HTTP_PATH,
  IMAGE,
  IP_ADDRESS,
  LABEL_KEY,
  LABEL_VALUE,
  type Format,
} from './formats.js';
import { DEFAULT_METRICS_PORT } from '../api/constants.js';

/**
 * The role of control-plane nodes: kubeadm (since 1.24) and OpenShift (since 4.11) label them
 * node-role.kubernetes.io/control-plane; the API server warns about placing pods by the older master label.
 */
export const CONTROL_PLANE_ROLE = 'control-plane';

export const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A string of one format: the same regular expression in zod and in the JSON Schema (`pattern`, `maxLength`). */
export function formatted(format: Format) {
  return z
    .string()
    .superRefine((value, ctx) => {
      const problem = formatProblem(format, value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ pattern: format.pattern, maxLength: format.maxLength, minLength: format.minLength ?? 1 });
}

const dnsLabel = (what: string) => formatted(dnsLabelFormat(what));

/** What the API server accepts as a Node's name (FQDNs and IPv4-like names included); check names derived from them are sanitized. */
const nodeName = formatted({
  ...dnsSubdomain('node name'),
  message:
    "node name must be a DNS-1123 subdomain, as `kubectl get nodes` shows it: lower-case letters, digits, '-' and '.', at most 253 characters",
});

/** Longest duration: a day (probe intervals and timeouts; alert windows get a week). */
const DAY_MS = 24 * 3600_000;

const durationUpTo = (maxMs: number, maxText: string) =>
  z
    .string()
    .superRefine((text, ctx) => {
      const ms = text.length <= 64 ? parseDuration(text) : undefined;
      if (ms === undefined)
        ctx.addIssue({ code: 'custom', message: 'must be a Go duration such as 60s, 1m30s or 500ms' });
      else if (ms < 1)
        ctx.addIssue({ code: 'custom', message: ms === 0 ? 'must be longer than 0s' : 'must be at least 1ms' });
      else if (ms > maxMs) ctx.addIssue({ code: 'custom', message: `must be at most ${maxText}` });
    })
    .meta({ pattern: `(?=.*[1-9])${GO_DURATION_PATTERN}`, maxLength: 64 });

const duration = durationUpTo(DAY_MS, '24h');
const alertDuration = durationUpTo(7 * DAY_MS, '168h (a week)');

const port = z
  .int('port must be a whole number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

const ipAddress = formatted(IP_ADDRESS);

/** A DNS name (any case) or an IP address, IPv6 without brackets. */
export function isHost(text: string): boolean {
  return formatProblem(HOST, text) === undefined;
}

export function isDnsLabel(text: string): boolean {
  return text.length <= 63 && DNS1123_LABEL.test(text);
}

const host = formatted(HOST);

/** Label maps stay small: each key and value is checked, and selectors with hundreds of terms are no topology. */
const MAX_LABELS = 64;
const labels = z.record(formatted(LABEL_KEY), formatted(LABEL_VALUE)).superRefine((map, ctx) => {
  const count = Object.keys(map).length;
  if (count > MAX_LABELS) ctx.addIssue({ code: 'custom', message: `at most ${MAX_LABELS} labels (got ${count})` });
});

export const ProbeSchema = z
  .strictObject({
    kind: z.enum(PROBE_KINDS).default('tcp').meta({
      description:
        "tcp: DNS + TCP connect; tls: also a TLS handshake; http/https: also a GET with an expected status; icmp: one echo (the port is ignored; the source gets the ping_group_range sysctl); udp: a burst of datagrams to p2pnc's target, loss and jitter; mtu: a large payload from p2pnc's target (path-MTU black holes). @default tcp",
    }),
    path: formatted(HTTP_PATH).optional().meta({ description: 'HTTP path. @default /' }),
    expectedStatus: z
      .array(z.int().min(100).max(599))
      .min(1)
      .max(100)
      .optional()
      .meta({ description: 'HTTP status codes counted as success. @default [200..399]' }),
    serverName: formatted(DNS_NAME)
      .optional()
      .meta({ description: 'TLS SNI server name. @default the target host when it is a name' }),
    insecureSkipVerify: z
      .boolean()
      .optional()
      .meta({ description: 'Skip TLS certificate verification. @default true' }),
    tlsClientCert: dnsLabel('tlsClientCert').optional().meta({
      description: 'Name of a kubernetes.io/tls Secret in the p2pnc namespace presented as client certificate',
    }),
    count: z
      .int('count must be a whole number')
      .min(UDP_COUNT.min, `count must be between ${UDP_COUNT.min} and ${UDP_COUNT.max}`)
      .max(UDP_COUNT.max, `count must be between ${UDP_COUNT.min} and ${UDP_COUNT.max}`)
      .optional()
      .meta({ description: `Datagrams each udp probe sends. @default ${UDP_COUNT.default}` }),
    maxLossPercent: z
      .int('maxLossPercent must be a whole number')
      .min(UDP_MAX_LOSS_PERCENT.min, `maxLossPercent must be between 0 and ${UDP_MAX_LOSS_PERCENT.max}`)
      .max(UDP_MAX_LOSS_PERCENT.max, `maxLossPercent must be between 0 and ${UDP_MAX_LOSS_PERCENT.max}`)
      .optional()
      .meta({
        description: `A udp probe fails when more than this percentage of its datagrams gets no echo. @default ${UDP_MAX_LOSS_PERCENT.default}`,
      }),
    size: z
      .int('size must be a whole number of bytes')
      .min(MTU_SIZE.min, `size must be between ${MTU_SIZE.min} and ${MTU_SIZE.max} bytes`)
      .max(MTU_SIZE.max, `size must be between ${MTU_SIZE.min} and ${MTU_SIZE.max} bytes`)
      .optional()
      .meta({ description: `Payload bytes each mtu probe fetches from the target. @default ${MTU_SIZE.default}` }),
  })
  .superRefine((probe, ctx) => {
    const httpOnly = ['path', 'expectedStatus'] as const;
    for (const key of httpOnly) {
      if (probe[key] !== undefined && probe.kind !== 'http' && probe.kind !== 'https')
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} applies only to http and https probes; set kind: http or remove ${key}`,
        });
    }
    const tlsOnly = ['serverName', 'insecureSkipVerify', 'tlsClientCert'] as const;
    for (const key of tlsOnly) {
      if (probe[key] !== undefined && probe.kind !== 'tls' && probe.kind !== 'https')
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} applies only to tls and https probes; set kind: tls or remove ${key}`,
        });
    }
    for (const [key, kind] of [
      ['count', 'udp'],
      ['maxLossPercent', 'udp'],
      ['size', 'mtu'],
    ] as const) {
      if (probe[key] !== undefined && probe.kind !== kind)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} applies only to ${kind} probes; set kind: ${kind} or remove ${key}`,
        });
    }
  });

/** Where the probe kinds reach something that answers: ClusterIPs drop ping, only p2pnc's target echoes UDP. */
function checkProbeKind(target: z.output<typeof TargetSchema>, path: (string | number)[], ctx: Refinement): void {
  const kind = target.probe?.kind;
  const throughService = target.kind === 'p2pnc-target' && target.viaService && target.layer === 'pod';
  if (kind === 'icmp' && (target.kind === 'service' || throughService))
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'probe', 'kind'],
      message:
        target.kind === 'service'
          ? 'icmp cannot probe a Service: ClusterIPs do not answer ping under kube-proxy; probe its backends (a node or endpoint target) instead'
          : 'icmp cannot probe the target Service (ClusterIPs do not answer ping): set viaService: false to ping only the target pods',
    });
  if (
    kind !== undefined &&
    RESPONDER_KINDS.includes(kind) &&
    target.kind !== 'p2pnc-target' &&
    target.kind !== 'endpoint'
  )
    ctx.addIssue({
      code: 'custom',
      path: [...path, 'probe', 'kind'],
      message: `${kind} probes need p2pnc's target responder (\`p2pnc target\`): use them on a p2pnc-target target, or on an endpoint target that runs it`,
    });
}

const targetCommon = {
  name: dnsLabel('target name'),
  probe: ProbeSchema.optional().meta({ description: 'How to probe. @default { kind: tcp }' }),
  interval: duration.optional().meta({ description: 'Probe interval for this target. @default the topology interval' }),
  timeout: duration.optional().meta({ description: 'Probe timeout for this target. @default the topology timeout' }),
};

const nodeSelection = {
  roles: z
    .array(dnsLabel('role'))
    .min(1)
    .optional()
    .meta({ description: 'Only nodes having one of these roles. @default every node' }),
  nodeLabels: labels.optional().meta({ description: 'Only nodes having all these labels. @default no label filter' }),
};

const backends = dnsLabel('backends').optional().meta({
  description:
    'Name of the target that probes what this one forwards to (the API server endpoints behind a load balancer, the nodes or pods behind a Service), so `p2pnc diagnose` can tell a failing front from failing backends. @default none',
});

export const EndpointTargetSchema = z.strictObject({
  ...targetCommon,
  kind: z
    .literal('endpoint')
    .meta({ description: 'A fixed host:port: a load balancer, an external or any other endpoint' }),
  host,
  port,
  backends,
});

export const NodePortTargetSchema = z.strictObject({
  ...targetCommon,
  kind: z
    .literal('node')
    .meta({ description: 'A port on every selected node (API servers, etcd, kubelet): one check per node' }),
  port,
  ...nodeSelection,
  addressFamily: z.enum(['IPv4', 'IPv6', 'both']).default('IPv4').meta({
    description:
      'Which node address to probe; both gives one check per family. Falls back to the family the node has. @default IPv4',
  }),
});

export const ServiceTargetSchema = z.strictObject({
  ...targetCommon,
  kind: z.literal('service'),
  service: z.strictObject({
    namespace: dnsLabel('service namespace'),
    name: formatted(dns1035Label('service name')),
    port,
  }),
  backends,
});

export const P2pncTargetSchema = z.strictObject({
  ...targetCommon,
  kind: z.literal('p2pnc-target').meta({
    description:
      "p2pnc's own target DaemonSet: one check per selected node (to the target pod on it) and one through its Service",
  }),
  ...nodeSelection,
  perNode: z.boolean().default(true).meta({ description: 'One check to the target pod on each node. @default true' }),
  viaService: z.boolean().default(true).meta({
    description: 'One check through the target Service (pod layer only: the host layer has none). @default true',
  }),
  layer: z.enum(['pod', 'host']).default('pod').meta({
    description:
      "pod: the target pod on each node (the pod network); host: the host-network target on each node's address at target.hostPort (the node's own network), in the host namespace. @default pod",
  }),
});

export const TargetSchema = z.discriminatedUnion('kind', [
  EndpointTargetSchema,
  NodePortTargetSchema,
  ServiceTargetSchema,
  P2pncTargetSchema,
]);

const sourceCommon = {
  name: dnsLabel('source name'),
  targets: z
    .array(dnsLabel('target name'))
    .min(1)
    .optional()
    .meta({ description: 'Names of the targets this source probes. @default every target' }),
  metricsPort: port.optional().meta({
    description:
      "Port of /metrics, /healthz and /readyz. Host-network sources share the node's ports: give each its own. @default 17698",
  }),
};

const hostNetwork = z.boolean().default(false).meta({
  description:
    "Probe from the node's own network (hostNetwork) instead of the pod network. Runs in the host namespace, whose Pod Security level is privileged (the only level admitting host networking), with everything else still restricted. @default false",
});

export const DeploymentSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('Deployment'),
  replicas: z
    .int()
    .min(1)
    .max(5)
    .default(1)
    .meta({ description: 'Replicas; one leader probes and writes, the others stand by. @default 1' }),
  node: nodeName.optional().meta({
    description:
      'Pin the source to this topology node; check names then carry the node (<source>-<node>-to-<target>). @default not pinned',
  }),
  hostNetwork,
});

export const MeshSchema = z.union([
  z.literal('full'),
  z.strictObject({
    neighbours: z
      .int()
      .min(1)
      .meta({ description: 'Each source node probes k target nodes chosen by a stable hash ring' }),
  }),
]);

export const DaemonSetSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('DaemonSet'),
  ...nodeSelection,
  mesh: MeshSchema.default('full').meta({
    description:
      'full: every source node to every target node (N^2); { neighbours: k }: each node checked by about k others (N*k). @default full',
  }),
  hostNetwork,
  controlPlane: z
    .boolean()
    .default(false)
    .meta({
      description: `Run on the control-plane nodes (role ${CONTROL_PLANE_ROLE}), tolerating their taints: with hostNetwork, what the API server sees. Replaces roles. @default false`,
    }),
});

export const SidecarSourceSchema = z.strictObject({
  ...sourceCommon,
  kind: z.literal('Sidecar').meta({
    description:
      "A source container added to a workload you run (an ingress controller, a gateway): synth writes a kustomize patch and the checks and RBAC in the workload's namespace; one replica (a Lease leader) probes",
  }),
  workload: z.strictObject({
    kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
    namespace: dnsLabel('workload namespace'),
    name: formatted(dnsSubdomain('workload name')),
    serviceAccount: formatted(dnsSubdomain('serviceAccount'))
      .default('default')
      .meta({ description: "The workload's ServiceAccount (spec.template.spec.serviceAccountName). @default default" }),
    container: dnsLabel('container').default('p2pnc-source').meta({
      description: 'Name of the source container added to the pods. @default p2pnc-source',
    }),
  }),
});

export const SourceSchema = z.discriminatedUnion('kind', [
  DeploymentSourceSchema,
  DaemonSetSourceSchema,
  SidecarSourceSchema,
]);

export const NodeSchema = z
  .strictObject({
    name: nodeName,
    addresses: z
      .array(ipAddress)
      .min(1, 'a node needs at least one address')
      .max(2, 'a node has at most two addresses: one IPv4 and one IPv6'),
    roles: z.array(dnsLabel('role')).max(32).default([]),
    labels: labels.default({}),
  })
  .superRefine((node, ctx) => {
    const [first, second] = node.addresses;
    if (first !== undefined && second !== undefined && isIP(first) === isIP(second)) {
      const family = isIP(first) === 4 ? 'IPv4' : 'IPv6';
      ctx.addIssue({
        code: 'custom',
        path: ['addresses', 1],
        message: `a node has one address per family, and addresses[0] is ${family} already: keep the one its checks should probe (an IPv4 and an IPv6 address are fine)`,
      });
    }
  });

const alertDefaults = {
  outageFor: '5m',
  noResultsFor: '10m',
  latencyThreshold: '500ms',
  latencyFor: '15m',
  lossFor: '15m',
};

export const MonitoringSchema = z.strictObject({
  serviceMonitor: z.boolean().default(false).meta({
    description:
      'A ServiceMonitor (prometheus-operator) scraping every source pod, and the headless Service it selects. @default false',
  }),
  prometheusRule: z.boolean().default(false).meta({
    description:
      'A PrometheusRule alerting on outages, sources producing no results, stale checks and high latency. @default false',
  }),
  labels: labels.default({}).meta({
    description:
      'Extra labels on the ServiceMonitor and PrometheusRule, for a Prometheus that selects them by label (kube-prometheus-stack: release: <its release>). @default none',
  }),
  scrapeInterval: duration
    .optional()
    .meta({ description: 'Scrape interval of the ServiceMonitor. @default the Prometheus scrape interval' }),
  alerts: z
    .strictObject({
      outageFor: alertDuration
        .default(alertDefaults.outageFor)
        .meta({ description: 'P2PNCConnectivityOutage fires after an outage lasts this long. @default 5m' }),
      noResultsFor: alertDuration.default(alertDefaults.noResultsFor).meta({
        description:
          'P2PNCSourceNoResults fires after a source that has checks produced no probe result for this long. @default 10m',
      }),
      latencyThreshold: alertDuration.default(alertDefaults.latencyThreshold).meta({
        description:
          'P2PNCHighLatency fires when the 95th percentile of successful probes of a source and target kind exceeds this. @default 500ms',
      }),
      latencyFor: alertDuration.default(alertDefaults.latencyFor).meta({
        description:
          'P2PNCHighLatency fires once the 95th percentile stays above latencyThreshold this long. @default 15m',
      }),
      lossFor: alertDuration.default(alertDefaults.lossFor).meta({
        description:
          'P2PNCPacketLoss fires once a source has had checks Degraded (intermittent failures) this long. @default 15m',
      }),
    })
    .default(alertDefaults)
    .meta({ description: 'Alert thresholds of the PrometheusRule' }),
});

const historyLength = (what: string) =>
  z
    .int(`${what} must be a whole number`)
    .min(1, `${what} must be between 1 and 20`)
    .max(20, `${what} must be between 1 and 20`);

const CheckStatusSettingsSchema = z.strictObject({
  entries: historyLength('checkStatus.entries')
    .optional()
    .meta({
      description: `Successes and failures each check keeps, each (OpenShift keeps 10). @default ${bySizeText((status) => status.entries)}`,
    }),
  outages: historyLength('checkStatus.outages')
    .optional()
    .meta({ description: `Outages each check keeps. @default ${bySizeText((status) => status.outages)}` }),
  refreshInterval: duration.optional().meta({
    description: `A healthy check (no transition) has its status written at most this often; transitions are written at once. @default ${bySizeText((status) => status.refreshInterval)}`,
  }),
  messages: z
    .enum(MESSAGE_STYLES, { error: `checkStatus.messages must be one of: ${MESSAGE_STYLES.join(', ')}` })
    .optional()
    .meta({
      description: `full: OpenShift's messages, each starting with the target's label; compact: without the label, which repeats the check's name in every entry. @default ${bySizeText((status) => status.messages)}`,
    }),
});

const TopologyObject = z.strictObject({
  cluster: dnsLabel('cluster').meta({ description: 'Cluster name, used in labels and the Argo CD Application' }),
  namespace: dnsLabel('namespace').default('p2pnc').meta({ description: 'Namespace for p2pnc. @default p2pnc' }),
  image: formatted(IMAGE).default(DEFAULT_IMAGE).meta({ description: 'The p2pnc runtime image' }),
  clusterDomain: formatted(dnsSubdomain('clusterDomain'))
    .default('cluster.local')
    .meta({ description: '@default cluster.local' }),
  interval: duration.default('60s').meta({ description: 'Default probe interval. @default 60s' }),
  timeout: duration.default('10s').meta({ description: 'Default probe timeout. @default 10s' }),
  target: z
    .strictObject({
      name: formatted(dns1035Label('target.name')).default('network-check-target'),
      port: port.default(8080),
      servicePort: port.default(80),
      hostPort: port.optional().meta({
        description:
          "Port the host-network target listens on, on every node's own addresses (only with a target of layer: host). @default 17699",
      }),
    })
    .default({ name: 'network-check-target', port: 8080, servicePort: 80 })
    .meta({ description: "p2pnc's target DaemonSet and Service" }),
  hostNamespace: dnsLabel('hostNamespace').optional().meta({
    description:
      'Namespace of the host-network sources and target (Pod Security privileged, narrowed by an admission policy). @default <namespace>-host',
  }),
  apiServer: z
    .strictObject({ port: port.default(6443) })
    .default({ port: 6443 })
    .meta({ description: 'Port of the API server the source talks to (egress NetworkPolicy). @default 6443' }),
  checkShards: z
    .int('checkShards must be a whole number')
    .min(1, `checkShards must be between 1 and ${MAX_CHECK_SHARDS}`)
    .max(MAX_CHECK_SHARDS, `checkShards must be between 1 and ${MAX_CHECK_SHARDS}`)
    .optional()
    .meta({
      description:
        "Namespaces <namespace>-checks-<n> the per-node sources' checks are spread over, so each source's list scans one share (the API server has no index for a custom resource's labels). @default 1 up to 1,000 nodes, one per 100 nodes beyond",
    }),
  checkStatus: CheckStatusSettingsSchema.optional().meta({
    description:
      "What each check's status keeps and how often a healthy one is written: smaller and rarer on large clusters (see the README's sizing)",
  }),
  monitoring: MonitoringSchema.default({
    serviceMonitor: false,
    prometheusRule: false,
    labels: {},
    alerts: alertDefaults,
  }).meta({
    description: 'Prometheus monitoring objects (need prometheus-operator CRDs), all off by default',
  }),
  nodes: z.array(NodeSchema).min(1, 'list at least one node'),
  sources: z.array(SourceSchema).min(1, 'list at least one source'),
  targets: z.array(TargetSchema).min(1, 'list at least one target'),
});

export const TopologySchema = TopologyObject.superRefine(checkReferences);

export type Topology = z.output<typeof TopologySchema>;
export type TopologyInput = z.input<typeof TopologySchema>;
export type TopologyNode = z.output<typeof NodeSchema>;
export type Source = z.output<typeof SourceSchema>;
/** A source p2pnc runs as its own workload (not a sidecar in someone else's). */
export type PodSource = Exclude<Source, { kind: 'Sidecar' }>;
export type SidecarSource = Extract<Source, { kind: 'Sidecar' }>;
export type Target = z.output<typeof TargetSchema>;
export type Probe = z.output<typeof ProbeSchema>;
export type Monitoring = z.output<typeof MonitoringSchema>;

type Refinement = z.core.$RefinementCtx<z.output<typeof TopologyObject>>;

function checkReferences(topology: z.output<typeof TopologyObject>, ctx: Refinement): void {
  reportDuplicates(topology.nodes, 'nodes', ctx);
  reportDuplicates(topology.sources, 'sources', ctx);
  reportDuplicates(topology.targets, 'targets', ctx);
  const nodeNames = topology.nodes.map((node) => node.name);
  const targetNames = topology.targets.map((target) => target.name);
  const nodeSet = new Set(nodeNames);
  const targetSet = new Set(targetNames);
  const roles = new Set(topology.nodes.flatMap((node) => node.roles));
  topology.sources.forEach((source, i) => {
    source.targets?.forEach((name, j) => {
      if (!targetSet.has(name))
        ctx.addIssue(unknownReference(['sources', i, 'targets', j], 'target', name, targetNames));
    });
    if (source.kind === 'Deployment' && source.node !== undefined && !nodeSet.has(source.node))
      ctx.addIssue(unknownReference(['sources', i, 'node'], 'node', source.node, nodeNames));
    if (source.kind === 'DaemonSet') checkRoles(source.roles, ['sources', i, 'roles'], roles, ctx);
  });
  checkVantages(topology, ctx);
  const shards = checkShards(topology);
  if (shards > 1 && topology.namespace.length > maxShardedNamespaceLength(shards))
    ctx.addIssue({
      code: 'custom',
      path: ['namespace'],
      message: `with ${shards} check shards the namespace can have at most ${maxShardedNamespaceLength(shards)} characters (its last shard is ${quote(checkShardName(topology.namespace, shards - 1))}, over 63); choose a shorter namespace or set checkShards`,
    });
  topology.targets.forEach((target, i) => {
    checkProbeKind(target, ['targets', i], ctx);
    if (target.kind === 'node' || target.kind === 'p2pnc-target')
      checkRoles(target.roles, ['targets', i, 'roles'], roles, ctx);
    if ((target.kind === 'endpoint' || target.kind === 'service') && target.backends !== undefined) {
      if (target.backends === target.name)
        ctx.addIssue({
          code: 'custom',
          path: ['targets', i, 'backends'],
          message: `a target cannot be its own backends; name the target that probes what ${quote(target.name)} forwards to`,
        });
      else if (!targetSet.has(target.backends))
        ctx.addIssue(
          unknownReference(
            ['targets', i, 'backends'],
            'target',
            target.backends,
            targetNames.filter((name) => name !== target.name),
          ),
        );
    }
  });
}

/** The default metrics port of a source (src/constructs/source-workload.ts serves it). */
export { DEFAULT_METRICS_PORT };
/** The default port of the host-network target. */
export const DEFAULT_HOST_TARGET_PORT = 17699;

/** The namespace of host-network workloads. */
export function hostNamespaceOf(topology: Pick<Topology, 'namespace' | 'hostNamespace'>): string {
  return topology.hostNamespace ?? `${topology.namespace}-host`;
}

export function usesHostNetwork(topology: Pick<Topology, 'sources' | 'targets'>): boolean {
  return (
    topology.sources.some((source) => source.kind !== 'Sidecar' && source.hostNetwork) ||
    topology.targets.some((target) => target.kind === 'p2pnc-target' && target.layer === 'host')
  );
}

/** Host-network sources and the host target share each node's ports; control-plane placement needs control-plane nodes. */
function checkVantages(topology: z.output<typeof TopologyObject>, ctx: Refinement): void {
  const hostPort = topology.target.hostPort ?? DEFAULT_HOST_TARGET_PORT;
  const hostTarget = topology.targets.some((target) => target.kind === 'p2pnc-target' && target.layer === 'host');
  const everyNode = topology.nodes.map((node) => node.name);
  // The host target runs on every node; a source shares a node's ports only with those placed on that node too.
  const portOwners = new Map<number, { owner: string; nodes: readonly string[] }[]>(
    hostTarget ? [[hostPort, [{ owner: 'the host-network target (target.hostPort)', nodes: everyNode }]]] : [],
  );
  topology.sources.forEach((source, i) => {
    if (source.kind === 'DaemonSet' && source.controlPlane) {
      if (source.roles !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'roles'],
          message: `controlPlane places the source on nodes with role ${CONTROL_PLANE_ROLE}; remove roles (nodeLabels narrow it further)`,
        });
      else if (!topology.nodes.some((node) => node.roles.includes(CONTROL_PLANE_ROLE)))
        ctx.addIssue({
          code: 'custom',
          path: ['sources', i, 'controlPlane'],
          message: `no node has role ${CONTROL_PLANE_ROLE}; add it to the control-plane nodes' roles (their node-role.kubernetes.io/${CONTROL_PLANE_ROLE} label places the source)`,
        });
    }
    if (source.kind === 'Sidecar' || !source.hostNetwork) return;
    const metricsPort = source.metricsPort ?? DEFAULT_METRICS_PORT;
    const nodes = placedOn(topology, source);
    const owners = portOwners.get(metricsPort) ?? [];
    const clash = owners.find((other) => other.nodes.some((node) => nodes.includes(node)));
    if (clash !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['sources', i, source.metricsPort === undefined ? 'hostNetwork' : 'metricsPort'],
        message: `host-network sources share the node's ports, and ${clash.owner} uses port ${metricsPort} already on a node this source runs on; set metricsPort to a free port (for example ${metricsPort + 2 + i})`,
      });
    else portOwners.set(metricsPort, [...owners, { owner: `sources[${i}] (${source.name})`, nodes }]);
  });
  if (usesHostNetwork(topology)) {
    const name = hostNamespaceOf(topology);
    if (name === topology.namespace)
      ctx.addIssue({
        code: 'custom',
        path: ['hostNamespace'],
        message: `the host namespace must differ from namespace ${quote(topology.namespace)}, which stays Pod Security restricted`,
      });
    else if (topology.hostNamespace === undefined && name.length > 63)
      ctx.addIssue({
        code: 'custom',
        path: ['namespace'],
        message: `host-network workloads run in <namespace>-host, which would be longer than 63 characters; shorten namespace or set hostNamespace`,
      });
  }
}

/** The nodes a source's pods may run on: a Deployment anywhere unless pinned, a DaemonSet on its selected nodes. */
function placedOn(topology: z.output<typeof TopologyObject>, source: PodSource): string[] {
  if (source.kind === 'Deployment') return source.node ? [source.node] : topology.nodes.map((node) => node.name);
  const roles = source.controlPlane ? [CONTROL_PLANE_ROLE] : source.roles;
  return topology.nodes
    .filter(
      (node) =>
        (roles === undefined || roles.some((role) => node.roles.includes(role))) &&
        Object.entries(source.nodeLabels ?? {}).every(([key, value]) => node.labels[key] === value),
    )
    .map((node) => node.name);
}

function checkRoles(
  wanted: string[] | undefined,
  path: (string | number)[],
  known: Set<string>,
  ctx: Refinement,
): void {
  wanted?.forEach((role, j) => {
    if (!known.has(role))
      ctx.addIssue(unknownReference([...path, j], 'role', role, [...known].slice(0, 8), known.size));
  });
}

function reportDuplicates(items: { name: string }[], list: string, ctx: Refinement): void {
  const firstIndex = new Map<string, number>();
  items.forEach((item, i) => {
    const first = firstIndex.get(item.name);
    if (first === undefined) firstIndex.set(item.name, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [list, i, 'name'],
        message: `duplicate name ${quote(item.name)}: ${list}[${first}] has it already; names must be unique`,
      });
  });
}

function unknownReference(
  path: (string | number)[],
  what: string,
  name: string,
  known: readonly string[],
  total = known.length,
) {
  const shown = known.slice(0, 8).map((name) => quote(name, 40).slice(1, -1));
  const listed =
    total === 0 ? `no ${what} is defined` : `defined: ${shown.join(', ')}${total > 8 ? `, ... (${total} in all)` : ''}`;
  return { code: 'custom' as const, path, message: `unknown ${what} ${quote(name)} (${listed})` };
}
