/**
 * dns: lookups fail while checks by IP answer. A name that resolves from other sources points at the failing
 * sources' resolution; a name failing everywhere is a missing record (no such host) or the resolvers themselves; when
 * even kubernetes.default.svc does not exist from a source, that source does not use the cluster DNS.
 */
import { dnsFailureCause } from '../../classify.js';
import { describeSource, sourceKey, type CheckRow } from '../../matrix.js';
import * as steps from '../../next-steps.js';
import { CONTRAST_EVIDENCE, type DiagnoseContext, type RuleFinding } from '../context.js';
import { describeNodes, describeSources, distinct, groupBy, isClusterName, lastWords, uniqueSources } from '../text.js';

export function dnsFailures(ctx: DiagnoseContext): RuleFinding[] {
  const results: RuleFinding[] = [];
  const claimed = new Set<CheckRow>();
  const push = (result: RuleFinding | undefined) => {
    if (!result) return;
    results.push(result);
    for (const row of result.explains) claimed.add(row);
  };
  const failing = ctx.unexplainedFailing().filter((row) => row.lastFailure?.kind === 'dns');
  const resolvesElsewhere = (row: CheckRow) =>
    ctx.index
      .withDnsName(row.dnsName)
      .some((other) => sourceKey(other.source) !== sourceKey(row.source) && ctx.isAnswering(other));
  const local = failing.filter(resolvesElsewhere);
  const everywhere = failing.filter((row) => !resolvesElsewhere(row));
  const resolver = everywhere.filter((row) => dnsFailureCause(row.lastFailure?.message) === 'resolver');
  const missing = everywhere.filter((row) => dnsFailureCause(row.lastFailure?.message) === 'no-such-host');

  for (const rows of groupBy(local, (row) => sourceKey(row.source)).values())
    push(resolutionFinding(ctx, rows, 'local'));
  const bySource = groupBy(resolver, (row) => sourceKey(row.source));
  const sourcesUsingNames = new Set(
    ctx.live
      .filter((row) => row.dnsName && !ctx.ownSideSources.has(sourceKey(row.source)))
      .map((row) => sourceKey(row.source)),
  );
  if (bySource.size >= 2 && bySource.size === sourcesUsingNames.size) push(resolutionFinding(ctx, resolver, 'cluster'));
  else for (const rows of bySource.values()) push(resolutionFinding(ctx, rows, 'source'));

  for (const rows of groupBy(missing, (row) => sourceKey(row.source)).values()) push(clusterDomainFinding(ctx, rows));
  for (const [name, rows] of groupBy(
    missing.filter((row) => !claimed.has(row)),
    (row) => row.dnsName ?? row.endpoint,
  )) {
    const service = steps.serviceOfName(name);
    const sources = uniqueSources(rows);
    push({
      finding: ctx.finding({
        severity: 'critical',
        rule: 'dns',
        culprit: `DNS name ${name}: no such host${service ? ` (is Service ${service.namespace}/${service.name} missing?)` : ''}`,
        confidence: 'high',
        summary: `The resolver answers that ${name} does not exist, from ${describeSources(sources)}${sources.length > 1 ? ', and none of them resolves it' : ''}: the record${service ? ' or the Service' : ''} is missing, or the name in the topology is wrong.`,
        evidence: rows.map((row) => ctx.failingEvidence(row)),
        observers: ctx.observers(rows),
        next: steps.missingNameSteps(name),
      }),
      explains: rows,
    });
  }
  return results;
}

/**
 * `kubernetes.default.svc.<domain>` exists in every cluster: when even it is "no such host" from a source, that
 * source does not ask the cluster DNS (dnsPolicy, hostNetwork) or the cluster domain is not `<domain>`, and every
 * other cluster name failing the same way is explained by it, not by missing Services.
 */
