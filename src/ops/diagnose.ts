/**
 * `p2pnc diagnose`: the layered method of the OKD SDN debugging guide run over the whole check matrix. Each failing
 * check is classified (DNS, refused, timeout, no route, TLS, HTTP status) and the failures are correlated, most
 * telling pattern first, each check explained by at most one finding:
 *
 *   no-checks           nothing to diagnose: the checks are not applied, or the namespace is wrong
 *   source-not-probing  a source writes no results (not running, or stuck)
 *   invalid-check       the check itself is malformed (no target pod on a node, missing Secret); a target Service
 *                       without a ready pod on several nodes is one finding about its DaemonSet
 *   source-side         every check of one source fails: that source's pod, node or egress
 *   dns                 lookups fail while checks by IP answer: the resolver, one missing name, or (when even
 *                       kubernetes.default.svc does not exist) a source that does not use the cluster DNS
 *   node-unreachable    every check to a node fails: the node or its host network (>= 2 sources for high confidence);
 *                       not when the only target probed there refuses (the node answered: target-on-node)
 *   target-everywhere   a per-node target fails on every node while the nodes answer other probes
 *   target-on-node      a per-node target fails on one node while it answers on others ("one master failing")
 *   path                a node answers other sources but not this one: the path between them
 *   load-balancer       a load balancer fails while its backends (the API endpoints) answer from the same source
 *   service-proxying    a Service fails while its endpoints answer from the same source
 *   check-failing       what is left, one finding per target and failure kind
 *
 * Pure: check objects and the time in, findings out; I/O stays in the CLI command.
 */
import type { CheckObject } from '../runtime/kube/resources.js';
import { formatTime } from '../runtime/status/time.js';
import { dnsFailureCause, FAILURE_LABELS, httpStatusOf, withoutLabel, type FailureKind } from './classify.js';
import { sortFindings, type CheckCounts, type Diagnosis, type Evidence, type Finding } from './findings.js';
import { describeSource, sourceKey, toRows, type CheckRow, type SourceRef } from './matrix.js';
import * as steps from './next-steps.js';
import { RowIndex } from './row-index.js';

export interface DiagnoseOptions {
  now: Date;
  /** Namespace of the checks, used in the next commands. @default p2pnc */
  namespace?: string;
  /**
   * A check whose newest result is older than this is silent. @default the larger of 20 minutes, 3 intervals, and its
   * refresh interval (spec.refreshInterval, 10m by default) plus 2 intervals: a healthy check's status is written only
   * once per refresh interval, so younger results are current.
   */
  silentAfterMs?: number;
}

const SILENCE_FLOOR_MS = 20 * 60_000;
const CONTRAST_EVIDENCE = 3;

export function diagnose(checks: readonly CheckObject[], options: DiagnoseOptions): Diagnosis {
  return new Diagnoser(toRows(checks), options).run();
}

class Diagnoser {
  private readonly namespace: string;
  private readonly findings: Finding[] = [];
  /** Which finding explains each failing check. */
  private readonly explainedBy = new Map<CheckRow, Finding>();
  private readonly live: CheckRow[] = [];
  private readonly quiet = new Map<CheckRow, 'silent' | 'never-probed'>();
  private readonly sourceSide = new Map<string, Finding>();
  /** The live rows by target, node, source and name, so each rule looks up the checks related to a group. */
  private readonly index: RowIndex;
  /** The answering live rows, in order; built on first use. */
  private answering?: CheckRow[];
  /** Per target, its answering checks (self-probes left out) and how many of them each node has. */
  private readonly answeringOfTarget = new Map<
    string,
    { rows: CheckRow[]; perNode: Map<string | undefined, number> }
  >();
  private pending = 0;
  private nodeRowsOnce?: CheckRow[];

  constructor(
    private readonly rows: readonly CheckRow[],
    private readonly options: DiagnoseOptions,
  ) {
    this.namespace = options.namespace ?? 'p2pnc';
    for (const row of rows) {
      // A healthy check is written once per refresh interval: its newest stored result may be that old, plus a probe.
      const silence =
        options.silentAfterMs ?? Math.max(SILENCE_FLOOR_MS, 3 * row.intervalMs, row.refreshMs + 2 * row.intervalMs);
      const age = (time: Date | undefined) =>
        time ? options.now.getTime() - time.getTime() : Number.POSITIVE_INFINITY;
      if (!row.lastProbe) {
        if (age(row.createdAt) > silence) this.quiet.set(row, 'never-probed');
        else this.pending++;
      } else if (row.state === 'stale' || age(row.lastProbe.time) > silence) this.quiet.set(row, 'silent');
      else this.live.push(row);
    }
    this.index = new RowIndex(this.live);
  }

  run(): Diagnosis {
    this.noChecks();
    this.sourcesNotProbing();
    this.invalidChecks();
    this.sourceSideFailures();
    this.dnsFailures();
    const everywhere = this.targetsFailingEverywhere();
    this.unreachableNodes(everywhere);
    this.targetEverywhereFindings(everywhere);
    this.targetOnNode();
    this.paths();
    this.fronts();
    this.frontsFollowingBackends();
    this.remainingFailures();
    return {
      time: formatTime(this.options.now),
      namespace: this.namespace,
      checks: this.counts(),
      findings: sortFindings(this.findings),
    };
  }

  // ---- rules -------------------------------------------------------------------------------------------------

