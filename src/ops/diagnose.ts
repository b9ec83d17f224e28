/**
 * `p2pnc diagnose`: the layered method of the OKD SDN debugging guide run over the whole check matrix. Each failing
 * check is classified (DNS, refused, timeout, no route, TLS, HTTP status) and the failures are correlated, most
 * telling pattern first, each check explained by at most one finding. One module per rule (./diagnose/rules/); this
 * file runs them in order and records what each explains, so a later rule only sees what is still unexplained.
 *
 *   no-checks           nothing to diagnose: the checks are not applied, or the namespace is wrong
 *   invalid-check       the check itself is malformed (no target pod on a node, missing Secret)
 *   node-unreachable    every fresh probe of a node fails, one at least from an independent observer, nothing fresh
 *                       gets through to it and no source on it gets out
 *   pod-network         a node's pod-network paths fail (dropped, not refused) while its host-network paths answer
 *   control-plane-path  a host-network source on a control-plane node (the API server's vantage) fails to reach
 *                       kubelets, etcd, webhooks, aggregated APIs or Konnectivity
 *   source-side         a source fails everything (or every other node) while others reach those targets
 *   source-not-probing  a source is quiet (stale heartbeat, or no recent results) or leaves checks without results
 *   dns                 lookups fail while checks by IP answer: the resolver, one missing name, or the cluster DNS
 *   target-everywhere   a per-node target fails on every node while the nodes answer other probes
 *   target-on-node      a per-node target fails on one node while it answers on others
 *   path                a node answers other sources but not this one: the path between them
 *   load-balancer       a load balancer fails while its backends answer from the same source
 *   service-proxying    a Service fails while its endpoints answer from the same source
 *   loss                failures interleaved with successes: loss on a node's link or on one path (never critical)
 *   check-failing       what is left, one finding per target and failure kind
 *
 * Evidence rules: results of a quiet source (stale heartbeat) are shown, never counted; an observer whose every probe
 * to other nodes fails is not independent; one fresh observer getting through to a node clears it.
 *
 * Pure: check objects, heartbeats and the time in, findings out; I/O stays in the CLI command.
 */
import type { CheckObject } from '../runtime/kube/resources.js';
import { formatTime } from '../runtime/status/time.js';
import { DiagnoseContext, type DiagnoseOptions, type FollowerJoin, type RuleFinding } from './diagnose/context.js';
import { remainingFailures } from './diagnose/rules/check-failing.js';
import { controlPlaneFindings } from './diagnose/rules/control-plane.js';
import { dnsFailures } from './diagnose/rules/dns.js';
import { fronts, frontsFollowingBackends } from './diagnose/rules/fronts.js';
import { invalidChecks } from './diagnose/rules/invalid-check.js';
import { sourcesFailingEverything } from './diagnose/rules/isolation.js';
import { lossFindings } from './diagnose/rules/loss.js';
import { noChecks } from './diagnose/rules/no-checks.js';
import { unreachableNodes } from './diagnose/rules/node-unreachable.js';
import { paths } from './diagnose/rules/path.js';
import { podNetworkFindings } from './diagnose/rules/pod-network.js';
import { sourcesNotProbing } from './diagnose/rules/source-not-probing.js';
import { sourceSideFailures } from './diagnose/rules/source-side.js';
import { targetEverywhereFindings, targetsFailingEverywhere } from './diagnose/rules/target-everywhere.js';
import { targetOnNode } from './diagnose/rules/target-on-node.js';
import { sortFindings, type CheckCounts, type Diagnosis, type Finding } from './findings.js';
import { toRows, type CheckRow } from './matrix.js';

export type { DiagnoseOptions };

export function diagnose(checks: readonly CheckObject[], options: DiagnoseOptions): Diagnosis {
  return diagnoseRows(toRows(checks), options);
}

/** The same over rows already made (sorted as toRows sorts them): the CLI reads rows page by page. */
export function diagnoseRows(rows: readonly CheckRow[], options: DiagnoseOptions): Diagnosis {
  const ctx = new DiagnoseContext(rows, options);
  const findings: Finding[] = [];
  const record = (results: readonly RuleFinding[]) => {
    for (const { finding, explains, explainsSources, ownSide } of results) {
      findings.push(finding);
      for (const row of explains) ctx.explainedBy.set(row, finding);
      for (const key of explainsSources ?? []) ctx.explainedSources.set(key, finding);
      for (const key of ownSide ?? []) ctx.ownSideSources.add(key);
    }
  };
  record(noChecks(ctx));
  record(invalidChecks(ctx));
  const failingEverything = sourcesFailingEverything(ctx);
  const everywhere = targetsFailingEverywhere(ctx);
  record(unreachableNodes(ctx, everywhere, failingEverything));
  record(podNetworkFindings(ctx));
  record(controlPlaneFindings(ctx));
  record(sourceSideFailures(ctx, failingEverything));
  record(sourcesNotProbing(ctx));
  record(dnsFailures(ctx));
  record(targetEverywhereFindings(ctx, targetsFailingEverywhere(ctx)));
  record(targetOnNode(ctx));
  record(paths(ctx));
  record(fronts(ctx));
  join(ctx, frontsFollowingBackends(ctx));
  record(lossFindings(ctx));
  record(remainingFailures(ctx));
  return {
    time: formatTime(options.now),
    namespace: ctx.namespace,
    checks: counts(ctx),
    findings: sortFindings(findings),
  };
}

/** Fronts failing because their backends fail join the backends' finding: their evidence, and one sentence. */
function join(ctx: DiagnoseContext, joins: readonly FollowerJoin[]): void {
  for (const { finding, rows, sentence } of joins) {
    finding.evidence.push(...rows.map((row) => ctx.failingEvidence(row)));
    finding.summary += ` ${sentence}`;
    for (const row of rows) ctx.explainedBy.set(row, finding);
  }
}

function counts(ctx: DiagnoseContext): CheckCounts {
  const quiet = [...ctx.quiet.values()];
  return {
    total: ctx.rows.length,
    answering: ctx.live.filter((row) => ctx.isAnswering(row)).length,
    failing: ctx.live.filter((row) => ctx.isFailing(row)).length,
    silent: quiet.filter((state) => state !== 'never-probed').length,
    pending: ctx.pending + quiet.filter((state) => state === 'never-probed').length,
    invalid: ctx.live.filter((row) => row.state === 'invalid').length,
  };
}
