/**
 * loss: checks whose recent results are failures interleaved with successes (packet loss, a flapping path). Never
 * critical on its own. Loss seen by two or more sources on one node's checks, or on the checks of the sources running
 * there, is that node's link; otherwise each path is its own finding. Read from the stored logs alone, so one run of
 * diagnose gives what the next gives over the same statuses.
 */
import { describeSource, sourceKey, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import type { DiagnoseContext, RuleFinding } from '../context.js';
import { distinct, groupBy, nodeTitle, plural, uniqueSources, describeSources } from '../text.js';

export function lossFindings(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const lossy = ctx.live.filter((row) => ctx.isLossy(row) && !ctx.explainedBy.has(row));
  const claimed = new Set<CheckRow>();
  // A node's link: its inbound checks seen lossy from two or more sources, plus what its own sources see.
  for (const [node, inbound] of groupBy(
    lossy.filter((row) => row.target.node && !ctx.isSelf(row)),
    (row) => row.target.node!,
  )) {
    const observers = uniqueSources(inbound);
    const onNode = new Set(ctx.sourcesOn(node));
    const outbound = lossy.filter((row) => onNode.has(sourceKey(row.source)) && !ctx.isSelf(row));
    if (observers.length < 2 && outbound.length === 0) continue;
    const rows = distinct([...inbound, ...outbound]).filter((row) => !claimed.has(row));
    if (rows.length === 0) continue;
    const clean = ctx.index.toNode(node).filter((row) => !ctx.isSelf(row) && ctx.isAnswering(row) && !row.loss);
    for (const row of rows) claimed.add(row);
    results.push({
      finding: ctx.finding({
        severity: 'warning',
        rule: 'loss',
        culprit: `${nodeTitle(node, inbound)}: packet loss on its link`,
        confidence: observers.length >= 2 || outbound.length > 0 ? 'high' : 'low',
        summary:
          `${plural(rows.length, 'check')} to and from ${node} fail intermittently (${figures(rows)}, about ${percentOf(rows)}%), seen by ${describeSources(observers)}` +
          (outbound.length > 0 ? ` and by the source on ${node} itself` : '') +
          `: failures interleave with successes, which is loss on ${node}'s link or its network, not an outage.` +
          (clean.length > 0
            ? ` ${plural(clean.length, 'other check')} to it answer${clean.length === 1 ? 's' : ''} cleanly.`
            : ''),
        evidence: rows.map((row) => ctx.lossyEvidence(row)),
        observers: ctx.observers(rows, clean),
        next: steps.nodeSteps(ctx.namespace, node, inbound.find((row) => row.address)?.address, [], true),
      }),
      explains: rows,
    });
  }
  for (const rows of groupBy(
    lossy.filter((row) => !claimed.has(row)),
    (row) => `${sourceKey(row.source)}\n${row.target.name}\n${row.target.node ?? ''}`,
  ).values()) {
    const row = rows[0]!;
    const to = row.target.node ? `${row.target.name} on ${row.target.node}` : row.target.name;
    results.push({
      finding: ctx.finding({
        severity: 'warning',
        rule: 'loss',
        culprit: `the path from ${describeSource(row.source)} to ${to}: packet loss`,
        confidence: 'low',
        summary: `${rows.length === 1 ? 'The check fails' : `${rows.length} checks fail`} intermittently (${figures(rows)}, about ${percentOf(rows)}%): failures interleave with successes. One observer only, so the source's side is not ruled out.`,
        evidence: rows.map((lossyRow) => ctx.lossyEvidence(lossyRow)),
        observers: ctx.observers(rows),
        next: steps.checkSteps(ctx.namespace, row),
      }),
      explains: rows,
    });
  }
  return results;
}

/** The rows' loss: the sources' own Degraded figures where they give one, else what the logs show. */
function percentOf(rows: readonly CheckRow[]): number {
  const figures = rows.map((row) => row.degraded?.percent ?? row.loss?.percent).filter((value) => value !== undefined);
  if (rows.every((row) => row.degraded?.percent === undefined)) {
    const failures = rows.reduce((sum, row) => sum + (row.loss?.failures ?? 0), 0);
    const probes = rows.reduce((sum, row) => sum + (row.loss?.probes ?? 0), 0);
    return probes === 0 ? 0 : Math.round((failures / probes) * 100);
  }
  return figures.length === 0 ? 0 : Math.round(figures.reduce((sum, value) => sum + value, 0) / figures.length);
}

function figures(rows: readonly CheckRow[]): string {
  const degraded = rows.filter((row) => row.degraded).length;
  const failures = rows.reduce((sum, row) => sum + (row.loss?.failures ?? 0), 0);
  const probes = rows.reduce((sum, row) => sum + (row.loss?.probes ?? 0), 0);
  return [
    degraded > 0 ? `${degraded} Degraded by their source` : '',
    probes > 0 ? `${failures} of their last ${probes} stored probes failed` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
