import { ApiObject, JsonPatch } from 'cdk8s';
import type * as kplus from 'cdk8s-plus-27';

export const NON_ROOT_UID = 65532;

/** Container security settings every p2pnc container gets: Pod Security "restricted" plus a read-only root. */
export const RESTRICTED_CONTAINER: kplus.ContainerSecurityContextProps = {
  ensureNonRoot: true,
  user: NON_ROOT_UID,
  group: NON_ROOT_UID,
  privileged: false,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
};

export const RESTRICTED_POD: kplus.PodSecurityContextProps = {
  ensureNonRoot: true,
  user: NON_ROOT_UID,
  group: NON_ROOT_UID,
};

/**
 * The one place where what cdk8s-plus-27 cannot express for Pod Security "restricted" is patched in:
 * the pod's seccompProfile RuntimeDefault, and `drop: [ALL]` capabilities (its Capability enum has no ALL).
 */
export function restrictPodSecurity(workload: kplus.Workload): void {
  const apiObject = ApiObject.of(workload);
  apiObject.addJsonPatch(
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  );
  workload.containers.forEach((_, index) => {
    apiObject.addJsonPatch(
      JsonPatch.add(`/spec/template/spec/containers/${index}/securityContext/capabilities`, { drop: ['ALL'] }),
    );
  });
}
