/** Recommended Kubernetes labels shared by every p2pnc object. */
export function commonLabels(component: string, instance: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'p2pnc',
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'p2pnc',
    'app.kubernetes.io/managed-by': 'p2pnc',
  };
}
