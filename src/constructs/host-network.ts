/**
 * The host namespace: where host-network sources and the host-network target run. Pod Security has no level between
 * baseline (which forbids host namespaces, hostNetwork included) and privileged, so the namespace enforces
 * privileged, and a ValidatingAdmissionPolicy takes back everything but the host network: a pod there must still
 * be what "restricted" asks (non-root, no privilege escalation, all capabilities dropped and none added, seccomp),
 * with no host PID, host IPC, hostPath volume, privileged container or ephemeral (debug) container.
 */
import { ApiObject, JsonPatch } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { commonLabels } from './labels.js';

export interface HostNamespaceProps {
  /** The namespace's name. */
  readonly name: string;
  /** Cluster name, the namespace's instance label. */
  readonly cluster: string;
}

/** What a container must be, as CEL over `c`; `podNonRoot` and `podSeccomp` are the pod-level settings. */
const CONTAINER_RULES: readonly { expression: string; message: string }[] = [
  {
    expression:
      '!has(c.securityContext) || !has(c.securityContext.privileged) || c.securityContext.privileged == false',
    message: 'privileged containers are not allowed',
  },
  {
    expression:
      'has(c.securityContext) && has(c.securityContext.allowPrivilegeEscalation) && c.securityContext.allowPrivilegeEscalation == false',
    message: 'containers must set securityContext.allowPrivilegeEscalation: false',
  },
  {
    expression:
      '!has(c.securityContext) || !has(c.securityContext.capabilities) || !has(c.securityContext.capabilities.add) || size(c.securityContext.capabilities.add) == 0',
    message: 'containers may add no capability',
  },
  {
    expression:
      "has(c.securityContext) && has(c.securityContext.capabilities) && has(c.securityContext.capabilities.drop) && 'ALL' in c.securityContext.capabilities.drop",
    message: 'containers must drop ALL capabilities',
  },
  {
    expression:
      '(has(c.securityContext) && has(c.securityContext.runAsNonRoot)) ? c.securityContext.runAsNonRoot : variables.podNonRoot',
    message: 'containers must run as non-root (runAsNonRoot: true)',
  },
  {
    expression: '!(has(c.securityContext) && has(c.securityContext.runAsUser) && c.securityContext.runAsUser == 0)',
    message: 'containers must not run as uid 0',
  },
  {
    expression:
      "(has(c.securityContext) && has(c.securityContext.seccompProfile)) ? c.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost'] : variables.podSeccomp",
    message: 'containers must use the seccomp profile RuntimeDefault (or Localhost)',
  },
];

const POD_RULES: readonly { expression: string; message: string }[] = [
  {
    expression: '!has(object.spec.hostPID) || object.spec.hostPID == false',
    message: 'hostPID is not allowed',
  },
  {
    expression: '!has(object.spec.hostIPC) || object.spec.hostIPC == false',
    message: 'hostIPC is not allowed',
  },
  {
    expression: '!has(object.spec.volumes) || object.spec.volumes.all(v, !has(v.hostPath))',
    message: 'hostPath volumes are not allowed',
  },
  {
    expression: '!has(object.spec.ephemeralContainers) || size(object.spec.ephemeralContainers) == 0',
    message: 'ephemeral (debug) containers are not allowed',
  },
];

/** The namespace of host-network pods, and the admission policy that allows them the host network and nothing more. */
export class HostNamespace extends Construct {
  constructor(scope: Construct, id: string, props: HostNamespaceProps) {
    super(scope, id);
    const labels = commonLabels('host-namespace', props.cluster);
    new ApiObject(this, 'Namespace', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: props.name,
        labels: {
          ...labels,
          // The least level that admits hostNetwork; the policy below narrows it to hostNetwork alone.
          'pod-security.kubernetes.io/enforce': 'privileged',
          'pod-security.kubernetes.io/enforce-version': 'latest',
          // Recorded in the audit log as what it is: a namespace of pods beyond baseline.
          'pod-security.kubernetes.io/audit': 'baseline',
          'pod-security.kubernetes.io/audit-version': 'latest',
          // Explicit, so a cluster-wide default warn level does not warn on every apply of the host workloads.
          'pod-security.kubernetes.io/warn': 'privileged',
          'pod-security.kubernetes.io/warn-version': 'latest',
        },
      },
    });
    const policyName = hostPolicyName(props.name);
    new ApiObject(this, 'Policy', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: policyName, labels },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: [''],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['pods', 'pods/ephemeralcontainers'],
            },
          ],
        },
        variables: [
          {
            name: 'containers',
            expression: 'object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])',
          },
          {
            name: 'podNonRoot',
            expression:
              'has(object.spec.securityContext) && has(object.spec.securityContext.runAsNonRoot) && object.spec.securityContext.runAsNonRoot',
          },
          {
            name: 'podSeccomp',
            expression:
              "has(object.spec.securityContext) && has(object.spec.securityContext.seccompProfile) && object.spec.securityContext.seccompProfile.type in ['RuntimeDefault', 'Localhost']",
          },
        ],
        validations: [
          ...POD_RULES.map((rule) => ({ ...rule, reason: 'Forbidden' })),
          ...CONTAINER_RULES.map((rule) => ({
            expression: `variables.containers.all(c, ${rule.expression})`,
            message: `${props.name}: ${rule.message} (only hostNetwork goes beyond Pod Security restricted here)`,
            reason: 'Forbidden',
          })),
        ],
      },
    });
    new ApiObject(this, 'PolicyBinding', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: policyName, labels },
      spec: {
        policyName,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.name } } },
      },
    });
  }
}

export function hostPolicyName(namespace: string): string {
  return `${namespace}-host-network-only`;
}

/** Runs a workload's pods on the node's network; cluster DNS names still resolve (ClusterFirstWithHostNet). */
export function useHostNetwork(workload: kplus.Workload): void {
  const apiObject = ApiObject.of(workload);
  apiObject.addJsonPatch(JsonPatch.add('/spec/template/spec/hostNetwork', true));
  apiObject.addJsonPatch(JsonPatch.add('/spec/template/spec/dnsPolicy', 'ClusterFirstWithHostNet'));
}

/** The taints kubeadm and OpenShift put on control-plane nodes (master on older clusters). */
const CONTROL_PLANE_TAINTS = ['control-plane', 'master'];

/** Tolerates the taints of control-plane nodes, and nothing else. */
export function tolerateControlPlane(workload: kplus.Workload): void {
  ApiObject.of(workload).addJsonPatch(
    JsonPatch.add(
      '/spec/template/spec/tolerations',
      CONTROL_PLANE_TAINTS.map((role) => ({
        key: `node-role.kubernetes.io/${role}`,
        operator: 'Exists',
        effect: 'NoSchedule',
      })),
    ),
  );
}
