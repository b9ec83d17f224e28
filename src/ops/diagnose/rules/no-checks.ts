/** no-checks: nothing to diagnose; the checks are not applied here, or the namespace is wrong. */
import type { DiagnoseContext, RuleFinding } from '../context.js';

export function noChecks(ctx: DiagnoseContext): RuleFinding[] {
  if (ctx.rows.length > 0) return [];
  const finding = ctx.finding({
    severity: 'warning',
    rule: 'no-checks',
    culprit: `no checks in namespace ${ctx.namespace}`,
    confidence: 'high',
    summary: `There is no PodNetworkConnectivityCheck in namespace ${ctx.namespace}: dist/checks.yaml is not applied here, or -n names the wrong namespace.`,
    evidence: [],
    next: ['kubectl get pncc -A', 'kubectl get crd podnetworkconnectivitychecks.p2pnc.io'],
  });
  return [{ finding, explains: [] }];
}
