// diagnose() on check objects whose statuses the real reducer produced: each fault must name its culprit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diagnose } from '../../src/ops/diagnose.js';
import { EXIT_CRITICAL, EXIT_HEALTHY, EXIT_WARNING, exitCodeFor, type Finding } from '../../src/ops/findings.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import {
  checksOf,
  dnsTimeout,
  invalidOutcome,
  meshTopology,
  noRoute,
  noSuchHost,
  NOW,
  openshiftTopology,
  refused,
  timeout,
  tlsTimeout,
  withStatuses,
  type Faults,
} from './support.js';

interface Expected {
  rule: Finding['rule'];
  culprit: string;
  severity: Finding['severity'];
  confidence: Finding['confidence'];
  /** Check names of the failing evidence, as regular expressions that must each match one, and all be matched. */
  failing: RegExp;
  failingCount: number;
  answering?: boolean;
}

interface Scenario {
  name: string;
  topology: TopologyInput;
  faults: Faults;
  expected: Expected[];
  exitCode: number;
}

const ocp = openshiftTopology();
const mesh = meshTopology();

/** The e2e fault bed (test/e2e/netns-cluster.ts): an unpinned Deployment and a DaemonSet on two nodes probe one port on four nodes. */
const bed: TopologyInput = {
  cluster: 'e2e',
  nodes: ['node-a', 'node-b', 'node-c', 'node-d'].map((name, i) => ({
    name,
    addresses: [`10.213.0.${11 + i}`],
    roles: i < 2 ? ['prober'] : ['worker'],
  })),
  sources: [
    { name: 'prober', kind: 'Deployment' },
    { name: 'mesh', kind: 'DaemonSet', roles: ['prober'], targets: ['target'] },
  ],
  targets: [
    { name: 'target', kind: 'node', port: 8080 },
    { name: 'by-name', kind: 'endpoint', host: 'node-d.fabric.example', port: 8080 },
  ],
};

