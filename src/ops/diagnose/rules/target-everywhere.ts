/** target-everywhere: a per-node target fails on every node (at least two) it is probed on, while the nodes answer. */
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { groupBy, kindsText } from '../text.js';

/** Per-node targets failing on every node (at least two) they are probed on, sources on their own side left out. */
export function targetsFailingEverywhere(ctx: DiagnoseContext): Set<string> {
  const everywhere = new Set<string>();
  for (const [target, rows] of groupBy(ctx.nodeRows(), (row) => row.target.name)) {
    const nodes = new Set(rows.map((row) => row.target.node));
    if (nodes.size >= 2 && rows.every((row) => ctx.isFailing(row))) everywhere.add(target);
  }
  return everywhere;
}

export function targetEverywhereFindings(ctx: DiagnoseContext, everywhere: ReadonlySet<string>): RuleFinding[] {
  const results: RuleFinding[] = [];
  const byTarget = groupBy(ctx.nodeRows(), (row) => row.target.name);
  for (const target of everywhere) {
    const all = byTarget.get(target) ?? [];
    if (all.length === 0) continue;
    const selfFailing = ctx.index.ofTarget(target).filter((row) => ctx.isSelf(row) && ctx.isFailing(row));
    const rows = [...all, ...selfFailing].filter((row) => !ctx.explainedBy.has(row));
    if (rows.length === 0) continue;
    const nodes = new Set(all.map((row) => row.target.node));
    const othersOnNodes = ctx.live.filter(
      (row) => row.target.name !== target && nodes.has(row.target.node) && !ctx.isSelf(row) && ctx.isAnswering(row),
    );
    const port = steps.portOf(all[0]!);
    const contrast = othersOnNodes.slice(0, CONTRAST_EVIDENCE);
    results.push({
      finding: ctx.finding({
        severity: 'critical',
        rule: 'target-everywhere',
        culprit: `${target} on every node${port ? ` (port ${port})` : ''}`,
        confidence: othersOnNodes.length > 0 ? 'high' : 'low',
        summary:
          `${target} fails on all ${nodes.size} nodes it is probed on (${kindsText(all)})` +
          (othersOnNodes.length > 0
            ? `, while those nodes answer other probes: the service is down everywhere, or a firewall or NetworkPolicy blocks ${port ? `port ${port}` : 'it'}.`
            : '; nothing else is probed on those nodes, so the nodes being down is not ruled out.'),
        evidence: [
          ...rows.map((row) => ctx.failingEvidence(row)),
          ...contrast.map((row) => ctx.answeringEvidence(row)),
        ],
        observers: ctx.observers([...rows, ...contrast]),
        next: steps.targetEverywhereSteps(ctx.namespace, all[0]!),
      }),
      explains: rows,
    });
  }
  return results;
}
