/**
 * source-side: a source whose probes fail everywhere, while others reach those targets: the fault is on its side
 * (its pod, pod network, node or egress). When its checks of Services or endpoints still answer and only the other
 * nodes fail, it is cut off from its peers. Without another observer to compare, confidence is low. Its failures are
 * explained here and never spread blame to the nodes it cannot reach.
 */
import { describeSource, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import type { DiagnoseContext, RuleFinding } from '../context.js';
import { distinct, kindsText } from '../text.js';
import { nodeShownUp, offNodeRows } from './isolation.js';

export function sourceSideFailures(ctx: DiagnoseContext, failingEverything: ReadonlySet<string>): RuleFinding[] {
  const results: RuleFinding[] = [];
  for (const [key, state] of ctx.sources) {
    if (ctx.ownSideSources.has(key)) continue;
    const rows = ctx.index.ofSource(key).filter((row) => !ctx.explainedBy.has(row));
    // A node probing itself still answers when its link is down: only probes to elsewhere count.
    const checked = rows.filter((row) => row.state !== 'invalid' && !ctx.isSelf(row));
    const everyCheck = checked.length >= 2 && checked.every((row) => ctx.isFailing(row));
    const peersOnly = !everyCheck && failingEverything.has(key);
    if (!everyCheck && !peersOnly) continue;
    const failing: CheckRow[] = everyCheck ? checked : offNodeRows(ctx, key).filter((row) => !ctx.explainedBy.has(row));
    failing.push(...rows.filter((row) => ctx.isSelf(row) && ctx.isFailing(row)));
    if (failing.length === 0) continue;
    const source = state.source;
    const targets = new Set(failing.map((row) => row.target.name));
    const others = ctx.answeringOutside(key, targets);
    const nodes = distinct(failing.flatMap((row) => (row.target.node ? [row.target.node] : [])));
    const shownUp = nodes.flatMap((node) => nodeShownUp(ctx, node, state.runsOn).slice(0, 1));
    const high = peersOnly ? shownUp.length > 0 : others.count > 0;
    const contrast = peersOnly ? shownUp : others.contrast;
    const stillAnswering = peersOnly ? checked.filter((row) => ctx.isAnswering(row)) : [];
    const where = state.runsOn && !source.node ? ` (on ${state.runsOn})` : '';
    const finding = ctx.finding({
      severity: 'critical',
      rule: 'source-side',
      culprit: peersOnly
        ? `source ${describeSource(source)}${where}: cannot reach other nodes`
        : `source ${describeSource(source)}${where}: its ${source.node ? 'pod network or node' : 'pod, node or egress'}`,
      confidence: high ? 'high' : 'low',
      summary: peersOnly
        ? `Every check from ${describeSource(source)} to another node fails: ${failing.length} checks on ${nodes.length} nodes (${kindsText(failing)}), while ${stillAnswering.length} of its other checks answer. ` +
          (high
            ? `Other sources show those nodes up, so the fault is between this source and its peers (its node's routes or firewall, or the overlay), not on the nodes it cannot reach.`
            : 'Nothing else shows those nodes up, so an outage of them all is not ruled out.')
        : `Every check from ${describeSource(source)} fails: ${failing.length} checks (${kindsText(failing)}). ` +
          (high
            ? `Other sources reach their targets (${others.count} checks answer), so the fault is on this source's side.`
            : 'No other source has results to compare, so this cannot be told apart from an outage of everything it probes; a second source would tell.'),
      evidence: [
        ...failing.map((row) => ctx.failingEvidence(row)),
        ...contrast.map((row) => ctx.answeringEvidence(row)),
      ],
      observers: ctx.observers([...failing, ...contrast]),
      next: steps.sourceNetworkSteps(ctx.namespace, source, failing.find((row) => row.address) ?? failing[0]),
    });
    results.push({ finding, explains: failing, ownSide: [key] });
  }
  return results;
}
