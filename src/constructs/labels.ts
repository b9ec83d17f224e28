/** Recommended Kubernetes labels shared by every p2pnc object. */
import { MAX_LABEL_VALUE, truncateWithHash } from '../api/labels.js';

export function commonLabels(component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'p2pnc',
    // Object names may be longer than a label value (`<63-character target>-ingress`): cut with a hash.
    'app.kubernetes.io/instance': truncateWithHash(instance, MAX_LABEL_VALUE),
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'p2pnc',
    'app.kubernetes.io/managed-by': 'p2pnc',
  };
}