  private noChecks(): void {
    if (this.rows.length > 0) return;
    this.add({
      severity: 'warning',
      rule: 'no-checks',
      culprit: `no checks in namespace ${this.namespace}`,
      confidence: 'high',
      summary: `There is no PodNetworkConnectivityCheck in namespace ${this.namespace}: dist/checks.yaml is not applied here, or -n names the wrong namespace.`,
      evidence: [],
      next: ['kubectl get pncc -A', 'kubectl get crd podnetworkconnectivitychecks.p2pnc.io'],
    });
  }

  private sourcesNotProbing(): void {
    for (const rows of groupBy(this.rows, (row) => sourceKey(row.source)).values()) {
      const quiet = rows.filter((row) => this.quiet.has(row));
      if (quiet.length === 0) continue;
      const source = rows[0]!.source;
      const all = quiet.length === rows.length;
      const newest = latest(quiet.map((row) => row.lastProbe?.time));
      const summary = all
        ? `None of its ${rows.length} checks has a recent result (${newest ? `newest from ${formatTime(newest)}` : 'never probed'}): the source pod is not running, not ready, or cannot write status.`
        : `${quiet.length} of its ${rows.length} checks ${quiet.length === 1 ? 'has' : 'have'} no recent result while the others do: the source does not see or cannot probe ${quiet.length === 1 ? 'it' : 'them'}.`;
      this.add({
        severity: 'warning',
        rule: 'source-not-probing',
        culprit: all
          ? `source ${describeSource(source)}: not probing`
          : `source ${describeSource(source)}: ${quiet.length} check${quiet.length === 1 ? '' : 's'} without results`,
        confidence: 'high',
        summary,
        evidence: quiet.map((row) => this.quietEvidence(row)),
        next: steps.sourceSteps(this.namespace, source),
      });
    }
  }

  private invalidChecks(): void {
    const invalid = this.live.filter((row) => row.state === 'invalid');
    const reasonOf = (row: CheckRow) => withoutLabel(row.lastFailure?.message).replace(/^invalid check: /, '');
    const missingPod = (row: CheckRow) => /no ready endpoint of Service (\S+) on node (\S+?);/.exec(reasonOf(row));
    // A target without a ready pod on several nodes is one problem with its DaemonSet, not one per node.
    for (const [service, rows] of groupBy(
      invalid.filter((row) => missingPod(row)),
      (row) => missingPod(row)![1]!,
    )) {
      const nodes = distinct(rows.map((row) => missingPod(row)![2]!));
      if (nodes.length < 2) continue;
      const answering = this.index
        .ofTarget(rows[0]!.target.name)
        .some((row) => row.target.node !== undefined && this.isAnswering(row));
      this.add(
        {
          severity: 'warning',
          rule: 'invalid-check',
          culprit: `target ${service}: no ready pod on ${answering ? `${nodes.length} nodes` : `any of ${nodes.length} nodes`} (${listed(nodes)})`,
          confidence: 'high',
          summary:
            `${rows.length} checks cannot be probed: Service ${service} has no ready endpoint on ${listed(nodes)}. ` +
            (answering
              ? 'Its pods on other nodes answer: look at the nodes listed.'
              : 'No target pod answers anywhere: the DaemonSet is not applied, its pods do not start, or they are not ready.'),
          evidence: rows.map((row) => ({ ...this.failingEvidence(row), state: 'invalid' as const })),
          next: steps.targetDaemonSetSteps(this.namespace, service),
        },
        rows,
      );
    }
    for (const [text, rows] of groupBy(
      invalid.filter((row) => !this.explainedBy.has(row)),
      reasonOf,
    )) {
      const targetPod = /no ready endpoint of Service (\S+) on node (\S+?);/.exec(text);
      const culprit = targetPod
        ? `target pod on node ${targetPod[2]}: not running or not ready`
        : `check configuration: ${text}`;
      this.add(
        {
          severity: 'warning',
          rule: 'invalid-check',
          culprit,
          confidence: 'high',
          summary: `${rows.length === 1 ? 'A check cannot' : `${rows.length} checks cannot`} be probed: ${text}`,
          evidence: rows.map((row) => ({ ...this.failingEvidence(row), state: 'invalid' as const })),
          next: steps.invalidCheckSteps(
            this.namespace,
            rows[0]!.check,
            targetPod ? { service: targetPod[1]!, node: targetPod[2]! } : undefined,
          ),
        },
        rows,
      );
    }
  }

  private sourceSideFailures(): void {
    for (const [key, rows] of groupBy(this.live, (row) => sourceKey(row.source))) {
      // A node probing itself still answers when its link is down: only probes to elsewhere count.
      const checked = rows.filter((row) => row.state !== 'invalid' && !isSelf(row));
      if (checked.length < 2 || !checked.every((row) => this.isFailing(row))) continue;
      checked.push(...rows.filter((row) => isSelf(row) && this.isFailing(row)));
      const source = checked[0]!.source;
      const targets = new Set(checked.map((row) => row.target.name));
      const others = this.answeringOutside(key, targets);
      const high = others.count > 0;
      const finding = this.add(
        {
          severity: 'critical',
          rule: 'source-side',
          culprit: `source ${describeSource(source)}: its ${source.node ? 'pod network or node' : 'pod, node or egress'}`,
          confidence: high ? 'high' : 'low',
          summary:
            `Every check from ${describeSource(source)} fails: ${checked.length} checks (${kindsText(checked)}). ` +
            (high
              ? `Other sources reach their targets (${others.count} checks answer), so the fault is on this source's side.`
              : 'No other source has results to compare, so this cannot be told apart from an outage of everything it probes; a second source would tell.'),
          evidence: [
            ...checked.map((row) => this.failingEvidence(row)),
            ...others.contrast.map((row) => this.answeringEvidence(row)),
          ],
          next: steps.sourceNetworkSteps(this.namespace, source, checked.find((row) => row.address) ?? checked[0]),
        },
        checked,
      );
      this.sourceSide.set(key, finding);
    }
  }

