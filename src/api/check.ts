/**
 * The PodNetworkConnectivityCheck object: spec and status as zod schemas. The status mirrors OpenShift's
 * controlplane.operator.openshift.io/v1alpha1 shape field for field, so tools and people that read
 * OpenShift's checks read p2pnc's. The spec keeps OpenShift's fields and adds p2pnc's own. Synth, `p2pnc schema` and
 * the CRD use these schemas; the runtime loads no zod and takes the types from check-types.ts, the names and defaults
 * from constants.ts.
 */
import { z } from 'zod';
import { GO_DURATION_PATTERN } from './duration.js';
import { MESSAGE_STYLES } from './constants.js';
import { MTU_SIZE, PROBE_KINDS, UDP_COUNT, UDP_MAX_LOSS_PERCENT } from './probe-kinds.js';
import { DNS1123_SUBDOMAIN } from './labels.js';
import type * as types from './check-types.js';

export {
  API_VERSION,
  DEFAULT_REFRESH_INTERVAL,
  DEFAULT_STATUS_HISTORY,
  GROUP,
  KIND,
  PLURAL,
  SHORT_NAME,
  VERSION,
} from './constants.js';

const dateTime = (description: string) => z.string().nullable().meta({ format: 'date-time', description });

export const LogEntrySchema = z
  .object({
    time: dateTime('Start time of the probe (RFC 3339)'),
    success: z.boolean().meta({ description: 'Whether the probe succeeded' }),
    reason: z
      .string()
      .optional()
      .meta({ description: 'Machine-readable reason: TCPConnect, TCPConnectError, DNSError, ...' }),
    message: z.string().optional().meta({ description: 'Human-readable result' }),
    latency: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'Probe duration as a Go duration string, e.g. 2.241775ms' }),
  })
  .meta({ description: 'One probe result' });

export const OutageSchema = z.object({
  start: dateTime('Time of the first failed probe of the outage'),
  end: dateTime('Time of the first successful probe after the outage').optional(),
  message: z
    .string()
    .optional()
    .meta({ description: 'Connectivity outage detected at ... / Connectivity restored after ...' }),
  startLogs: z
    .array(LogEntrySchema)
    .optional()
    .meta({ description: 'The first failure and each change of failure mode (at most 5)' }),
  endLogs: z
    .array(LogEntrySchema)
    .optional()
    .meta({ description: 'The probes around the end of the outage (at most 5)' }),
});

export const ConditionSchema = z.object({
  type: z.string().meta({ description: 'Reachable, or Stale when no source has probed the check for long' }),
  status: z.string().meta({ description: 'True, False or Unknown' }),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: dateTime('Last time the status changed'),
});

export const CheckStatusSchema = z.object({
  conditions: z.array(ConditionSchema).optional(),
  successes: z.array(LogEntrySchema).optional().meta({ description: 'Newest successful probes first (at most 20)' }),
  failures: z.array(LogEntrySchema).optional().meta({ description: 'Newest failed probes first (at most 20)' }),
  outages: z.array(OutageSchema).optional().meta({ description: 'Newest outages first (at most 20)' }),
});

const durationString = z.string().regex(new RegExp(GO_DURATION_PATTERN));

export const CheckProbeSchema = z.object({
  kind: z.enum(PROBE_KINDS).meta({
    description:
      'tcp, tls (handshake), http or https (GET), icmp (echo), udp (echo burst) or mtu (a large payload from the target)',
  }),
  path: z.string().optional().meta({ description: 'HTTP path' }),
  expectedStatus: z
    .array(z.int().min(100).max(599))
    .optional()
    .meta({ description: 'HTTP status codes counted as success (default 200-399)' }),
  serverName: z.string().optional().meta({ description: 'TLS server name (SNI)' }),
  insecureSkipVerify: z.boolean().optional().meta({ description: 'Skip TLS certificate verification (default true)' }),
  count: z
    .int()
    .min(UDP_COUNT.min)
    .max(UDP_COUNT.max)
    .optional()
    .meta({ description: `Datagrams per udp probe (default ${UDP_COUNT.default})` }),
  maxLossPercent: z
    .int()
    .min(UDP_MAX_LOSS_PERCENT.min)
    .max(UDP_MAX_LOSS_PERCENT.max)
    .optional()
    .meta({ description: `A udp probe fails above this loss, in percent (default ${UDP_MAX_LOSS_PERCENT.default})` }),
  size: z
    .int()
    .min(MTU_SIZE.min)
    .max(MTU_SIZE.max)
    .optional()
    .meta({ description: `Payload bytes of an mtu probe (default ${MTU_SIZE.default})` }),
});

