/**
 * Check objects with statuses for the operator-command tests. Checks come from the real expand(); statuses from the
 * real reducer fed with probe results built by the runtime's own message and error-text functions, so they carry
 * exactly the reasons and messages a source writes.
 */
import type { CheckStatus } from '../../src/api/check.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { formatEndpoint, parseEndpoint } from '../../src/runtime/probe/endpoint.js';
import {
  StepFailure,
  describeConnectFailure,
  describeDnsFailure,
  TIMEOUT_TEXT,
} from '../../src/runtime/probe/failure.js';
import * as messages from '../../src/runtime/probe/messages.js';
import { messageLabel, resolveProbeTarget } from '../../src/runtime/source/check-target.js';
import { record } from '../../src/runtime/status/reducer.js';
import { formatTime } from '../../src/runtime/status/time.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { expand } from '../../src/topology/expand.js';
import { TopologySchema, type TopologyInput } from '../../src/topology/schema.js';

export const NOW = new Date('2026-11-23T10:00:00Z');
const minutes = (count: number) => new Date(NOW.getTime() - count * 60_000);

/** Every check of a topology as the API server returns it (created two hours before NOW), without status. */
export function checksOf(input: TopologyInput): CheckObject[] {
  return expand(TopologySchema.parse(input)).map((planned) => ({
    apiVersion: 'p2pnc.io/v1alpha1',
    kind: 'PodNetworkConnectivityCheck',
    metadata: {
      name: planned.name,
      namespace: 'p2pnc',
      labels: planned.labels,
      creationTimestamp: formatTime(minutes(120)),
    },
    spec: planned.spec,
  }));
}

/** What a probe of a check returns, given the time: a success or one failure mode. */
export type Outcome = (check: CheckObject, time: Date) => ProbeResult;

/** What the probe dials: the endpoint, or for the target pod of a node, that pod's IP as EndpointSlices give it. */
function target(check: CheckObject) {
  const label = messageLabel(check.metadata.name, check.spec);
  const pod = check.spec.targetPod;
  if (pod) {
    const host = podIp(pod.node);
    return { label, host, port: pod.port, endpoint: formatEndpoint(host, pod.port) };
  }
  const { host, port } = parseEndpoint(check.spec.targetEndpoint);
  return { label, host, port, endpoint: check.spec.targetEndpoint };
}

/** A stable pod IP per node: 10.128.<n>.5. */
function podIp(node: string): string {
  let sum = 0;
  for (const char of node) sum = (sum * 31 + char.charCodeAt(0)) % 250;
  return `10.128.${sum}.5`;
}

export const ok: Outcome = (check, time) => {
  const { label, endpoint } = target(check);
  return {
    time,
    success: true,
    latencyMs: 1.234567,
    reason: 'TCPConnect',
    message: messages.tcpSucceeded(label, endpoint),
  };
};

function connectFailure(failure: StepFailure): Outcome {
  return (check, time) => {
    const { label, endpoint } = target(check);
    const { kind, text } = describeConnectFailure(failure);
    return {
      time,
      success: false,
      latencyMs: 3.5,
      reason: 'TCPConnectError',
      message: messages.tcpFailed(label, endpoint, endpoint, text),
      failure: kind,
    };
  };
}

function errno(code: string): StepFailure {
  return new StepFailure('error', Object.assign(new Error(code), { code }));
}

export const refused = connectFailure(errno('ECONNREFUSED'));
export const timeout = connectFailure(new StepFailure('timeout'));
export const noRoute = connectFailure(errno('ENETUNREACH'));

function dnsFailure(failure: StepFailure): Outcome {
  return (check, time) => {
    const { label, host } = target(check);
    return {
      time,
      success: false,
      latencyMs: 5,
      reason: 'DNSError',
      message: messages.dnsFailed(label, host, describeDnsFailure(failure)),
      failure: 'dns',
    };
  };
}

export const noSuchHost = dnsFailure(errno('ENOTFOUND'));
export const dnsTimeout = dnsFailure(new StepFailure('timeout'));

export const tlsTimeout: Outcome = (check, time) => {
  const { label, endpoint } = target(check);
  return {
    time,
    success: false,
    latencyMs: 10_000,
    reason: 'TLSError',
    message: messages.tlsFailed(label, endpoint, TIMEOUT_TEXT),
    failure: 'tls',
  };
};

/** The InvalidCheck a source records when resolveProbeTarget throws (no target pod on the node, missing Secret). */
export async function invalidOutcome(check: CheckObject): Promise<Outcome> {
  const error = await resolveProbeTarget(check.metadata.name, check.spec, {
    targetPodAddress: () => undefined,
    clientCert: async (name) => {
      throw new Error(`cannot read the client certificate Secret p2pnc/${name}: not found`);
    },
  }).then(
    () => undefined,
    (thrown: Error) => thrown.message,
  );
  if (!error) throw new Error(`${check.metadata.name} resolves fine: no InvalidCheck to record`);
  return (_check, time) => ({
    time,
    success: false,
    latencyMs: 0,
    reason: 'InvalidCheck',
    message: messages.invalidCheck(messageLabel(check.metadata.name, check.spec), error),
    failure: 'config',
  });
}

