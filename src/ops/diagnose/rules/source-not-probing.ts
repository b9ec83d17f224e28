/**
 * source-not-probing: a source that is quiet (its heartbeat Lease not renewed for its declared duration, or, without
 * a heartbeat, none of its results recent) or that leaves some of its checks without results. Quiet sources a node
 * finding already explains (they run on the down node) are left to it.
 */
import { formatTime } from '../../../runtime/status/time.js';
import { describeSource, sourceKey } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import type { DiagnoseContext, RuleFinding } from '../context.js';
import { groupBy, latest } from '../text.js';

export function sourcesNotProbing(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  for (const [key, rows] of groupBy(ctx.rows, (row) => sourceKey(row.source))) {
    if (ctx.explainedSources.has(key)) continue;
    const quiet = rows.filter((row) => ctx.quiet.has(row));
    if (quiet.length === 0) continue;
    const state = ctx.sources.get(key)!;
    const source = state.source;
    const heartbeatStale = state.liveness?.state === 'quiet';
    const all = quiet.length === rows.length;
    const newest = latest(quiet.map((row) => row.lastProbe?.time));
    const since = state.liveness?.since;
    const where = state.runsOn && !source.node ? ` (on ${state.runsOn})` : '';
    const summary = heartbeatStale
      ? `Its heartbeat Lease was ${since ? `last renewed ${formatTime(since)}` : 'never renewed'}${state.liveness?.holder ? ` by pod ${state.liveness.holder}` : ''}: the source pod is not running, stuck, or cannot reach the API server. Its ${rows.length} checks' results are shown but do not count as evidence.`
      : all
        ? `None of its ${rows.length} checks has a recent result (${newest ? `newest from ${formatTime(newest)}` : 'never probed'}): the source pod is not running, not ready, or cannot write status.`
        : `${quiet.length} of its ${rows.length} checks ${quiet.length === 1 ? 'has' : 'have'} no recent result while the others do: the source does not see or cannot probe ${quiet.length === 1 ? 'it' : 'them'}.`;
    const finding = ctx.finding({
      severity: 'warning',
      rule: 'source-not-probing',
      culprit: heartbeatStale
        ? `source ${describeSource(source)}${where}: quiet${since ? ` since ${formatTime(since)}` : ''}`
        : all
          ? `source ${describeSource(source)}: not probing`
          : `source ${describeSource(source)}: ${quiet.length} check${quiet.length === 1 ? '' : 's'} without results`,
      confidence: 'high',
      summary,
      evidence: quiet.map((row) => ctx.quietEvidence(row)),
      observers: ctx.observers([], [], [key]),
      next: steps.sourceSteps(ctx.namespace, source),
    });
    results.push({ finding, explains: [], explainsSources: [key] });
  }
  return results;
}
