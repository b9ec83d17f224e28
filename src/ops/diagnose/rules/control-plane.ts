/**
 * control-plane-path: checks from a host-network source on a control-plane node see what the API server sees (the
 * Konnectivity runbook's paths). When some fail, the finding names the API server's path and what breaks with it:
 * kubelets (logs, exec, port-forward), etcd, admission webhooks, aggregated APIs, Konnectivity.
 */
import { describeSource, sourceKey, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { distinct, groupBy, kindsText, listed } from '../text.js';

/** What the API server loses when it cannot reach a target, by port and name. */
export function consequenceOf(row: CheckRow): string {
  const port = steps.portOf(row);
  const name = `${row.target.name} ${row.endpoint}`.toLowerCase();
  if (port === '10250' || /kubelet/.test(name)) return 'kubelets: logs, exec, port-forward and metrics will fail';
  if (port === '2379' || port === '2380' || /etcd/.test(name)) return 'etcd: reads and writes will fail';
  if (/webhook/.test(name)) return 'admission webhooks: creating or updating the objects they admit will fail';
  if (/apiservice|metrics-server|aggregated/.test(name))
    return 'aggregated APIs: kubectl top and the APIs they serve will fail';
  if (port === '8132' || port === '8133' || /konnectivity/.test(name))
    return 'Konnectivity: every API server to node connection through it will fail';
  return `${row.target.name}`;
}

export function controlPlaneFindings(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const controlPlane = new Set(
    ctx.rows
      .filter(
        (row) => row.target.node && row.target.nodeRoles.some((role) => role === 'master' || role === 'control-plane'),
      )
      .map((row) => row.target.node!),
  );
  for (const [key, state] of ctx.sources) {
    const first = ctx.index.ofSource(key)[0];
    if (!first || first.vantage !== 'host' || !state.runsOn || !controlPlane.has(state.runsOn)) continue;
    const failing = ctx.index
      .ofSource(key)
      .filter((row) => !ctx.isSelf(row) && ctx.isFailing(row) && !ctx.explainedBy.has(row));
    if (failing.length === 0) continue;
    const node = state.runsOn;
    const targets = new Set(failing.map((row) => row.target.name));
    const elsewhere = ctx.live.filter(
      (row) => targets.has(row.target.name) && sourceKey(row.source) !== key && ctx.isAnswering(row),
    );
    const groups = [...groupBy(failing, consequenceOf)];
    const what = groups.map(([consequence, rows]) => {
      const nodes = distinct(rows.flatMap((row) => (row.target.node ? [row.target.node] : [])));
      return `${consequence}${nodes.length > 0 ? ` (${nodes.length === 1 ? 'on' : `on ${nodes.length} nodes:`} ${listed(nodes, 'node')})` : ''}`;
    });
    const contrast = elsewhere.slice(0, CONTRAST_EVIDENCE);
    results.push({
      finding: ctx.finding({
        severity: 'critical',
        rule: 'control-plane-path',
        culprit: `API server on ${node}: cannot reach ${groups.map(([consequence]) => consequence.split(':')[0]).join(', ')}`,
        confidence: elsewhere.length > 0 ? 'high' : 'low',
        summary:
          `From ${node}'s host network, where the API server runs, ${failing.length} check${failing.length === 1 ? '' : 's'} of ${describeSource(state.source)} fail (${kindsText(failing)}): ${what.join('; ')}.` +
          (elsewhere.length > 0
            ? ' Other sources reach the same targets, so the path from this control-plane node is at fault (its routes, firewall, or the Konnectivity tunnel), not the targets.'
            : ' No other source reaches them either, so the targets themselves are not ruled out.'),
        evidence: [
          ...failing.map((row) => ctx.failingEvidence(row)),
          ...contrast.map((row) => ctx.answeringEvidence(row)),
        ],
        observers: ctx.observers([...failing, ...contrast]),
        next: [
          `kubectl get --raw /api/v1/nodes/<node>/proxy/healthz   # the API server's own path to a kubelet`,
          ...steps.pathSteps(
            ctx.namespace,
            state.source,
            failing[0]!.target.node ?? failing[0]!.endpoint,
            failing.find((row) => row.address)?.address,
          ),
        ],
      }),
      explains: failing,
    });
  }
  return results;
}
