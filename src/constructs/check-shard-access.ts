import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { GROUP, PLURAL } from '../api/check.js';
import { commonLabels } from './labels.js';

export interface CheckShardAccessProps {
  /** The shard namespace (api/check-shards.ts). */
  readonly namespace: string;
  /** The sources' ServiceAccounts bound to it. */
  readonly serviceAccounts: readonly kplus.IServiceAccount[];
}

/**
 * What the sources may do in a check shard, and no more: read and watch the checks, patch their status, create
 * events about them. The same rules as in the main namespace; no Leases, Secrets or EndpointSlices live there.
 */
export class CheckShardAccess extends Construct {
  constructor(scope: Construct, id: string, props: CheckShardAccessProps) {
    super(scope, id);
    const metadata = { name: 'p2pnc-sources', namespace: props.namespace, labels: commonLabels('source', 'checks') };
    const role = new kplus.Role(this, 'Role', { metadata });
    role.allow(['get', 'list', 'watch'], { apiGroup: GROUP, resourceType: PLURAL });
    role.allow(['patch'], { apiGroup: GROUP, resourceType: `${PLURAL}/status` });
    role.allow(['create'], { apiGroup: '', resourceType: 'events' });
    const binding = new kplus.RoleBinding(this, 'RoleBinding', { metadata, role });
    binding.addSubjects(...props.serviceAccounts);
  }
}
