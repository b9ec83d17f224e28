/**
 * A p2pnc source as a container in a workload someone else runs (an ingress controller, an API gateway), so its
 * probes start where that workload's traffic starts. One container definition serves both ways of adding it: the
 * strategic-merge patch synth writes for kustomize users, and the P2pncSidecar construct for cdk8s users.
 *
 * Replicas elect one prober with the Lease `<source>-leader` in the workload's namespace, as a Deployment source's do:
 * the checks are declared in git, so their names cannot follow pod names, and one writer per check keeps replicas
 * from overwriting each other's results.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { NON_ROOT_UID } from './hardening.js';
import { ENV } from '../api/constants.js';
import { METRICS_PORT } from './source-workload.js';

export interface SidecarContainerProps {
  /** The source name: selects the checks labelled `p2pnc.io/source=<source>` in the pod's namespace. */
  readonly source: string;
  /** The p2pnc runtime image. */
  readonly image: string;
  /** Name of the added container. @default p2pnc-source */
  readonly containerName?: string;
  /** Port of /metrics and /healthz inside the pod; pick one the workload does not use. @default 17698 */
  readonly metricsPort?: number;
  /** CPU request. @default 10m */
  readonly cpuRequest?: string;
  /** Memory request. @default 48Mi */
  readonly memoryRequest?: string;
  /** Memory limit. @default 160Mi */
  readonly memoryLimit?: string;
}

export const DEFAULT_SIDECAR_CONTAINER = 'p2pnc-source';

const fieldRef = (fieldPath: string) => ({ valueFrom: { fieldRef: { fieldPath } } });

/**
 * The source container, admitted by Pod Security "restricted" whatever the pod sets: every setting restricted asks for
 * is on the container itself. No readiness probe, on purpose: a source waiting for the API server must never take the
 * workload it rides in out of its Service.
 */
export function sidecarContainer(props: SidecarContainerProps): Record<string, unknown> {
  const metricsPort = props.metricsPort ?? METRICS_PORT;
  return {
    name: props.containerName ?? DEFAULT_SIDECAR_CONTAINER,
    image: props.image,
    imagePullPolicy: 'IfNotPresent',
    args: [
      'source',
      '--source',
      props.source,
      ...(metricsPort !== METRICS_PORT ? ['--metrics-port', String(metricsPort)] : []),
    ],
    env: [
      { name: ENV.namespace, ...fieldRef('metadata.namespace') },
      { name: ENV.podName, ...fieldRef('metadata.name') },
      { name: ENV.nodeName, ...fieldRef('spec.nodeName') },
    ],
    resources: {
      requests: { cpu: props.cpuRequest ?? '10m', memory: props.memoryRequest ?? '48Mi' },
      limits: { memory: props.memoryLimit ?? '160Mi' },
    },
    livenessProbe: {
      httpGet: { path: '/healthz', port: metricsPort, scheme: 'HTTP' },
      periodSeconds: 20,
      failureThreshold: 3,
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NON_ROOT_UID,
      runAsGroup: NON_ROOT_UID,
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

export interface SidecarWorkloadRef {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  readonly namespace: string;
  readonly name: string;
}

/** The strategic-merge patch adding the source container to a workload (containers merge by name). */
export function sidecarPatch(workload: SidecarWorkloadRef, container: SidecarContainerProps): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: workload.kind,
    metadata: { name: workload.name, namespace: workload.namespace },
    spec: { template: { spec: { containers: [sidecarContainer(container)] } } },
  };
}

export interface P2pncSidecarProps extends SidecarContainerProps {
  /** The workload to add the source to: a cdk8s-plus Deployment, StatefulSet or DaemonSet, or its ApiObject. */
  readonly workload: kplus.Workload | ApiObject;
}

/**
 * For cdk8s users: adds the p2pnc source container to your own workload.
 *
 * ```ts
 * new P2pncSidecar(chart, 'Vantage', { workload: myDeployment, source: 'ingress-vantage', image: 'ghcr.io/...' });
 * ```
 *
 * The checks, Role and RoleBinding come from `p2pnc synth` (a `kind: Sidecar` source naming this workload).
 */
export class P2pncSidecar extends Construct {
  constructor(scope: Construct, id: string, props: P2pncSidecarProps) {
    super(scope, id);
    const apiObject = props.workload instanceof ApiObject ? props.workload : ApiObject.of(props.workload);
    const container = sidecarContainer(props);
    // Typed objects (cdk8s-plus workloads, imported Kube* classes) map their patched JSON through their typed
    // converters, which read IntOrString and Quantity values from `.value`: wrap those, or they vanish.
    const typed = Object.getPrototypeOf(apiObject) !== ApiObject.prototype;
    apiObject.addJsonPatch(
      JsonPatch.add('/spec/template/spec/containers/-', typed ? wrapTypedValues(container) : container),
    );
  }
}

function wrapTypedValues(container: Record<string, unknown>): Record<string, unknown> {
  const wrap = (values: Record<string, string>) =>
    Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value }]));
  const resources = container.resources as Record<string, Record<string, string>>;
  const liveness = container.livenessProbe as { httpGet: { port: number } };
  return {
    ...container,
    resources: Object.fromEntries(Object.entries(resources).map(([key, values]) => [key, wrap(values)])),
    livenessProbe: { ...liveness, httpGet: { ...liveness.httpGet, port: { value: liveness.httpGet.port } } },
  };
}