/**
 * A status as a source writes it: healthy probes every minute for 30 minutes up to NOW, then, from `failingFor`
 * minutes before NOW, the failure every minute (the second one confirms an outage). With `lastProbeMinutesAgo` the
 * source stopped probing that long before NOW.
 */
export function statusFor(
  check: CheckObject,
  failure: Outcome | undefined,
  options: { failingFor?: number; lastProbeMinutesAgo?: number } = {},
): CheckStatus {
  const failingFor = options.failingFor ?? 4;
  const last = options.lastProbeMinutesAgo ?? 0;
  let status: CheckStatus | undefined;
  for (let ago = last + 30; ago >= last; ago--) {
    const outcome = failure && ago <= failingFor ? failure : ok;
    status = record(status, outcome(check, minutes(ago))).status;
  }
  return status!;
}

export type Faults = Record<string, Outcome | undefined>;

/**
 * Gives every check a status: the outcome of the first `faults` key that the check name contains (a regular
 * expression source), success otherwise.
 */
export function withStatuses(
  checks: readonly CheckObject[],
  faults: Faults,
  options: { lastProbeMinutesAgo?: number } = {},
): CheckObject[] {
  const rules = Object.entries(faults).map(([pattern, outcome]) => ({ pattern: new RegExp(pattern), outcome }));
  return checks.map((check) => {
    const rule = rules.find(({ pattern }) => pattern.test(check.metadata.name));
    return { ...check, status: statusFor(check, rule?.outcome, options) };
  });
}

/** The repository's example: OpenShift's 18 checks from one Deployment source on a worker. */
export function openshiftTopology(): TopologyInput {
  return {
    cluster: 'ocp',
    nodes: [
      { name: 'master-0', addresses: ['10.0.0.4'], roles: ['master'] },
      { name: 'master-1', addresses: ['10.0.0.5'], roles: ['master'] },
      { name: 'master-2', addresses: ['10.0.0.3'], roles: ['master'] },
      { name: 'worker-b', addresses: ['10.0.32.2'], roles: ['worker'] },
      { name: 'worker-c', addresses: ['10.0.32.3'], roles: ['worker'] },
      { name: 'worker-d', addresses: ['10.0.32.4'], roles: ['worker'] },
    ],
    sources: [{ name: 'network-check-source', kind: 'Deployment', node: 'worker-b' }],
    targets: [
      { name: 'kubernetes-apiserver-endpoint', kind: 'node', roles: ['master'], port: 6443 },
      {
        name: 'kubernetes-apiserver-service-cluster',
        kind: 'service',
        service: { namespace: 'openshift-kube-apiserver', name: 'apiserver', port: 443 },
        backends: 'kubernetes-apiserver-endpoint',
      },
      {
        name: 'kubernetes-default-service-cluster',
        kind: 'service',
        service: { namespace: 'default', name: 'kubernetes', port: 443 },
        backends: 'kubernetes-apiserver-endpoint',
      },
      {
        name: 'load-balancer-api-external',
        kind: 'endpoint',
        host: 'api.ocp.example.com',
        port: 6443,
        backends: 'kubernetes-apiserver-endpoint',
      },
      {
        name: 'load-balancer-api-internal',
        kind: 'endpoint',
        host: 'api-int.ocp.example.com',
        port: 6443,
        backends: 'kubernetes-apiserver-endpoint',
      },
      { name: 'network-check-target', kind: 'p2pnc-target' },
      { name: 'openshift-apiserver-endpoint', kind: 'node', roles: ['master'], port: 8443 },
      {
        name: 'openshift-apiserver-service-cluster',
        kind: 'service',
        service: { namespace: 'openshift-apiserver', name: 'api', port: 443 },
        backends: 'openshift-apiserver-endpoint',
      },
      { name: 'registry', kind: 'endpoint', host: '10.0.9.9', port: 5000 },
    ],
  };
}

/** A node mesh: a DaemonSet source on four workers probing the target pod and the kubelet port of every node, plus a name. */
export function meshTopology(): TopologyInput {
  return {
    cluster: 'mesh',
    nodes: [
      { name: 'master-0', addresses: ['10.1.0.10'], roles: ['master'] },
      { name: 'worker-1', addresses: ['10.1.0.11'], roles: ['worker'] },
      { name: 'worker-2', addresses: ['10.1.0.12'], roles: ['worker'] },
      { name: 'worker-3', addresses: ['10.1.0.13'], roles: ['worker'] },
      { name: 'worker-4', addresses: ['10.1.0.14'], roles: ['worker'] },
    ],
    sources: [{ name: 'mesh', kind: 'DaemonSet', roles: ['worker'] }],
    targets: [
      { name: 'peer', kind: 'p2pnc-target', viaService: false },
      { name: 'kubelet', kind: 'node', port: 10250 },
      {
        name: 'kubernetes-default-service-cluster',
        kind: 'service',
        service: { namespace: 'default', name: 'kubernetes', port: 443 },
      },
      { name: 'registry', kind: 'endpoint', host: 'registry.example.com', port: 443 },
    ],
  };
}