  /**
   * Lookups failing while checks by IP answer. A name that resolves from other sources points at the failing
   * sources' resolution; a name failing everywhere is a missing record (no such host) or the resolvers themselves.
   */
  private dnsFailures(): void {
    const failing = this.unexplainedFailing().filter((row) => row.lastFailure?.kind === 'dns');
    const resolvesElsewhere = (row: CheckRow) =>
      this.index
        .withDnsName(row.dnsName)
        .some((other) => sourceKey(other.source) !== sourceKey(row.source) && this.isAnswering(other));
    const local = failing.filter(resolvesElsewhere);
    const everywhere = failing.filter((row) => !resolvesElsewhere(row));
    const resolver = everywhere.filter((row) => dnsFailureCause(row.lastFailure?.message) === 'resolver');
    const missing = everywhere.filter((row) => dnsFailureCause(row.lastFailure?.message) === 'no-such-host');

    for (const rows of groupBy(local, (row) => sourceKey(row.source)).values()) this.resolutionFinding(rows, 'local');
    const bySource = groupBy(resolver, (row) => sourceKey(row.source));
    const sourcesUsingNames = new Set(
      this.live
        .filter((row) => row.dnsName && !this.sourceSide.has(sourceKey(row.source)))
        .map((row) => sourceKey(row.source)),
    );
    if (bySource.size >= 2 && bySource.size === sourcesUsingNames.size) this.resolutionFinding(resolver, 'cluster');
    else for (const rows of bySource.values()) this.resolutionFinding(rows, 'source');

    for (const rows of groupBy(missing, (row) => sourceKey(row.source)).values()) this.clusterDomainFinding(rows);
    for (const [name, rows] of groupBy(
      missing.filter((row) => !this.explainedBy.has(row)),
      (row) => row.dnsName ?? row.endpoint,
    )) {
      const service = steps.serviceOfName(name);
      this.add(
        {
          severity: 'critical',
          rule: 'dns',
          culprit: `DNS name ${name}: no such host${service ? ` (is Service ${service.namespace}/${service.name} missing?)` : ''}`,
          confidence: 'high',
          summary: `The resolver answers that ${name} does not exist, from ${describeSources(uniqueSources(rows))}${uniqueSources(rows).length > 1 ? ', and none of them resolves it' : ''}: the record${service ? ' or the Service' : ''} is missing, or the name in the topology is wrong.`,
          evidence: rows.map((row) => this.failingEvidence(row)),
          next: steps.missingNameSteps(name),
        },
        rows,
      );
    }
  }

  /**
   * `kubernetes.default.svc.<domain>` exists in every cluster: when even it is "no such host" from a source, that
   * source does not ask the cluster DNS (dnsPolicy, hostNetwork) or the cluster domain is not `<domain>`, and every
   * other cluster name failing the same way is explained by it, not by missing Services.
   */
  private clusterDomainFinding(rows: CheckRow[]): void {
    const anchor = rows.find((row) => /^kubernetes\.default\.svc\./.test(row.dnsName ?? ''));
    if (!anchor) return;
    const explained = rows.filter((row) => isClusterName(row.dnsName));
    const source = anchor.source;
    const domain = anchor.dnsName!.replace(/^kubernetes\.default\.svc\./, '');
    const names = distinct(explained.map((row) => row.dnsName!));
    this.add(
      {
        severity: 'critical',
        rule: 'dns',
        culprit: `cluster DNS from ${describeSource(source)}: even ${anchor.dnsName} does not exist (resolver or cluster domain)`,
        confidence: 'high',
        summary:
          `${names.length === 1 ? anchor.dnsName : `${names.length} cluster names, ${anchor.dnsName} among them,`} ${names.length === 1 ? 'does' : 'do'} not exist from ${describeSource(source)}. ` +
          `Service default/kubernetes is in every cluster, so this source does not ask the cluster DNS (its dnsPolicy, hostNetwork or /etc/resolv.conf) or the cluster domain is not ${domain}.`,
        evidence: explained.map((row) => this.failingEvidence(row)),
        next: steps.clusterDomainSteps(this.namespace, source, anchor.dnsName!),
      },
      explained,
    );
  }

