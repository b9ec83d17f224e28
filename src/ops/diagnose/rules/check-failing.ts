/** check-failing: what no other rule explains, one finding per target, node and failure kind. */
import { FAILURE_LABELS, withoutLabel } from '../../classify.js';
import * as steps from '../../next-steps.js';
import type { DiagnoseContext, RuleFinding } from '../context.js';
import { describeSources, groupBy, layerCulprit, nodeTitle, uniqueSources } from '../text.js';

export function remainingFailures(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  for (const group of groupBy(
    ctx.unexplainedFailing(),
    (row) => `${row.target.name}\n${row.target.node ?? ''}\n${row.lastFailure?.kind}`,
  ).values()) {
    const row = group[0]!;
    const kind = row.lastFailure?.kind ?? 'other';
    const title = row.target.node ? `${row.target.name} on ${nodeTitle(row.target.node, group)}` : row.target.name;
    const noBackends = row.target.kind === 'service' && !row.target.backends;
    results.push({
      finding: ctx.finding({
        severity: 'critical',
        rule: 'check-failing',
        culprit: `${title}: ${layerCulprit(kind, row)}`,
        confidence: 'high',
        summary:
          `${group.length === 1 ? 'The check fails' : `${group.length} checks fail`} from ${describeSources(uniqueSources(group))} (${FAILURE_LABELS[kind]}): ${withoutLabel(row.lastFailure?.message)}.` +
          (noBackends
            ? ` Set backends: on target ${row.target.name} in the topology so diagnose can tell service proxying from its endpoints.`
            : ''),
        evidence: group.map((failing) => ctx.failingEvidence(failing)),
        observers: ctx.observers(group),
        next: steps.checkSteps(ctx.namespace, row),
      }),
      explains: group,
    });
  }
  return results;
}
