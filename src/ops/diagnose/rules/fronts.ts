/**
 * load-balancer and service-proxying: a front (load balancer, Service) fails while its backends answer from the same
 * source. Service virtual IPs are forwarded on the client's node, so several Services failing from one source point
 * at that node's proxying. A front whose backends all fail fails because of them: it joins the backends' finding.
 */
import { sourceKey, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type FollowerJoin, type RuleFinding } from '../context.js';
import type { Finding } from '../../findings.js';
import {
  backendsOf,
  describeNodes,
  describeSources,
  distinct,
  groupBy,
  kindsText,
  serviceTitle,
  uniqueSources,
} from '../text.js';

export function fronts(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const candidates = ctx.unexplainedFailing().filter((row) => backendsOf(row) !== undefined);
  const failing = candidates.filter((row) => ctx.backendRows(row).some((backend) => ctx.isAnswering(backend)));
  for (const rows of groupBy(
    failing.filter((row) => row.target.kind === 'endpoint'),
    (row) => row.target.name,
  ).values())
    results.push(loadBalancer(ctx, rows));
  const services = failing.filter((row) => row.target.kind !== 'endpoint');
  const perSource = [...groupBy(services, (row) => sourceKey(row.source)).values()].filter(
    (rows) => distinct(rows.map((row) => row.target.name)).length >= 2,
  );
  for (const rows of perSource) results.push(serviceProxying(ctx, rows, 'node'));
  const claimed = new Set(perSource.flat());
  for (const rows of groupBy(
    services.filter((row) => !claimed.has(row)),
    (row) => row.target.name,
  ).values())
    results.push(serviceProxying(ctx, rows, 'service'));
  return results;
}

function loadBalancer(ctx: DiagnoseContext, rows: CheckRow[]): RuleFinding {
  const front = rows[0]!;
  const backends = backendsOf(front)!;
  const sources = uniqueSources(rows);
  const probing = uniqueSources(ctx.index.ofTarget(front.target.name));
  const where = sources.length > 1 && sources.length === probing.length ? 'every source' : describeSources(sources);
  const { answering, text } = backendsAnswering(ctx, rows, sources.length);
  return {
    finding: ctx.finding({
      severity: 'critical',
      rule: 'load-balancer',
      culprit: `load balancer ${front.endpoint} (${front.target.name})`,
      confidence: 'high',
      summary: `${front.target.name} fails from ${where} (${kindsText(rows)}), while ${text}: the load balancer (its listener, health checks or backend registration) is at fault.`,
      evidence: [
        ...rows.map((row) => ctx.failingEvidence(row)),
        ...answering.slice(0, CONTRAST_EVIDENCE).map((row) => ctx.answeringEvidence(row)),
      ],
      observers: ctx.observers([...rows, ...answering]),
      next: steps.loadBalancerSteps(ctx.namespace, front, backends),
    }),
    explains: rows,
  };
}

/** `node`: several Services fail from one source; `service`: one Service fails, from one or more sources. */
function serviceProxying(ctx: DiagnoseContext, rows: CheckRow[], scope: 'node' | 'service'): RuleFinding {
  const sources = uniqueSources(rows);
  const services = distinct(rows.map((row) => serviceTitle(row)));
  const { answering, text } = backendsAnswering(ctx, rows, sources.length);
  const probing = uniqueSources(ctx.index.ofTarget(rows[0]!.target.name));
  const everySource = scope === 'service' && sources.length > 1 && sources.length === probing.length;
  const culprit =
    scope === 'node'
      ? `service proxying on ${describeNodes(sources)}`
      : `service proxying for ${services[0]}${everySource ? ' from every source' : ` on ${describeNodes(sources)}`}`;
  const why = everySource
    ? "kube-proxy or the CNI's service rules on every node, or the Service's ports"
    : `kube-proxy or the CNI's service rules on ${describeNodes(sources)}`;
  return {
    finding: ctx.finding({
      severity: 'critical',
      rule: 'service-proxying',
      culprit,
      confidence: 'high',
      summary: `${services.join(', ')} ${services.length > 1 ? 'fail' : 'fails'} from ${everySource ? 'every source' : describeSources(sources)} (${kindsText(rows)}), while ${text}: the Service virtual IP is not forwarded (${why}).`,
      evidence: [
        ...rows.map((row) => ctx.failingEvidence(row)),
        ...answering.slice(0, CONTRAST_EVIDENCE).map((row) => ctx.answeringEvidence(row)),
      ],
      observers: ctx.observers([...rows, ...answering]),
      next: steps.serviceSteps(rows, distinct(sources.map((source) => source.node ?? '').filter(Boolean))),
    }),
    explains: rows,
  };
}

function backendsAnswering(
  ctx: DiagnoseContext,
  rows: readonly CheckRow[],
  sourceCount: number,
): { answering: CheckRow[]; text: string } {
  const backends = rows.flatMap((row) => ctx.backendRows(row));
  const answering = distinct(backends.filter((backend) => ctx.isAnswering(backend)));
  const names = distinct(rows.map((row) => backendsOf(row)!)).join(', ');
  const its = rows.length > 1 && distinct(rows.map((row) => row.target.name)).length > 1 ? 'their' : 'its';
  return {
    answering,
    text: `${its} backends (${names}) answer from the same source${sourceCount > 1 ? 's' : ''} (${answering.length} of ${distinct(backends).length} checks)`,
  };
}

/** Fronts whose backends all fail, each joining the finding that explains its backends. */
export function frontsFollowingBackends(ctx: DiagnoseContext): FollowerJoin[] {
  const followers = new Map<Finding, CheckRow[]>();
  for (const row of ctx.unexplainedFailing()) {
    if (backendsOf(row) === undefined) continue;
    const backends = ctx.backendRows(row);
    const explained = backends.map((backend) => ctx.explainedBy.get(backend)).find((finding) => finding !== undefined);
    if (backends.length === 0 || !backends.every((backend) => ctx.isFailing(backend)) || !explained) continue;
    const rows = followers.get(explained);
    if (rows) rows.push(row);
    else followers.set(explained, [row]);
  }
  return [...followers].map(([finding, rows]) => {
    const names = distinct(rows.map((row) => row.target.name));
    const backends = distinct(rows.map((row) => backendsOf(row)!));
    return {
      finding,
      rows,
      sentence: `${names.join(', ')} fail${names.length === 1 ? 's' : ''} too: ${names.length === 1 ? 'it forwards' : 'they forward'} to ${backends.join(', ')}.`,
    };
  });
}
