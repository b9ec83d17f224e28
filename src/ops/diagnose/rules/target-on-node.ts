/** target-on-node: a per-node target fails on one node while it answers on others ("one master failing"). */
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { describeSources, distinct, groupBy, kindsText, nodeTitle, uniqueSources } from '../text.js';

export function targetOnNode(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const candidates = ctx.unexplainedFailing().filter((row) => row.target.node);
  for (const rows of groupBy(candidates, (row) => `${row.target.name}\n${row.target.node}`).values()) {
    const { name: target, node } = { name: rows[0]!.target.name, node: rows[0]!.target.node! };
    const all = ctx.index
      .toNode(node)
      .filter((row) => row.target.name === target && row.state !== 'invalid' && !ctx.isSelf(row));
    if (!all.every((row) => ctx.isFailing(row))) continue;
    const elsewhere = ctx.answeringElsewhere(target, node);
    if (elsewhere.nodes === 0) continue;
    const nodeAnswers = ctx.index
      .toNode(node)
      .filter((row) => row.target.name !== target && !ctx.isSelf(row) && ctx.isAnswering(row));
    const port = steps.portOf(rows[0]!);
    const refusedOnly = rows.every((row) => row.lastFailure?.kind === 'refused');
    const hint = refusedOnly
      ? ` Connection refused: nothing listens on ${port ? `port ${port}` : 'the port'} there (the process is down) or a firewall rejects.`
      : rows.every((row) => row.lastFailure?.kind === 'timeout')
        ? ` Timeouts: a firewall drops ${port ? `port ${port}` : 'the port'} there, or the process hangs.`
        : '';
    const contrast = [...nodeAnswers, ...elsewhere.first].slice(0, CONTRAST_EVIDENCE);
    results.push({
      finding: ctx.finding({
        severity: 'warning',
        rule: 'target-on-node',
        culprit: `${target} on ${nodeTitle(node, rows)}`,
        // Refusals come from the node itself, so they show it is up as well as another target answering would.
        confidence: nodeAnswers.length > 0 || refusedOnly ? 'high' : 'low',
        summary:
          `${target} fails on ${node} (${kindsText(rows)}) from ${describeSources(uniqueSources(rows))}, while it answers on ${elsewhere.nodes} other node${elsewhere.nodes === 1 ? '' : 's'}` +
          (nodeAnswers.length > 0
            ? ` and ${node} answers ${distinct(nodeAnswers.map((row) => row.target.name)).join(', ')}: the node is up, ${target} on it is not.`
            : refusedOnly
              ? `; nothing else is probed on ${node}, but it answers with refusals: the node is up, ${target} on it is not.`
              : '; nothing else is probed on that node.') +
          hint,
        evidence: [
          ...rows.map((row) => ctx.failingEvidence(row)),
          ...contrast.map((row) => ctx.answeringEvidence(row)),
        ],
        observers: ctx.observers([...rows, ...contrast]),
        next: steps.targetOnNodeSteps(ctx.namespace, rows[0]!),
      }),
      explains: rows,
    });
  }
  return results;
}