  /** local: the names resolve from other sources; source: they fail from this source; cluster: from every source. */
  private resolutionFinding(rows: CheckRow[], scope: 'local' | 'source' | 'cluster'): void {
    const sources = uniqueSources(rows);
    const keys = new Set(sources.map(sourceKey));
    const fromSameSources = this.index.ofSources(keys).filter((row) => this.isAnswering(row));
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
    this.add(
      {
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
          ...rows.map((row) => this.failingEvidence(row)),
          ...byIp.slice(0, CONTRAST_EVIDENCE).map((row) => this.answeringEvidence(row)),
        ],
        next: steps.resolverSteps(this.namespace, sources, names),
      },
      rows,
    );
  }

  /** Per-node targets failing on every node (at least two) they are probed on, sources on their own side left out. */
  private targetsFailingEverywhere(): Set<string> {
    const rows = this.nodeRows();
    const everywhere = new Set<string>();
    for (const [target, targetRows] of groupBy(rows, (row) => row.target.name)) {
      const nodes = new Set(targetRows.map((row) => row.target.node));
      if (nodes.size >= 2 && targetRows.every((row) => this.isFailing(row))) everywhere.add(target);
    }
    return everywhere;
  }

  private unreachableNodes(everywhere: ReadonlySet<string>): void {
    for (const [node, rows] of groupBy(this.nodeRows(), (row) => row.target.node!)) {
      if (!rows.every((row) => this.isFailing(row)) || rows.every((row) => this.explainedBy.has(row))) continue;
      // Only targets that fail on every node: the target is the better explanation.
      if (rows.every((row) => everywhere.has(row.target.name))) continue;
      const sources = uniqueSources(rows);
      const targets = distinct(rows.map((row) => row.target.name));
      const keys = new Set(sources.map(sourceKey));
      const title = nodeTitle(node, rows);
      const podsOnly = rows.every((row) => row.target.kind === 'p2pnc-target');
      const allRefused = rows.every((row) => row.lastFailure?.kind === 'refused');
      const merged = [...this.sourceSide.entries()].filter(
        ([key, finding]) => finding.rule === 'source-side' && this.index.ofSource(key)[0]?.source.node === node,
      );
      // A refusal is an answer from the node: with one target probed there, that target is down, not the node.
      if (allRefused && targets.length < 2 && merged.length === 0) continue;
      const elsewhere = this.index
        .ofSources(keys)
        .filter((row) => row.target.node !== node && !isSelf(row) && this.isAnswering(row));
      const caveats: string[] = [];
      if (sources.length < 2 && merged.length === 0)
        caveats.push(`Only ${describeSources(sources)} probes it, so the path from there is not ruled out.`);
      if (targets.length < 2)
        caveats.push(`Only ${targets[0]} is probed on it, so that target alone failing is not ruled out.`);
      const summary =
        `Every check to ${node} fails: ${rows.length} checks of ${targets.join(', ')} from ${describeSources(sources)} (${kindsText(rows)}).` +
        (allRefused ? ' Every probed port refuses: the host is up, but nothing listens or a firewall rejects.' : '') +
        (elsewhere.length > 0 ? ` The same source${sources.length > 1 ? 's reach' : ' reaches'} other nodes.` : '') +
        (merged.length > 0 ? ` The source on ${node} reaches nothing either: the node's own network is down.` : '') +
        (caveats.length > 0 ? ` ${caveats.join(' ')}` : '');
      const finding = this.add(
        {
          severity: 'critical',
          rule: 'node-unreachable',
          culprit:
            merged.length > 0
              ? `${title}: its network (probes to and from it fail)`
              : `${title}: the node or its ${podsOnly ? 'pod' : 'host'} network`,
          confidence: caveats.length === 0 ? 'high' : 'low',
          summary,
          evidence: [
            ...rows.map((row) => this.failingEvidence(row)),
            ...preferSameTargets(elsewhere, new Set(targets))
              .slice(0, CONTRAST_EVIDENCE)
              .map((row) => this.answeringEvidence(row)),
          ],
          next: steps.nodeSteps(
            this.namespace,
            node,
            rows.find((row) => row.address)?.address,
            distinct(sources.map((source) => source.node ?? '').filter(Boolean)),
            rows.some((row) => row.target.kind === 'p2pnc-target'),
          ),
        },
        rows.filter((row) => !this.explainedBy.has(row)),
      );
      for (const [key, sourceFinding] of merged) this.mergeInto(finding, sourceFinding, key);
      const selfFailing = this.index
        .toNode(node)
        .filter((row) => isSelf(row) && this.isFailing(row) && !this.explainedBy.has(row));
      finding.evidence.splice(rows.length, 0, ...selfFailing.map((row) => this.failingEvidence(row)));
      for (const row of selfFailing) this.explainedBy.set(row, finding);
    }
  }

  private targetEverywhereFindings(everywhere: ReadonlySet<string>): void {
    const byTarget = groupBy(this.nodeRows(), (row) => row.target.name);
    for (const target of everywhere) {
      const all = byTarget.get(target)!;
      const selfFailing = this.index.ofTarget(target).filter((row) => isSelf(row) && this.isFailing(row));
      const rows = [...all, ...selfFailing].filter((row) => !this.explainedBy.has(row));
      if (rows.length === 0) continue;
      const nodes = new Set(all.map((row) => row.target.node));
      const othersOnNodes = this.live.filter(
        (row) => row.target.name !== target && nodes.has(row.target.node) && !isSelf(row) && this.isAnswering(row),
      );
      const port = steps.portOf(all[0]!);
      this.add(
        {
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
            ...rows.map((row) => this.failingEvidence(row)),
            ...othersOnNodes.slice(0, CONTRAST_EVIDENCE).map((row) => this.answeringEvidence(row)),
          ],
          next: steps.targetEverywhereSteps(this.namespace, all[0]!),
        },
        rows,
      );
    }
  }

  private targetOnNode(): void {
    const candidates = this.unexplainedFailing().filter((row) => row.target.node);
    for (const rows of groupBy(candidates, (row) => `${row.target.name}\n${row.target.node}`).values()) {
      const { name: target, node } = { name: rows[0]!.target.name, node: rows[0]!.target.node! };
      const all = this.index
        .toNode(node)
        .filter((row) => row.target.name === target && row.state !== 'invalid' && !isSelf(row));
      if (!all.every((row) => this.isFailing(row))) continue;
      const elsewhere = this.answeringElsewhere(target, node);
      if (elsewhere.nodes === 0) continue;
      const nodeAnswers = this.index
        .toNode(node)
        .filter((row) => row.target.name !== target && !isSelf(row) && this.isAnswering(row));
      const port = steps.portOf(rows[0]!);
      const refusedOnly = rows.every((row) => row.lastFailure?.kind === 'refused');
      const hint = refusedOnly
        ? ` Connection refused: nothing listens on ${port ? `port ${port}` : 'the port'} there (the process is down) or a firewall rejects.`
        : rows.every((row) => row.lastFailure?.kind === 'timeout')
          ? ` Timeouts: a firewall drops ${port ? `port ${port}` : 'the port'} there, or the process hangs.`
          : '';
      this.add(
        {
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
            ...rows.map((row) => this.failingEvidence(row)),
            ...[...nodeAnswers, ...elsewhere.first]
              .slice(0, CONTRAST_EVIDENCE)
              .map((row) => this.answeringEvidence(row)),
          ],
          next: steps.targetOnNodeSteps(this.namespace, rows[0]!),
        },
        rows,
      );
    }
  }

  /** A node that answers other sources but not this one; both directions failing between two nodes make one finding. */
  private paths(): void {
    const candidates = this.unexplainedFailing().filter((row) => row.target.node && !isSelf(row));
    // A node reaching itself says nothing about the network between nodes.
    const reachedFromElsewhere = (group: CheckRow[]) =>
      this.index
        .toNode(group[0]!.target.node!)
        .filter(
          (row) =>
            row.source.node !== row.target.node &&
            sourceKey(row.source) !== sourceKey(group[0]!.source) &&
            this.isAnswering(row),
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
      const fromOthers = directions.flatMap(reachedFromElsewhere).filter((row) => !both || !pair.has(row.source.node));
      const describeDirection = (group: CheckRow[]) =>
        `${group.length === 1 ? '1 check' : `${group.length} checks`} from ${describeSource(group[0]!.source)} to ${group[0]!.target.node} fail${group.length === 1 ? 's' : ''} (${kindsText(group)})`;
      const reachers = uniqueSources(fromOthers);
      this.add(
        {
          severity: 'warning',
          rule: 'path',
          culprit: both
            ? `the path between ${[...pair].sort().join(' and ')}`
            : `the path from ${describeSource(first!.source)} to ${first!.target.node}`,
          confidence: 'high',
          summary: `${directions.map(describeDirection).join('; ')}, while ${describeSources(reachers)} reach${reachers.length > 1 ? '' : 'es'} ${both ? 'both nodes' : first!.target.node}: routing or filtering between the two.`,
          evidence: [
            ...rows.map((row) => this.failingEvidence(row)),
            ...fromOthers.slice(0, CONTRAST_EVIDENCE).map((row) => this.answeringEvidence(row)),
          ],
          next: directions.flatMap((group) =>
            steps.pathSteps(
              this.namespace,
              group[0]!.source,
              group[0]!.target.node!,
              group.find((row) => row.address)?.address ??
                fromOthers.find((row) => row.target.node === group[0]!.target.node && row.address)?.address,
            ),
          ),
        },
        rows,
      );
    }
  }

  /**
   * Load balancers and Services failing while their backends answer from the same source. Service virtual IPs are
   * forwarded on the client's node, so several Services failing from one source point at that node's proxying.
   */
  private fronts(): void {
    const candidates = this.unexplainedFailing().filter((row) => backendsOf(row) !== undefined);
    const failing = candidates.filter((row) => this.backendRows(row).some((backend) => this.isAnswering(backend)));
    for (const rows of groupBy(
      failing.filter((row) => row.target.kind === 'endpoint'),
      (row) => row.target.name,
    ).values())
      this.loadBalancer(rows);
    const services = failing.filter((row) => row.target.kind !== 'endpoint');
    const perSource = [...groupBy(services, (row) => sourceKey(row.source)).values()].filter(
      (rows) => distinct(rows.map((row) => row.target.name)).length >= 2,
    );
    for (const rows of perSource) this.serviceProxying(rows, 'node');
    const claimed = new Set(perSource.flat());
    for (const rows of groupBy(
      services.filter((row) => !claimed.has(row)),
      (row) => row.target.name,
    ).values())
      this.serviceProxying(rows, 'service');
  }

  private loadBalancer(rows: CheckRow[]): void {
    const front = rows[0]!;
    const backends = backendsOf(front)!;
    const sources = uniqueSources(rows);
    const probing = uniqueSources(this.index.ofTarget(front.target.name));
    const where = sources.length > 1 && sources.length === probing.length ? 'every source' : describeSources(sources);
    const { answering, text } = this.backendsAnswering(rows, sources.length);
    this.add(
      {
        severity: 'critical',
        rule: 'load-balancer',
        culprit: `load balancer ${front.endpoint} (${front.target.name})`,
        confidence: 'high',
        summary: `${front.target.name} fails from ${where} (${kindsText(rows)}), while ${text}: the load balancer (its listener, health checks or backend registration) is at fault.`,
        evidence: [
          ...rows.map((row) => this.failingEvidence(row)),
          ...answering.slice(0, CONTRAST_EVIDENCE).map((row) => this.answeringEvidence(row)),
        ],
        next: steps.loadBalancerSteps(this.namespace, front, backends),
      },
      rows,
    );
  }

  /** `node`: several Services fail from one source; `service`: one Service fails, from one or more sources. */
  private serviceProxying(rows: CheckRow[], scope: 'node' | 'service'): void {
    const sources = uniqueSources(rows);
    const services = distinct(rows.map((row) => serviceTitle(row)));
    const { answering, text } = this.backendsAnswering(rows, sources.length);
    const probing = uniqueSources(this.index.ofTarget(rows[0]!.target.name));
    const everySource = scope === 'service' && sources.length > 1 && sources.length === probing.length;
    const culprit =
      scope === 'node'
        ? `service proxying on ${describeNodes(sources)}`
        : `service proxying for ${services[0]}${everySource ? ' from every source' : ` on ${describeNodes(sources)}`}`;
    const why = everySource
      ? "kube-proxy or the CNI's service rules on every node, or the Service's ports"
      : `kube-proxy or the CNI's service rules on ${describeNodes(sources)}`;
    this.add(
      {
        severity: 'critical',
        rule: 'service-proxying',
        culprit,
        confidence: 'high',
        summary: `${services.join(', ')} ${services.length > 1 ? 'fail' : 'fails'} from ${everySource ? 'every source' : describeSources(sources)} (${kindsText(rows)}), while ${text}: the Service virtual IP is not forwarded (${why}).`,
        evidence: [
          ...rows.map((row) => this.failingEvidence(row)),
          ...answering.slice(0, CONTRAST_EVIDENCE).map((row) => this.answeringEvidence(row)),
        ],
        next: steps.serviceSteps(rows, distinct(sources.map((source) => source.node ?? '').filter(Boolean))),
      },
      rows,
    );
  }

  private backendsAnswering(rows: readonly CheckRow[], sourceCount: number): { answering: CheckRow[]; text: string } {
    const backends = rows.flatMap((row) => this.backendRows(row));
    const answering = distinct(backends.filter((backend) => this.isAnswering(backend)));
    const names = distinct(rows.map((row) => backendsOf(row)!)).join(', ');
    const its = rows.length > 1 && distinct(rows.map((row) => row.target.name)).length > 1 ? 'their' : 'its';
    return {
      answering,
      text: `${its} backends (${names}) answer from the same source${sourceCount > 1 ? 's' : ''} (${answering.length} of ${distinct(backends).length} checks)`,
    };
  }

  /** A front whose backends all fail fails because of them: its check joins the backends' finding. */
  private frontsFollowingBackends(): void {
    const followers = new Map<Finding, CheckRow[]>();
    for (const row of this.unexplainedFailing()) {
      if (backendsOf(row) === undefined) continue;
      const backends = this.backendRows(row);
      const explained = backends
        .map((backend) => this.explainedBy.get(backend))
        .find((finding) => finding !== undefined);
      if (backends.length === 0 || !backends.every((backend) => this.isFailing(backend)) || !explained) continue;
      explained.evidence.push(this.failingEvidence(row));
      this.explainedBy.set(row, explained);
      const rows = followers.get(explained);
      if (rows) rows.push(row);
      else followers.set(explained, [row]);
    }
    for (const [finding, rows] of followers) {
      const fronts = distinct(rows.map((row) => row.target.name));
      const backends = distinct(rows.map((row) => backendsOf(row)!));
      finding.summary += ` ${fronts.join(', ')} fail${fronts.length === 1 ? 's' : ''} too: ${fronts.length === 1 ? 'it forwards' : 'they forward'} to ${backends.join(', ')}.`;
    }
  }

  private remainingFailures(): void {
    const rows = this.unexplainedFailing();
    for (const group of groupBy(
      rows,
      (row) => `${row.target.name}\n${row.target.node ?? ''}\n${row.lastFailure?.kind}`,
    ).values()) {
      const row = group[0]!;
      const kind = row.lastFailure?.kind ?? 'other';
      const title = row.target.node ? `${row.target.name} on ${nodeTitle(row.target.node, group)}` : row.target.name;
      const noBackends = row.target.kind === 'service' && !row.target.backends;
      this.add(
        {
          severity: 'critical',
          rule: 'check-failing',
          culprit: `${title}: ${layerCulprit(kind, row)}`,
          confidence: 'high',
          summary:
            `${group.length === 1 ? 'The check fails' : `${group.length} checks fail`} from ${describeSources(uniqueSources(group))} (${FAILURE_LABELS[kind]}): ${withoutLabel(row.lastFailure?.message)}.` +
            (noBackends
              ? ` Set backends: on target ${row.target.name} in the topology so diagnose can tell service proxying from its endpoints.`
              : ''),
          evidence: group.map((failing) => this.failingEvidence(failing)),
          next: steps.checkSteps(this.namespace, row),
        },
        group,
      );
    }
  }

  // ---- helpers -----------------------------------------------------------------------------------------------

  private add(finding: Omit<Finding, 'since'>, explains: readonly CheckRow[] = []): Finding {
    const since = earliest(
      finding.evidence
        .filter((entry) => entry.state === 'failing' || entry.state === 'invalid')
        .map((entry) => entry.since),
    );
    const complete: Finding = {
      severity: finding.severity,
      rule: finding.rule,
      culprit: finding.culprit,
      confidence: finding.confidence,
      summary: finding.summary,
      ...(since ? { since } : {}),
      evidence: finding.evidence,
      next: finding.next,
    };
    this.findings.push(complete);
    for (const row of explains) this.explainedBy.set(row, complete);
    return complete;
  }

  private mergeInto(target: Finding, merged: Finding, key: string): void {
    const known = new Set(target.evidence.map((entry) => `${entry.check}\n${entry.state}`));
    const added = merged.evidence.filter(
      (entry) => entry.state === 'failing' && !known.has(`${entry.check}\n${entry.state}`),
    );
    const failingFirst = [...target.evidence, ...added].map((entry, index) => ({ entry, index }));
    failingFirst.sort(
      (a, b) => Number(a.entry.state !== 'failing') - Number(b.entry.state !== 'failing') || a.index - b.index,
    );
    target.evidence.splice(0, target.evidence.length, ...failingFirst.map(({ entry }) => entry));
    target.next.push(...merged.next.filter((command) => !target.next.includes(command)));
    for (const [row, finding] of this.explainedBy) if (finding === merged) this.explainedBy.set(row, target);
    this.findings.splice(this.findings.indexOf(merged), 1);
    this.sourceSide.set(key, target);
    const since = earliest([target.since, merged.since]);
    if (since) target.since = since;
  }

  private isFailing(row: CheckRow): boolean {
    return row.state === 'unreachable' || row.state === 'unknown';
  }

  private isAnswering(row: CheckRow): boolean {
    return row.state === 'reachable' && row.lastProbe?.success === true;
  }

  private unexplainedFailing(): CheckRow[] {
    return this.live.filter((row) => this.isFailing(row) && !this.explainedBy.has(row));
  }

  /**
   * Live checks of per-node targets from other nodes, leaving out sources whose every check fails (their side is the
   * fault). A node probing itself tests its own stack only, and still answers when the node's link is down.
   */
  private nodeRows(): CheckRow[] {
    // Sources are put on their own side before the rules that ask for these run, and stay there: computed once.
    this.nodeRowsOnce ??= this.live.filter(
      (row) =>
        row.target.node && row.state !== 'invalid' && !isSelf(row) && !this.sourceSide.has(sourceKey(row.source)),
    );
    return this.nodeRowsOnce;
  }

  /** The backends' checks from the front's own source (Service proxying happens on the client's node). */
  private backendRows(front: CheckRow): CheckRow[] {
    const backends = backendsOf(front);
    const key = sourceKey(front.source);
    return this.index
      .ofSource(key)
      .filter(
        (row) =>
          row !== front &&
          row.target.name === backends &&
          (row.target.node || front.target.kind !== 'p2pnc-target') &&
          row.state !== 'invalid',
      );
  }

  /** Answering checks of other sources than `key`: how many, and the first few, those of `targets` first. */
  private answeringOutside(key: string, targets: ReadonlySet<string>): { count: number; contrast: CheckRow[] } {
    this.answering ??= this.live.filter((row) => this.isAnswering(row));
    const own = this.index.ofSource(key).filter((row) => this.isAnswering(row)).length;
    const same: CheckRow[] = [];
    const other: CheckRow[] = [];
    for (const row of this.answering) {
      if (same.length === CONTRAST_EVIDENCE) break;
      if (sourceKey(row.source) === key) continue;
      if (targets.has(row.target.name)) same.push(row);
      else if (other.length < CONTRAST_EVIDENCE) other.push(row);
    }
    return { count: this.answering.length - own, contrast: [...same, ...other].slice(0, CONTRAST_EVIDENCE) };
  }

  /**
   * A target's answering checks on other nodes than `node` (self-probes left out): on how many nodes (a check without
   * a target node counts as one), and the first few in matrix order. Counted once per target, not once per node.
   */
  private answeringElsewhere(target: string, node: string): { nodes: number; first: CheckRow[] } {
    let answering = this.answeringOfTarget.get(target);
    if (!answering) {
      // Node rows only: the target's Service check has no node and says nothing about any one node.
      const rows = this.index
        .ofTarget(target)
        .filter((row) => row.target.node !== undefined && !isSelf(row) && this.isAnswering(row));
      const perNode = new Map<string | undefined, number>();
      for (const row of rows) perNode.set(row.target.node, (perNode.get(row.target.node) ?? 0) + 1);
      answering = { rows, perNode };
      this.answeringOfTarget.set(target, answering);
    }
    const first: CheckRow[] = [];
    for (const row of answering.rows) {
      if (first.length === CONTRAST_EVIDENCE) break;
      if (row.target.node !== node) first.push(row);
    }
    return { nodes: answering.perNode.size - (answering.perNode.has(node) ? 1 : 0), first };
  }

  private failingEvidence(row: CheckRow): Evidence {
    const evidence: Evidence = { check: row.check, state: 'failing' };
    const since = row.failingSince ?? row.lastFailure?.time;
    if (since) evidence.since = formatTime(since);
    if (row.lastFailure) {
      evidence.kind = row.lastFailure.kind;
      evidence.message = row.lastFailure.message;
    }
    return evidence;
  }

  private answeringEvidence(row: CheckRow): Evidence {
    const evidence: Evidence = { check: row.check, state: 'answering' };
    const since = row.changedAt ?? row.lastSuccess?.time;
    if (since) evidence.since = formatTime(since);
    if (row.lastSuccess) evidence.message = row.lastSuccess.message;
    return evidence;
  }

  private quietEvidence(row: CheckRow): Evidence {
    const state = this.quiet.get(row)!;
    if (state === 'never-probed') {
      return {
        check: row.check,
        state,
        ...(row.createdAt ? { since: formatTime(row.createdAt) } : {}),
        message: 'never probed since the check was created',
      };
    }
    const last = row.lastProbe!.time;
    return {
      check: row.check,
      state,
      since: formatTime(last),
      message:
        row.state === 'stale'
          ? `marked Stale: no probe since ${formatTime(last)}`
          : `no result since ${formatTime(last)}`,
    };
  }

  private counts(): CheckCounts {
    return {
      total: this.rows.length,
      answering: this.live.filter((row) => this.isAnswering(row)).length,
      failing: this.live.filter((row) => this.isFailing(row)).length,
      silent: [...this.quiet.values()].filter((state) => state === 'silent').length,
      pending: this.pending + [...this.quiet.values()].filter((state) => state === 'never-probed').length,
      invalid: this.live.filter((row) => row.state === 'invalid').length,
    };
  }
}

