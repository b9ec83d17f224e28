import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PodSource } from '../topology/schema.js';
import { NON_ROOT_UID, RESTRICTED_CONTAINER, RESTRICTED_POD, restrictPodSecurity } from './hardening.js';
import { commonLabels } from './labels.js';
import { SourceDisruptionBudget, spreadByHostname } from './replicated-source.js';
import { DEFAULT_METRICS_PORT, ENV } from '../api/constants.js';
import { LABEL_SOURCE } from '../api/labels.js';

export const METRICS_PORT = DEFAULT_METRICS_PORT;

export interface SourceWorkloadProps {
  readonly source: PodSource;
  readonly namespace: string;
  /** Namespace of the checks, when the pods run elsewhere (host-network sources). @default the pods' namespace */
  readonly checksNamespace?: string;
  /** Port of /metrics, /healthz and /readyz. @default 17698 */
  readonly metricsPort?: number;
  readonly image: string;
  readonly serviceAccount: kplus.IServiceAccount;
  /** Where the pods run. @default every Linux node */
  readonly placement?: Placement;
  /** CPU request of the prober. @default 10m */
  readonly cpuRequest?: kplus.Cpu;
  /** Memory request; synth raises it with the checks one instance probes (source-memory.ts). @default 48Mi */
  readonly memoryRequest?: Size;
  /** Memory limit; synth raises it with the checks one instance probes (source-memory.ts). @default 160Mi */
  readonly memoryLimit?: Size;
  /**
   * Let the pod's group open ICMP ping sockets (icmp checks): the safe sysctl net.ipv4.ping_group_range, allowed
   * under Pod Security restricted, set to the group alone. Not for host-network pods (the node's setting applies).
   * @default false
   */
  readonly pingSockets?: boolean;
  /**
   * A DaemonSet's pods wait a random time below this before their first list, so a rollout or an API server restart
   * on thousands of nodes does not list in one instant (`p2pnc source --start-jitter`). @default none
   */
  readonly startJitter?: string;
  /**
   * Renew the heartbeat Lease this often instead of every probe interval, on clusters large enough for heartbeats to
   * weigh on the API server (`p2pnc source --heartbeat-period`). @default every probe interval, at most every 60 s
   */
  readonly heartbeatPeriod?: string;
  /**
   * Namespaces the per-node sources' checks are spread over (api/check-shards.ts): a DaemonSet's pods find their
   * node's, a Deployment's leader sweeps them all for staleness (`p2pnc source --check-shards`). @default 1
   */
  readonly checkShards?: number;
}

/**
 * The prober: a Deployment (one leader among its replicas) or a DaemonSet (one prober per node, each probing
 * its own node's checks). No CPU limit on purpose: a throttled prober reports false timeouts.
 */
export class SourceWorkload extends Construct {
  readonly workload: kplus.Deployment | kplus.DaemonSet;

  constructor(scope: Construct, id: string, props: SourceWorkloadProps) {
    super(scope, id);
    const { source } = props;
    const perNode = source.kind === 'DaemonSet';
    const metricsPort = props.metricsPort ?? METRICS_PORT;
    const labels = { ...commonLabels('source', source.name), [LABEL_SOURCE]: source.name };
    const common = {
      metadata: { name: source.name, namespace: props.namespace, labels },
      podMetadata: { labels },
      select: false,
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: true,
      securityContext: RESTRICTED_POD,
      containers: [
        {
          name: 'source',
          image: props.image,
          imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
          args: [
            'source',
            '--source',
            source.name,
            ...(perNode ? ['--per-node'] : []),
            ...(perNode && props.startJitter && props.startJitter !== '0s'
              ? ['--start-jitter', props.startJitter]
              : []),
            ...(props.heartbeatPeriod ? ['--heartbeat-period', props.heartbeatPeriod] : []),
            ...(props.checkShards && props.checkShards > 1 ? ['--check-shards', String(props.checkShards)] : []),
            ...(metricsPort !== METRICS_PORT ? ['--metrics-port', String(metricsPort)] : []),
          ],
          ports: [{ name: 'metrics', number: metricsPort }],
          envVariables: {
            [ENV.namespace]: props.checksNamespace
              ? kplus.EnvValue.fromValue(props.checksNamespace)
              : kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
            [ENV.podName]: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
            [ENV.nodeName]: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.NODE_NAME),
          },
          resources: {
            cpu: { request: props.cpuRequest ?? kplus.Cpu.millis(10) },
            memory: {
              request: props.memoryRequest ?? Size.mebibytes(48),
              limit: props.memoryLimit ?? Size.mebibytes(160),
            },
          },
          liveness: kplus.Probe.fromHttpGet('/healthz', { port: metricsPort, periodSeconds: Duration.seconds(20) }),
          readiness: kplus.Probe.fromHttpGet('/readyz', { port: metricsPort }),
          securityContext: RESTRICTED_CONTAINER,
        },
      ],
    };
    if (source.kind === 'Deployment') {
      this.workload = new kplus.Deployment(this, 'Resource', {
        ...common,
        replicas: source.replicas,
        strategy: kplus.DeploymentStrategy.recreate(),
        spread: false,
      });
    } else {
      this.workload = new kplus.DaemonSet(this, 'Resource', common);
    }
    const selector = { 'app.kubernetes.io/instance': source.name, 'app.kubernetes.io/component': 'source' };
    this.workload.select(kplus.LabelSelector.of({ labels: selector }));
    placeOnNodes(this.workload, props.placement);
    restrictPodSecurity(this.workload);
    if (props.pingSockets) allowPingSockets(this.workload);
    if (this.workload instanceof kplus.Deployment && source.kind === 'Deployment' && source.replicas > 1) {
      spreadByHostname(this.workload, selector);
      new SourceDisruptionBudget(this, 'DisruptionBudget', { name: source.name, namespace: props.namespace, selector });
    }
  }
}

function allowPingSockets(workload: kplus.Workload): void {
  const group = `${NON_ROOT_UID} ${NON_ROOT_UID}`;
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/sysctls', [{ name: 'net.ipv4.ping_group_range', value: group }]),
  );
}

/** Where a workload's pods may run: Linux nodes, then optionally one named node, or nodes by role and labels. */
export interface Placement {
  /** Pin to this Node (matched on its name, not a label). */
  nodeName?: string;
  /** Any of these roles, read from the `node-role.kubernetes.io/<role>` labels. */
  roles?: readonly string[];
  /** All of these node labels. */
  nodeLabels?: Record<string, string>;
}

export function placeOnNodes(workload: kplus.Workload, placement: Placement = {}): void {
  const linux = { key: 'kubernetes.io/os', operator: 'In', values: ['linux'] };
  const labels = Object.entries(placement.nodeLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([key, value]) => ({ key, operator: 'In', values: [value] }));
  const roles = placement.roles && placement.roles.length > 0 ? [...placement.roles] : [undefined];
  // Terms are ORed: one per role, each ANDing Linux, the role label and the node labels.
  const terms = roles.map((role) => ({
    matchExpressions: [
      linux,
      ...(role ? [{ key: `node-role.kubernetes.io/${role}`, operator: 'Exists' }] : []),
      ...labels,
    ],
    ...(placement.nodeName
      ? { matchFields: [{ key: 'metadata.name', operator: 'In', values: [placement.nodeName] }] }
      : {}),
  }));
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add('/spec/template/spec/affinity', {
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
    }),
  );
}
