/** path: a node answers other sources but not this one; both directions failing between two nodes make one finding. */
import { describeSource, sourceKey, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { describeSources, groupBy, kindsText, uniqueSources } from '../text.js';

export function paths(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  // A node reaching itself says nothing about the network between nodes.
  const candidates = ctx.unexplainedFailing().filter((row) => row.target.node && !ctx.isSelf(row));
  const reachedFromElsewhere = (group: CheckRow[]) =>
    ctx.index
      .toNode(group[0]!.target.node!)
      .filter(
        (row) => !ctx.isSelf(row) && sourceKey(row.source) !== sourceKey(group[0]!.source) && ctx.isAnswering(row),
      );
  const groups = [...groupBy(candidates, (row) => `${sourceKey(row.source)}\n${row.target.node}`).values()].filter(
    (rows) => reachedFromElsewhere(rows).length > 0,
  );
  const pairKey = (rows: CheckRow[]) =>
    [rows[0]!.source.node ?? sourceKey(rows[0]!.source), rows[0]!.target.node!].sort().join('\n');
  for (const directions of groupBy(groups, pairKey).values()) {
    const rows = directions.flat();
    const [first, second] = directions.map((group) => group[0]!);
    const both =
      second !== undefined && first!.source.node === second.target.node && second.source.node === first!.target.node;
    const pair = new Set(directions.map((group) => group[0]!.target.node));
    const fromOthers = directions.flatMap(reachedFromElsewhere).filter((row) => !both || !pair.has(ctx.runsOn(row)));
    const describeDirection = (group: CheckRow[]) =>
      `${group.length === 1 ? '1 check' : `${group.length} checks`} from ${describeSource(group[0]!.source)} to ${group[0]!.target.node} fail${group.length === 1 ? 's' : ''} (${kindsText(group)})`;
    const reachers = uniqueSources(fromOthers);
    const contrast = fromOthers.slice(0, CONTRAST_EVIDENCE);
    results.push({
      finding: ctx.finding({
        severity: 'warning',
        rule: 'path',
        culprit: both
          ? `the path between ${[...pair].sort().join(' and ')}`
          : `the path from ${describeSource(first!.source)} to ${first!.target.node}`,
        confidence: 'high',
        summary: `${directions.map(describeDirection).join('; ')}, while ${describeSources(reachers)} reach${reachers.length > 1 ? '' : 'es'} ${both ? 'both nodes' : first!.target.node}: routing or filtering between the two.`,
        evidence: [
          ...rows.map((row) => ctx.failingEvidence(row)),
          ...contrast.map((row) => ctx.answeringEvidence(row)),
        ],
        observers: ctx.observers([...rows, ...fromOthers]),
        next: directions.flatMap((group) =>
          steps.pathSteps(
            ctx.namespace,
            group[0]!.source,
            group[0]!.target.node!,
            group.find((row) => row.address)?.address ??
              fromOthers.find((row) => row.target.node === group[0]!.target.node && row.address)?.address,
          ),
        ),
      }),
      explains: rows,
    });
  }
  return results;
}