export const CheckSpecSchema = z.object({
  sourcePod: z
    .string()
    .regex(DNS1123_SUBDOMAIN)
    .meta({ description: 'The source: <source>[-<node>] (OpenShift: the source pod)' }),
  targetEndpoint: z
    .string()
    .regex(/^\S+:\d*$/)
    .meta({ description: 'host:port probed; [addr]:port for IPv6' }),
  tlsClientCert: z
    .object({
      name: z.string().meta({ description: 'Name of a kubernetes.io/tls Secret in the namespace of the check' }),
    })
    .optional()
    .meta({ description: 'Client certificate presented in the TLS handshake' }),
  probe: CheckProbeSchema.optional().meta({ description: 'How to probe (p2pnc). Default: tcp' }),
  interval: durationString.optional().meta({ description: 'Probe interval as a Go duration (p2pnc). Default: 60s' }),
  timeout: durationString.optional().meta({ description: 'Probe timeout as a Go duration (p2pnc). Default: 10s' }),
  history: z
    .object({
      entries: z
        .int()
        .min(1)
        .max(20)
        .optional()
        .meta({ description: 'Successes and failures kept, each. Default: 20' }),
      outages: z.int().min(1).max(20).optional().meta({ description: 'Outages kept. Default: 20' }),
      messages: z.enum(MESSAGE_STYLES).optional().meta({
        description:
          "full: OpenShift's messages, each starting with the target's label; compact: without it (the spec names the target), a smaller status. Default: full",
      }),
    })
    .optional()
    .meta({ description: 'How much the status keeps (p2pnc): less on large clusters' }),
  refreshInterval: durationString.optional().meta({
    description: 'A status without a transition is written at most this often, as a Go duration (p2pnc). Default: 10m',
  }),
  source: z
    .object({
      name: z.string(),
      node: z.string().optional(),
      vantage: z.enum(['pod', 'host', 'sidecar']).optional().meta({
        description:
          "Where the source probes from: pod (the pod network), host (the node's own network), sidecar (a container in a user's pod). Default: pod",
      }),
    })
    .optional()
    .meta({ description: 'The source workload, and its node for per-node sources (p2pnc)' }),
  target: z
    .object({
      name: z.string(),
      kind: z.string(),
      node: z.string().optional(),
      nodeRoles: z
        .array(z.string())
        .optional()
        .meta({ description: 'Roles of the target node (diagnose names a failing master as such)' }),
      backends: z
        .string()
        .optional()
        .meta({ description: 'The target probing the backends of this Service or load balancer directly (diagnose)' }),
      layer: z.enum(['pod', 'host']).optional().meta({
        description: "The target node's layer probed: its pod (pod network) or its own address (host network)",
      }),
    })
    .optional()
    .meta({ description: 'The topology target, and its node for per-node targets (p2pnc)' }),
  targetPod: z
    .object({
      service: z.string().meta({ description: 'Service whose EndpointSlices list the target pods' }),
      node: z.string().meta({ description: 'Node whose pod is probed' }),
      port: z.int().min(1).max(65535),
    })
    .optional()
    .meta({
      description:
        'Probe the pod of this Service on this node, resolved at probe time; overrides the host of targetEndpoint (p2pnc)',
    }),
});

export const CheckSchema = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.object({}).optional(),
  spec: CheckSpecSchema,
  status: CheckStatusSchema.optional(),
});

export type { CheckProbe, CheckSpec, CheckStatus, Condition, LogEntry, Outage } from './check-types.js';

/** True when A and B are the same type (each assignable to the other is not enough: optional and readonly count). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** The schema's inferred types are check-types.ts's: a field added to one and not the other fails the type-check here. */
export const SCHEMA_MATCHES_TYPES: [
  Same<z.infer<typeof LogEntrySchema>, types.LogEntry>,
  Same<z.infer<typeof OutageSchema>, types.Outage>,
  Same<z.infer<typeof ConditionSchema>, types.Condition>,
  Same<z.infer<typeof CheckStatusSchema>, types.CheckStatus>,
  Same<z.infer<typeof CheckProbeSchema>, types.CheckProbe>,
  Same<z.infer<typeof CheckSpecSchema>, types.CheckSpec>,
] = [true, true, true, true, true, true];