function clusterDomainFinding(ctx: DiagnoseContext, rows: CheckRow[]): RuleFinding | undefined {
  const anchor = rows.find((row) => /^kubernetes\.default\.svc\./.test(row.dnsName ?? ''));
  if (!anchor) return undefined;
  const explained = rows.filter((row) => isClusterName(row.dnsName));
  const source = anchor.source;
  const domain = anchor.dnsName!.replace(/^kubernetes\.default\.svc\./, '');
  const names = distinct(explained.map((row) => row.dnsName!));
  return {
    finding: ctx.finding({
      severity: 'critical',
      rule: 'dns',
      culprit: `cluster DNS from ${describeSource(source)}: even ${anchor.dnsName} does not exist (resolver or cluster domain)`,
      confidence: 'high',
      summary:
        `${names.length === 1 ? anchor.dnsName : `${names.length} cluster names, ${anchor.dnsName} among them,`} ${names.length === 1 ? 'does' : 'do'} not exist from ${describeSource(source)}. ` +
        `Service default/kubernetes is in every cluster, so this source does not ask the cluster DNS (its dnsPolicy, hostNetwork or /etc/resolv.conf) or the cluster domain is not ${domain}.`,
      evidence: explained.map((row) => ctx.failingEvidence(row)),
      observers: ctx.observers(explained),
      next: steps.clusterDomainSteps(ctx.namespace, source, anchor.dnsName!),
    }),
    explains: explained,
  };
}

/** local: the names resolve from other sources; source: they fail from this source; cluster: from every source. */
function resolutionFinding(ctx: DiagnoseContext, rows: CheckRow[], scope: 'local' | 'source' | 'cluster'): RuleFinding {
  const sources = uniqueSources(rows);
  const keys = new Set(sources.map(sourceKey));
  const fromSameSources = ctx.index.ofSources(keys).filter((row) => ctx.isAnswering(row));
  const byIp = fromSameSources.filter((row) => !row.dnsName);
  const names = distinct(rows.map((row) => row.dnsName ?? row.endpoint));
  const external =
    scope !== 'local' &&
    rows.every((row) => !isClusterName(row.dnsName)) &&
    fromSameSources.some((row) => isClusterName(row.dnsName));
  const where = scope === 'cluster' ? 'every source' : describeSources(sources);
  const culprit = external
    ? `upstream DNS: external names do not resolve from ${where} (the cluster DNS's forwarders)`
    : scope === 'cluster'
      ? 'cluster DNS: lookups fail from every source'
      : `name resolution on ${describeNodes(sources)}`;
  const errors = distinct(rows.map((row) => lastWords(row.lastFailure?.message))).join(', ');
  const resolvedElsewhere =
    scope === 'local'
      ? ctx.live.filter(
          (row) => names.includes(row.dnsName ?? '') && !keys.has(sourceKey(row.source)) && ctx.isAnswering(row),
        )
      : [];
  return {
    finding: ctx.finding({
      severity: 'critical',
      rule: 'dns',
      culprit,
      confidence: byIp.length > 0 || scope === 'local' ? 'high' : 'low',
      summary:
        `${rows.length === 1 ? 'A lookup' : `${rows.length} lookups`} of ${names.join(', ')} fail${rows.length === 1 ? 's' : ''} (${errors}) from ${where}` +
        (scope === 'local' ? ', while other sources resolve the same names' : '') +
        (byIp.length > 0
          ? `, and ${byIp.length} checks by IP address answer from the same source${sources.length > 1 ? 's' : ''}: the network works, name resolution does not.`
          : '; no check by IP address from there to compare, so the network itself is not ruled out.') +
        (external ? ' Cluster names resolve, external ones do not.' : ''),
      evidence: [
        ...rows.map((row) => ctx.failingEvidence(row)),
        ...byIp.slice(0, CONTRAST_EVIDENCE).map((row) => ctx.answeringEvidence(row)),
      ],
      observers: ctx.observers([...rows, ...byIp, ...resolvedElsewhere]),
      next: steps.resolverSteps(ctx.namespace, sources, names),
    }),
    explains: rows,
  };
}
