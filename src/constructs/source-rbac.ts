import * as kplus from 'cdk8s-plus-27';
import { ApiObject, JsonPatch } from 'cdk8s';
import { Construct } from 'constructs';
import { GROUP, PLURAL } from '../api/check.js';
import { commonLabels } from './labels.js';
import { leaderLeaseName } from '../api/constants.js';

export interface SourceRbacProps {
  readonly sourceName: string;
  readonly namespace: string;
  /** Secrets named as TLS client certificates by this source's checks: the only Secrets it may read. @default none */
  readonly clientCertSecrets?: readonly string[];
  /** Whether the source resolves target pods from EndpointSlices (per-node p2pnc-target checks). @default false */
  readonly resolvesTargetPods?: boolean;
  /** Whether the source elects a leader with a Lease (Deployment sources). @default false */
  readonly electsLeader?: boolean;
  /** The heartbeat Leases its instances renew (api/heartbeat.ts): the only Leases it may patch. @default none */
  readonly heartbeatLeases?: readonly string[];
  /** Where its ServiceAccount lives, when its pods run outside the checks' namespace (host network). @default namespace */
  readonly serviceAccountNamespace?: string;
  /** Bind this existing ServiceAccount of `namespace` instead of creating one (a sidecar in a user's workload). @default none */
  readonly existingServiceAccount?: string;
  /** Name of the Role and RoleBinding. @default sourceName */
  readonly roleName?: string;
}

const resource = (apiGroup: string, resourceType: string, resourceName?: string): kplus.IApiResource => ({
  apiGroup,
  resourceType,
  ...(resourceName ? { resourceName } : {}),
});

export function leaseName(sourceName: string): string {
  return leaderLeaseName(sourceName);
}

/** Least-privilege, namespace-scoped access for one source: its checks, their status, events, its Lease, named Secrets. */
export class SourceRbac extends Construct {
  readonly serviceAccount: kplus.IServiceAccount;

  constructor(scope: Construct, id: string, props: SourceRbacProps) {
    super(scope, id);
    const metadata = {
      name: props.roleName ?? props.sourceName,
      namespace: props.namespace,
      labels: commonLabels('source', props.sourceName),
    };
    this.serviceAccount = props.existingServiceAccount
      ? kplus.ServiceAccount.fromServiceAccountName(this, 'ServiceAccount', props.existingServiceAccount, {
          namespaceName: props.namespace,
        })
      : new kplus.ServiceAccount(this, 'ServiceAccount', {
          metadata: {
            ...metadata,
            name: props.sourceName,
            namespace: props.serviceAccountNamespace ?? props.namespace,
          },
          automountToken: false,
        });
    const role = new kplus.Role(this, 'Role', { metadata });
    role.allow(['get', 'list', 'watch'], resource(GROUP, PLURAL));
    // Only the verbs the source sends: status is written by merge patch, events are created (core v1) and never updated.
    role.allow(['patch'], resource(GROUP, `${PLURAL}/status`));
    role.allow(['create'], resource('', 'events'));
    const heartbeats = [...new Set(props.heartbeatLeases ?? [])].sort();
    // create cannot be limited by name (the object does not exist yet); every other verb names its Leases.
    if (props.electsLeader || heartbeats.length > 0) role.allow(['create'], resource('coordination.k8s.io', 'leases'));
    if (props.electsLeader)
      role.allow(['get', 'update'], resource('coordination.k8s.io', 'leases', leaseName(props.sourceName)));
    // One rule naming them all (allow() would write a rule per name: thousands on a large cluster).
    if (heartbeats.length > 0)
      ApiObject.of(role).addJsonPatch(
        JsonPatch.add('/rules/-', {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: heartbeats,
          verbs: ['patch'],
        }),
      );
    if (props.resolvesTargetPods) role.allow(['list', 'watch'], resource('discovery.k8s.io', 'endpointslices'));
    for (const secret of [...new Set(props.clientCertSecrets ?? [])].sort())
      role.allow(['get'], resource('', 'secrets', secret));
    const binding = new kplus.RoleBinding(this, 'RoleBinding', { metadata, role });
    binding.addSubjects(this.serviceAccount);
  }
}