/** The target probing what a front forwards to: the topology's `backends`, or a p2pnc target's own per-node checks. */
function backendsOf(row: CheckRow): string | undefined {
  if (row.target.backends) return row.target.backends;
  return row.target.kind === 'p2pnc-target' && !row.target.node ? row.target.name : undefined;
}

function layerCulprit(kind: FailureKind, row: CheckRow): string {
  switch (kind) {
    case 'refused':
      return `nothing listens on ${row.endpoint}, or a firewall rejects`;
    case 'timeout':
      return `packets to ${row.endpoint} are dropped (firewall, routing) or the host is down`;
    case 'no-route':
      return `no route to ${row.address ?? row.dnsName ?? row.endpoint}`;
    case 'tls':
      return `TLS handshake with ${row.endpoint} fails`;
    case 'http-status': {
      const status = httpStatusOf(row.lastFailure?.message);
      return `${row.endpoint} answers HTTP ${status ?? 'with an unexpected status'}`;
    }
    case 'http':
      return `the HTTP exchange with ${row.endpoint} fails`;
    case 'dns':
      return `${row.dnsName ?? row.endpoint} does not resolve`;
    default:
      return `${row.endpoint} fails`;
  }
}

function isSelf(row: CheckRow): boolean {
  return row.source.node !== undefined && row.source.node === row.target.node;
}