const scenarios: Scenario[] = [
  {
    name: 'a load balancer failing while the API endpoints answer names the load balancer',
    topology: ocp,
    faults: { 'load-balancer-api-external': timeout },
    expected: [
      {
        rule: 'load-balancer',
        culprit: 'load balancer api.ocp.example.com:6443 (load-balancer-api-external)',
        severity: 'critical',
        confidence: 'high',
        failing: /to-load-balancer-api-external$/,
        failingCount: 1,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'a Service failing while its endpoints answer names service proxying on the source node',
    topology: ocp,
    faults: { 'kubernetes-apiserver-service-cluster': refused },
    expected: [
      {
        rule: 'service-proxying',
        culprit: 'service proxying for Service openshift-kube-apiserver/apiserver on worker-b',
        severity: 'critical',
        confidence: 'high',
        failing: /to-kubernetes-apiserver-service-cluster$/,
        failingCount: 1,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: "every Service failing from one source while the endpoints answer names that node's service proxying",
    topology: ocp,
    faults: { 'service-cluster': timeout },
    expected: [
      {
        rule: 'service-proxying',
        culprit: 'service proxying on worker-b',
        severity: 'critical',
        confidence: 'high',
        failing: /service-cluster$/,
        failingCount: 4,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'one master unreachable from the only source names that master, with low confidence',
    topology: ocp,
    faults: { 'master-1$': timeout },
    expected: [
      {
        rule: 'node-unreachable',
        culprit: 'master master-1: the node or its host network',
        severity: 'critical',
        confidence: 'low',
        failing: /-master-1$/,
        failingCount: 3,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'the API server refusing on one master while the master answers other probes names the API server on that master',
    topology: ocp,
    faults: { 'kubernetes-apiserver-endpoint-master-1': refused },
    expected: [
      {
        rule: 'target-on-node',
        culprit: 'kubernetes-apiserver-endpoint on master master-1',
        severity: 'warning',
        confidence: 'high',
        failing: /kubernetes-apiserver-endpoint-master-1$/,
        failingCount: 1,
        answering: true,
      },
    ],
    exitCode: EXIT_WARNING,
  },
  {
    name: 'a TLS failure on one master is classified and placed on that master',
    topology: ocp,
    faults: { 'openshift-apiserver-endpoint-master-2': tlsTimeout },
    expected: [
      {
        rule: 'target-on-node',
        culprit: 'openshift-apiserver-endpoint on master master-2',
        severity: 'warning',
        confidence: 'high',
        failing: /openshift-apiserver-endpoint-master-2$/,
        failingCount: 1,
      },
    ],
    exitCode: EXIT_WARNING,
  },
  {
    name: 'the API endpoints failing on every master take their load balancers and Services with them in one finding',
    topology: ocp,
    faults: { 'kubernetes-apiserver-endpoint|load-balancer|kubernetes-.*-service': refused },
    expected: [
      {
        rule: 'target-everywhere',
        culprit: 'kubernetes-apiserver-endpoint on every node (port 6443)',
        severity: 'critical',
        confidence: 'high',
        failing: /kubernetes-apiserver-endpoint-master-\d$|load-balancer|service-cluster$/,
        failingCount: 7,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'DNS failing while checks by IP answer names name resolution on the source node',
    topology: ocp,
    faults: { 'load-balancer|service-cluster': dnsTimeout },
    expected: [
      {
        rule: 'dns',
        culprit: 'name resolution on worker-b',
        severity: 'critical',
        confidence: 'high',
        failing: /load-balancer|service-cluster$/,
        failingCount: 6,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'a name that does not exist is named as the missing record',
    topology: ocp,
    faults: { 'load-balancer-api-internal': noSuchHost },
    expected: [
      {
        rule: 'dns',
        culprit: 'DNS name api-int.ocp.example.com: no such host',
        severity: 'critical',
        confidence: 'high',
        failing: /to-load-balancer-api-internal$/,
        failingCount: 1,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'every check of the only source failing blames the source side, with low confidence',
    topology: ocp,
    faults: { '.': timeout },
    expected: [
      {
        rule: 'source-side',
        culprit: 'source network-check-source on worker-b: its pod network or node',
        severity: 'critical',
        confidence: 'low',
        failing: /^network-check-source-worker-b-to-/,
        failingCount: 19,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'an endpoint with no backends to compare is reported with its layer',
    topology: ocp,
    faults: { 'to-registry$': refused },
    expected: [
      {
        rule: 'check-failing',
        culprit: 'registry: nothing listens on 10.0.9.9:5000, or a firewall rejects',
        severity: 'critical',
        confidence: 'high',
        failing: /to-registry$/,
        failingCount: 1,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'a node unreachable from every other source is that node, with high confidence',
    topology: mesh,
    faults: { 'worker-[123]-to-.*worker-4$': timeout },
    expected: [
      {
        rule: 'node-unreachable',
        culprit: 'node worker-4: connections into it fail (its own probes get out)',
        severity: 'critical',
        confidence: 'high',
        failing: /worker-[123]-to-(peer|kubelet)-worker-4$/,
        failingCount: 6,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'a node whose probes fail both ways is named once, as its own network',
    topology: mesh,
    faults: { 'worker-2-to-|to-.*worker-2$': timeout },
    expected: [
      {
        rule: 'node-unreachable',
        culprit: 'node worker-2: its network (probes to and from it fail)',
        severity: 'critical',
        confidence: 'high',
        failing: /worker-2-to-|-worker-2$/,
        failingCount: 18,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'every target failing from one source while others reach them blames that source, with high confidence',
    topology: mesh,
    faults: { 'worker-3-to-(?!.*worker-3$)': noRoute },
    expected: [
      {
        rule: 'source-side',
        culprit: 'source mesh on worker-3: its pod network or node',
        severity: 'critical',
        confidence: 'high',
        failing: /^mesh-worker-3-to-/,
        failingCount: 10,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'a route missing between two nodes names the path between them',
    topology: mesh,
    faults: { 'worker-1-to-.*worker-3$': noRoute, 'worker-3-to-.*worker-1$': timeout },
    expected: [
      {
        rule: 'path',
        culprit: 'the path between worker-1 and worker-3',
        severity: 'warning',
        confidence: 'high',
        failing: /worker-1-to-.*worker-3$|worker-3-to-.*worker-1$/,
        failingCount: 4,
        answering: true,
      },
    ],
    exitCode: EXIT_WARNING,
  },
  {
    name: 'a port refused on every node while the nodes answer other probes names that target everywhere',
    topology: mesh,
    faults: { 'to-kubelet-': refused },
    expected: [
      {
        rule: 'target-everywhere',
        culprit: 'kubelet on every node (port 10250)',
        severity: 'critical',
        confidence: 'high',
        failing: /to-kubelet-/,
        failingCount: 20,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'lookups timing out from every source name the cluster DNS',
    topology: mesh,
    faults: { 'registry|service-cluster': dnsTimeout },
    expected: [
      {
        rule: 'dns',
        culprit: 'cluster DNS: lookups fail from every source',
        severity: 'critical',
        confidence: 'high',
        failing: /registry|service-cluster/,
        failingCount: 8,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'names failing on one node that resolve elsewhere name resolution on that node',
    topology: mesh,
    faults: { 'worker-2-to-(registry|kubernetes-default)': noSuchHost },
    expected: [
      {
        rule: 'dns',
        culprit: 'name resolution on worker-2',
        severity: 'critical',
        confidence: 'high',
        failing: /^mesh-worker-2-to-(registry|kubernetes-default)/,
        failingCount: 2,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: "bed: a node's link down names that node, with low confidence as only one port is probed on it",
    topology: bed,
    faults: { 'to-target-node-c$': timeout },
    expected: [
      {
        rule: 'node-unreachable',
        culprit: 'node node-c: the node or its host network',
        severity: 'critical',
        confidence: 'low',
        failing: /to-target-node-c$/,
        failingCount: 3,
        answering: true,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
  {
    name: 'bed: the only port probed on a node refused from every source, itself included, names that target on the node, not the node',
    topology: bed,
    faults: { 'to-target-node-b$': refused },
    expected: [
      {
        rule: 'target-on-node',
        culprit: 'target on node node-b',
        severity: 'warning',
        confidence: 'high',
        failing: /to-target-node-b$/,
        failingCount: 3,
        answering: true,
      },
    ],
    exitCode: EXIT_WARNING,
  },
  {
    name: "bed: a route removed on one node names the path from that node's source, and from the unpinned Deployment",
    topology: bed,
    faults: { '^(prober|mesh-node-a)-to-target-node-c$': noRoute },
    expected: [
      {
        rule: 'path',
        culprit: 'the path from mesh on node-a to node-c',
        severity: 'warning',
        confidence: 'high',
        failing: /^mesh-node-a-to-target-node-c$/,
        failingCount: 1,
        answering: true,
      },
      {
        rule: 'path',
        culprit: 'the path from prober to node-c',
        severity: 'warning',
        confidence: 'high',
        failing: /^prober-to-target-node-c$/,
        failingCount: 1,
        answering: true,
      },
    ],
    exitCode: EXIT_WARNING,
  },
  {
    name: 'bed: a name that does not resolve names the DNS name',
    topology: bed,
    faults: { 'to-by-name$': noSuchHost },
    expected: [
      {
        rule: 'dns',
        culprit: 'DNS name node-d.fabric.example: no such host',
        severity: 'critical',
        confidence: 'high',
        failing: /^prober-to-by-name$/,
        failingCount: 1,
      },
    ],
    exitCode: EXIT_CRITICAL,
  },
];

describe('diagnose names the culprit of each fault', () => {
  for (const scenario of scenarios) {
    test(scenario.name, () => {
      const checks = withStatuses(checksOf(scenario.topology), scenario.faults);
      const diagnosis = diagnose(checks, { now: NOW });
      assert.deepEqual(
        diagnosis.findings.map(
          (finding) => `${finding.severity} ${finding.rule} ${finding.confidence}: ${finding.culprit}`,
        ),
        scenario.expected.map(
          (expected) => `${expected.severity} ${expected.rule} ${expected.confidence}: ${expected.culprit}`,
        ),
      );
      diagnosis.findings.forEach((finding, index) => {
        const expected = scenario.expected[index]!;
        const failing = finding.evidence.filter((entry) => entry.state === 'failing');
        assert.equal(
          failing.length,
          expected.failingCount,
          `failing evidence: ${failing.map((entry) => entry.check).join(', ')}`,
        );
        for (const entry of failing) assert.match(entry.check, expected.failing);
        assert.equal(new Set(failing.map((entry) => entry.check)).size, failing.length, 'each check once');
        if (expected.answering)
          assert.ok(
            finding.evidence.some((entry) => entry.state === 'answering'),
            'shows what answers',
          );
        assert.equal(finding.since, '2026-11-23T09:56:00Z', 'since the first failure');
        assert.ok(finding.next.length > 0, 'next commands');
      });
      const failingChecks = checks.filter((check) =>
        check.status?.conditions?.some((condition) => condition.type === 'Reachable' && condition.status === 'False'),
      );
      const explained = new Set(
        diagnosis.findings.flatMap((finding) =>
          finding.evidence.filter((entry) => entry.state === 'failing').map((entry) => entry.check),
        ),
      );
      assert.deepEqual(
        failingChecks.map((check) => check.metadata.name).filter((name) => !explained.has(name)),
        [],
        'every failing check is explained',
      );
      assert.equal(exitCodeFor(diagnosis.findings), scenario.exitCode);
    });
  }
});

describe('evidence and next commands', () => {
  test('evidence carries the failure kind, the message the source wrote and when it began', () => {
    const checks = withStatuses(checksOf(ocp), { 'master-1$': timeout });
    const [finding] = diagnose(checks, { now: NOW }).findings;
    const evidence = finding!.evidence.find(
      (entry) => entry.check === 'network-check-source-worker-b-to-kubernetes-apiserver-endpoint-master-1',
    )!;
    assert.deepEqual(evidence, {
      check: 'network-check-source-worker-b-to-kubernetes-apiserver-endpoint-master-1',
      state: 'failing',
      since: '2026-11-23T09:56:00Z',
      kind: 'timeout',
      message:
        'kubernetes-apiserver-endpoint-master-1: failed to establish a TCP connection to 10.0.0.5:6443: dial tcp 10.0.0.5:6443: i/o timeout',
    });
    assert.ok(finding!.next.includes('ping -c 3 10.0.0.5   # from worker-b'), finding!.next.join('\n'));
    assert.ok(finding!.next.includes('kubectl get node master-1 -o wide'));
  });

  test('the namespace given goes into the commands', () => {
    const checks = withStatuses(checksOf(ocp), { 'master-1$': timeout });
    const [finding] = diagnose(checks, { now: NOW, namespace: 'netcheck' }).findings;
    assert.ok(finding!.next.includes('p2pnc status -n netcheck --node master-1 --probe'), finding!.next.join('\n'));
  });

  test('a healthy matrix has no findings and exits 0', () => {
    const diagnosis = diagnose(withStatuses(checksOf(ocp), {}), { now: NOW });
    assert.deepEqual(diagnosis.findings, []);
    assert.deepEqual(diagnosis.checks, { total: 19, answering: 19, failing: 0, silent: 0, pending: 0, invalid: 0 });
    assert.equal(exitCodeFor(diagnosis.findings), EXIT_HEALTHY);
  });

  test('findings are ordered by severity, critical first', () => {
    const checks = withStatuses(checksOf(ocp), {
      'kubernetes-apiserver-endpoint-master-1': refused,
      'load-balancer-api-external': timeout,
    });
    const findings = diagnose(checks, { now: NOW }).findings;
    assert.deepEqual(
      findings.map((finding) => finding.severity),
      ['critical', 'warning'],
    );
    assert.deepEqual(
      findings.map((finding) => finding.rule),
      ['load-balancer', 'target-on-node'],
    );
  });
});

describe('checks nobody probes', () => {
  const names = (finding: Finding | undefined) =>
    finding?.evidence.map((entry) => `${entry.state} ${entry.check}`) ?? [];

  test('a source whose results stopped is not probing; its old results are not used as evidence of faults', () => {
    const checks = withStatuses(checksOf(ocp), { 'master-1$': timeout }, { lastProbeMinutesAgo: 45 });
    const findings = diagnose(checks, { now: NOW }).findings;
    assert.deepEqual(
      findings.map((finding) => `${finding.severity} ${finding.rule}: ${finding.culprit}`),
      ['warning source-not-probing: source network-check-source on worker-b: not probing'],
    );
    assert.equal(findings[0]!.evidence.length, 19);
    assert.ok(
      findings[0]!.evidence.every((entry) => entry.state === 'silent' && entry.since === '2026-11-23T09:15:00Z'),
    );
    assert.equal(exitCodeFor(findings), EXIT_WARNING);
  });

  test('results younger than the silence window (20 minutes, or 3 intervals) are current', () => {
    const checks = withStatuses(checksOf(ocp), {}, { lastProbeMinutesAgo: 15 });
    assert.deepEqual(diagnose(checks, { now: NOW }).findings, []);
    assert.equal(diagnose(checks, { now: NOW, silentAfterMs: 10 * 60_000 }).findings[0]?.rule, 'source-not-probing');
  });

  test('checks never probed since long after their creation mean the source is not running', () => {
    const checks = checksOf(mesh).map((check) =>
      check.spec.source?.node === 'worker-4' ? check : withStatuses([check], {})[0]!,
    );
    const findings = diagnose(checks, { now: NOW }).findings;
    assert.deepEqual(
      findings.map((finding) => finding.culprit),
      ['source mesh on worker-4: not probing'],
    );
    assert.ok(names(findings[0]).every((line) => line.startsWith('never-probed mesh-worker-4-to-')));
    assert.ok(
      findings[0]!.next.includes(
        'kubectl -n p2pnc get pods -l p2pnc.io/source=mesh -o wide --field-selector spec.nodeName=worker-4',
      ),
      findings[0]!.next.join('\n'),
    );
  });

  test('checks just created and not probed yet are pending, not a finding', () => {
    const fresh: CheckObject[] = checksOf(ocp).map((check) => ({
      ...check,
      metadata: { ...check.metadata, creationTimestamp: '2026-11-23T09:59:00Z' },
    }));
    const diagnosis = diagnose(fresh, { now: NOW });
    assert.deepEqual(diagnosis.findings, []);
    assert.equal(diagnosis.checks.pending, 19);
  });

  test('a Stale condition makes the check silent', async () => {
    const { markStale } = await import('../../src/runtime/status/reducer.js');
    const checks = withStatuses(checksOf(ocp), {}).map((check) =>
      check.metadata.name.endsWith('-to-registry')
        ? { ...check, status: markStale(check.status!, new Date('2026-11-21T09:00:00Z'), NOW, 48 * 3600_000) }
        : check,
    );
    const findings = diagnose(checks, { now: NOW }).findings;
    assert.deepEqual(
      findings.map((finding) => finding.culprit),
      ['source network-check-source on worker-b: 1 check without results'],
    );
    assert.match(findings[0]!.evidence[0]!.message!, /^marked Stale/);
  });

  test('no checks at all is a warning naming the namespace', () => {
    const diagnosis = diagnose([], { now: NOW, namespace: 'elsewhere' });
    assert.deepEqual(
      diagnosis.findings.map((finding) => finding.culprit),
      ['no checks in namespace elsewhere'],
    );
    assert.equal(exitCodeFor(diagnosis.findings), EXIT_WARNING);
  });
});

test("a check that cannot be probed because the target pod is missing names that node's target pod", async () => {
  const checks = checksOf(ocp);
  const onWorkerC = checks.find((check) => check.metadata.name.endsWith('-to-network-check-target-worker-c'))!;
  const findings = diagnose(
    withStatuses(checks, { 'network-check-target-worker-c$': await invalidOutcome(onWorkerC) }),
    { now: NOW },
  ).findings;
  assert.deepEqual(
    findings.map((finding) => `${finding.severity} ${finding.rule}: ${finding.culprit}`),
    ['warning invalid-check: target pod on node worker-c: not running or not ready'],
  );
  assert.equal(findings[0]!.evidence[0]!.state, 'invalid');
  assert.ok(findings[0]!.next.some((command) => command.includes('--field-selector spec.nodeName=worker-c')));
});

test('a target without a ready pod on several nodes is one finding about its DaemonSet, not one per node', async () => {
  const checks = checksOf(ocp);
  const perNode = checks.filter((check) => /-to-network-check-target-(master|worker)-.$/.test(check.metadata.name));
  assert.equal(perNode.length, 6);
  const invalidOn = async (pattern: RegExp) =>
    Object.fromEntries(
      await Promise.all(
        perNode
          .filter((check) => pattern.test(check.metadata.name))
          .map(async (check) => [`${check.metadata.name}$`, await invalidOutcome(check)] as const),
      ),
    );
  const everywhere = diagnose(withStatuses(checks, await invalidOn(/./)), { now: NOW }).findings;
  assert.deepEqual(
    everywhere.map((finding) => `${finding.severity} ${finding.rule}: ${finding.culprit}`),
    [
      'warning invalid-check: target network-check-target: no ready pod on any of 6 nodes (master-0, master-1, master-2 and 3 more)',
    ],
  );
  assert.equal(everywhere[0]!.evidence.length, 6);
  assert.ok(everywhere[0]!.next.includes('kubectl -n p2pnc get daemonset network-check-target -o wide'));

  const twoNodes = diagnose(withStatuses(checks, await invalidOn(/worker-[cd]$/)), { now: NOW }).findings;
  assert.deepEqual(
    twoNodes.map((finding) => finding.culprit),
    ['target network-check-target: no ready pod on 2 nodes (worker-c, worker-d)'],
  );
  assert.match(twoNodes[0]!.summary, /Its pods on other nodes answer/);
});

test('when even kubernetes.default.svc does not exist from a source, its cluster names point at its resolver, not at missing Services', () => {
  const checks = withStatuses(checksOf(ocp), {
    'service-cluster$': noSuchHost,
    'load-balancer-api-internal': noSuchHost,
  });
  const findings = diagnose(checks, { now: NOW }).findings;
  assert.deepEqual(findings.map((finding) => `${finding.severity} ${finding.rule}: ${finding.culprit}`).sort(), [
    'critical dns: DNS name api-int.ocp.example.com: no such host',
    'critical dns: cluster DNS from network-check-source on worker-b: even kubernetes.default.svc.cluster.local does not exist (resolver or cluster domain)',
  ]);
  const cluster = findings.find((finding) => finding.culprit.startsWith('cluster DNS'))!;
  assert.equal(cluster.evidence.length, 4, "the three Services and the target's Service");
  assert.match(cluster.summary, /does not ask the cluster DNS .* or the cluster domain is not cluster\.local/);
  assert.ok(cluster.next.some((command) => command.includes('/api/v1/nodes/worker-b/proxy/configz')));

  // One missing Service while kubernetes.default resolves stays that Service's finding.
  const one = diagnose(withStatuses(checksOf(ocp), { 'openshift-apiserver-service-cluster': noSuchHost }), {
    now: NOW,
  }).findings;
  assert.deepEqual(
    one.map((finding) => finding.culprit),
    ['DNS name api.openshift-apiserver.svc.cluster.local: no such host (is Service openshift-apiserver/api missing?)'],
  );
});

test('a target refusing on one node counts the other nodes it answers on, not its Service', () => {
  const findings = diagnose(withStatuses(checksOf(ocp), { 'network-check-target-worker-c$': refused }), {
    now: NOW,
  }).findings;
  assert.deepEqual(
    findings.map((finding) => `${finding.rule}: ${finding.culprit}`),
    ['target-on-node: network-check-target on node worker-c'],
  );
  // masters 0-2 and worker-d; worker-b is the source's own node, and the Service is no node.
  assert.match(findings[0]!.summary, /while it answers on 4 other nodes/);
  assert.ok(
    findings[0]!.evidence
      .filter((entry) => entry.state === 'answering')
      .every(
        (entry) =>
          /-to-network-check-target-(master|worker)-.$/.test(entry.check) ||
          !entry.check.includes('network-check-target'),
      ),
  );
});
