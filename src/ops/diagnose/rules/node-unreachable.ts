/**
 * node-unreachable: every fresh probe of a node fails, at least one of them from an independent observer (a source
 * that reaches other nodes), nothing fresh gets through to it, and no source running on it gets out. One fresh
 * observer that reaches the node, or a source on it that reaches another node, clears it. Its own sources being
 * quiet (no heartbeat) or reaching no other node corroborate it, and are explained by it.
 */
import { sourceKey } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { describeSources, distinct, groupBy, kindsText, nodeTitle, preferSameTargets, uniqueSources } from '../text.js';
import { keyOf, offNodeRows } from './isolation.js';

export function unreachableNodes(
  ctx: DiagnoseContext,
  everywhere: ReadonlySet<string>,
  failingEverything: ReadonlySet<string>,
): RuleFinding[] {
  const results: RuleFinding[] = [];
  const candidates = ctx.live.filter(
    (row) => row.target.node && row.state !== 'invalid' && !ctx.isSelf(row) && !ctx.explainedBy.has(row),
  );
  for (const [node, rows] of groupBy(candidates, (row) => row.target.node!)) {
    if (!rows.every((row) => ctx.isFailing(row))) continue;
    const independent = rows.filter((row) => !failingEverything.has(keyOf(row)));
    if (independent.length === 0) continue;
    // Only targets that fail on every node: the target is the better explanation.
    if (rows.every((row) => everywhere.has(row.target.name))) continue;
    const onNode = ctx.sourcesOn(node);
    // Its own sources getting out show the node up: what fails is the way in (a firewall on it, routes to it).
    const inboundOnly = onNode.filter((key) => ctx.reachesOut(key));
    const quietOnNode = onNode.filter((key) => ctx.sources.get(key)?.liveness?.state === 'quiet');
    const cutOffOnNode = onNode.filter((key) => failingEverything.has(key));
    const outbound = cutOffOnNode.flatMap((key) =>
      ctx.index.ofSource(key).filter((row) => !ctx.isSelf(row) && ctx.isFailing(row) && !ctx.explainedBy.has(row)),
    );
    const corroborated = quietOnNode.length > 0 || cutOffOnNode.length > 0;
    const sources = uniqueSources(rows);
    const targets = distinct(rows.map((row) => row.target.name));
    const title = nodeTitle(node, rows);
    const podsOnly = rows.every((row) => row.target.kind === 'p2pnc-target');
    const allRefused = rows.every((row) => row.lastFailure?.kind === 'refused');
    // A refusal is an answer from the node: with one target probed there, that target is down, not the node.
    if (allRefused && targets.length < 2 && !corroborated) continue;
    const observerNodes = distinct(independent.map((row) => ctx.runsOn(row) ?? sourceKey(row.source)));
    const keys = new Set(sources.map(sourceKey));
    const elsewhere = ctx.index
      .ofSources(keys)
      .filter((row) => row.target.node !== node && !ctx.isSelf(row) && ctx.isAnswering(row));
    const caveats: string[] = [];
    if (observerNodes.length < 2 && !corroborated)
      caveats.push(`Only ${describeSources(sources)} probes it, so the path from there is not ruled out.`);
    if (targets.length < 2 && !corroborated)
      caveats.push(`Only ${targets[0]} is probed on it, so that target alone failing is not ruled out.`);
    const selfFailing = ctx.index
      .toNode(node)
      .filter((row) => ctx.isSelf(row) && ctx.isFailing(row) && !ctx.explainedBy.has(row));
    const summary =
      `Every check to ${node} fails: ${rows.length} checks of ${targets.join(', ')} from ${describeSources(sources)} (${kindsText(rows)}).` +
      (allRefused ? ' Every probed port refuses: the host is up, but nothing listens or a firewall rejects.' : '') +
      (rows.some((row) => row.probe === 'icmp') && rows.some((row) => row.probe !== 'icmp')
        ? ' Neither ICMP echo nor its ports answer: the node is down or cut off, not one service or one filtered protocol.'
        : '') +
      (elsewhere.length > 0 ? ` The same source${sources.length > 1 ? 's reach' : ' reaches'} other nodes.` : '') +
      (cutOffOnNode.length > 0
        ? ` The source on ${node} reaches no other node either: the node's own network is down.`
        : '') +
      (quietOnNode.length > 0
        ? ` Its source${quietOnNode.length === 1 ? '' : 's'} (${describeSources(quietOnNode.map((key) => ctx.sources.get(key)!.source))}) ${quietOnNode.length === 1 ? 'is' : 'are'} quiet (no heartbeat): ${quietOnNode.length === 1 ? 'it cannot' : 'they cannot'} reach the API server either.`
        : '') +
      (caveats.length > 0 ? ` ${caveats.join(' ')}` : '');
    const explains = [...rows, ...outbound, ...selfFailing];
    const finding = ctx.finding({
      severity: 'critical',
      rule: 'node-unreachable',
      culprit:
        cutOffOnNode.length > 0
          ? `${title}: its network (probes to and from it fail)`
          : quietOnNode.length > 0
            ? `${title}: down or cut off (its sources cannot write either)`
            : inboundOnly.length > 0
              ? `${title}: connections into it fail (its own probes get out)`
              : `${title}: the node or its ${podsOnly ? 'pod' : 'host'} network`,
      confidence: caveats.length === 0 ? 'high' : 'low',
      summary,
      evidence: [
        ...explains.map((row) => ctx.failingEvidence(row)),
        ...preferSameTargets(elsewhere, new Set(targets))
          .slice(0, CONTRAST_EVIDENCE)
          .map((row) => ctx.answeringEvidence(row)),
        ...ctx.rows
          .filter((row) => ctx.quiet.has(row) && quietOnNode.includes(sourceKey(row.source)))
          .slice(0, CONTRAST_EVIDENCE)
          .map((row) => ctx.quietEvidence(row)),
      ],
      observers: ctx.observers(
        [...rows, ...outbound],
        inboundOnly.flatMap((key) => offNodeRows(ctx, key).filter((row) => ctx.getsThrough(row))),
        quietOnNode,
      ),
      next: steps.nodeSteps(
        ctx.namespace,
        node,
        rows.find((row) => row.address)?.address,
        distinct(sources.map((source) => source.node ?? '').filter(Boolean)),
        rows.some((row) => row.target.kind === 'p2pnc-target'),
      ),
    });
    results.push({ finding, explains, explainsSources: quietOnNode, ownSide: cutOffOnNode });
  }
  return results;
}