function serviceTitle(row: CheckRow): string {
  const service = steps.serviceOfName(row.dnsName ?? '');
  return service ? `Service ${service.namespace}/${service.name}` : row.target.name;
}

function nodeTitle(node: string, rows: readonly CheckRow[]): string {
  const roles = new Set(rows.flatMap((row) => row.target.nodeRoles));
  return roles.has('master') || roles.has('control-plane') ? `master ${node}` : `node ${node}`;
}

function kindsText(rows: readonly CheckRow[]): string {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const label = FAILURE_LABELS[row.lastFailure?.kind ?? 'other'];
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  return [...counts].map(([label, count]) => (counts.size === 1 ? label : `${count} ${label}`)).join(', ');
}

function describeSources(sources: readonly SourceRef[]): string {
  return listed(sources.map(describeSource), 'source');
}

/** `a, b, c`, or `a, b, c and 4 more [nouns]`. */
function listed(items: readonly string[], noun?: string): string {
  const more = items.length - 3;
  if (more <= 0) return items.join(', ');
  return `${items.slice(0, 3).join(', ')} and ${more} more${noun ? ` ${noun}${more === 1 ? '' : 's'}` : ''}`;
}

function describeNodes(sources: readonly SourceRef[]): string {
  return listed(distinct(sources.map((source) => source.node ?? `the node of ${source.name}`)), 'node');
}

function uniqueSources(rows: readonly CheckRow[]): SourceRef[] {
  const seen = new Map<string, SourceRef>();
  for (const row of rows) if (!seen.has(sourceKey(row.source))) seen.set(sourceKey(row.source), row.source);
  return [...seen.values()];
}

function preferSameTargets(rows: readonly CheckRow[], targets: ReadonlySet<string>): CheckRow[] {
  return [
    ...rows.filter((row) => targets.has(row.target.name)),
    ...rows.filter((row) => !targets.has(row.target.name)),
  ];
}

function isClusterName(name: string | undefined): boolean {
  return name !== undefined && /\.svc(\.|$)/.test(name);
}

/** The error text at the end of a message: `no such host`, `i/o timeout`. */
function lastWords(message: string | undefined): string {
  const text = message ?? '';
  const at = text.lastIndexOf(': ');
  return at >= 0 ? text.slice(at + 2) : text;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function distinct<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function earliest(times: readonly (string | undefined)[]): string | undefined {
  return times.filter((time): time is string => time !== undefined).sort()[0];
}

function latest(times: readonly (Date | undefined)[]): Date | undefined {
  return times.filter((time): time is Date => time !== undefined).sort((a, b) => b.getTime() - a.getTime())[0];
}
