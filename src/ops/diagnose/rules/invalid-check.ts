/**
 * invalid-check: the check itself cannot be probed (no target pod on a node, a missing Secret). A target Service
 * without a ready pod on several nodes is one finding about its DaemonSet, not one per node.
 */
import { parseNoTargetPod } from '../../../runtime/source/check-target.js';
import { withoutLabel } from '../../classify.js';
import type { CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import type { DiagnoseContext, RuleFinding } from '../context.js';
import { distinct, groupBy, listed } from '../text.js';

export function invalidChecks(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const invalid = ctx.live.filter((row) => row.state === 'invalid');
  const reasonOf = (row: CheckRow) => withoutLabel(row.lastFailure?.message).replace(/^invalid check: /, '');
  const missingPod = (row: CheckRow) => parseNoTargetPod(reasonOf(row));
  const claimed = new Set<CheckRow>();
  for (const [service, rows] of groupBy(
    invalid.filter((row) => missingPod(row)),
    (row) => missingPod(row)!.service,
  )) {
    const nodes = distinct(rows.map((row) => missingPod(row)!.node));
    if (nodes.length < 2) continue;
    const answering = ctx.index
      .ofTarget(rows[0]!.target.name)
      .some((row) => row.target.node !== undefined && ctx.isAnswering(row));
    const finding = ctx.finding({
      severity: 'warning',
      rule: 'invalid-check',
      culprit: `target ${service}: no ready pod on ${answering ? `${nodes.length} nodes` : `any of ${nodes.length} nodes`} (${listed(nodes)})`,
      confidence: 'high',
      summary:
        `${rows.length} checks cannot be probed: Service ${service} has no ready endpoint on ${listed(nodes)}. ` +
        (answering
          ? 'Its pods on other nodes answer: look at the nodes listed.'
          : 'No target pod answers anywhere: the DaemonSet is not applied, its pods do not start, or they are not ready.'),
      evidence: rows.map((row) => ctx.invalidEvidence(row)),
      observers: ctx.observers(rows),
      next: steps.targetDaemonSetSteps(ctx.namespace, service),
    });
    for (const row of rows) claimed.add(row);
    results.push({ finding, explains: rows });
  }
  for (const [text, rows] of groupBy(
    invalid.filter((row) => !claimed.has(row)),
    reasonOf,
  )) {
    const targetPod = parseNoTargetPod(text);
    const finding = ctx.finding({
      severity: 'warning',
      rule: 'invalid-check',
      culprit: targetPod
        ? `target pod on node ${targetPod.node}: not running or not ready`
        : `check configuration: ${text}`,
      confidence: 'high',
      summary: `${rows.length === 1 ? 'A check cannot' : `${rows.length} checks cannot`} be probed: ${text}`,
      evidence: rows.map((row) => ctx.invalidEvidence(row)),
      observers: ctx.observers(rows),
      next: steps.invalidCheckSteps(ctx.namespace, rows[0]!.check, targetPod),
    });
    results.push({ finding, explains: rows });
  }
  return results;
}
