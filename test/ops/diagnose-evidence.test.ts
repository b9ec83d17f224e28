/**
 * diagnose's evidence rules on recorded check sets: heartbeats decide which sources count, observers that fail every
 * other node are not independent, one fresh observer clears a node, and intermittent failures are loss.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SourceHeartbeat } from '../../src/api/heartbeat.js';
import { diagnose } from '../../src/ops/diagnose.js';
import { EXIT_CRITICAL, EXIT_WARNING, exitCodeFor, type Diagnosis } from '../../src/ops/findings.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import * as messages from '../../src/runtime/probe/messages.js';
import { checkLabel } from '../../src/runtime/source/check-target.js';
import { record } from '../../src/runtime/status/reducer.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { checksOf, meshTopology, NOW, ok, refused, statusFor, timeout, type Outcome } from './support.js';

const minutesAgo = (count: number) => new Date(NOW.getTime() - count * 60_000);

/** mesh on four workers plus an unpinned Deployment `prober` probing the same per-node targets. */
const topology: TopologyInput = {
  ...meshTopology(),
  sources: [
    { name: 'mesh', kind: 'DaemonSet', roles: ['worker'] },
    { name: 'prober', kind: 'Deployment', targets: ['peer', 'kubelet'] },
  ],
};

interface Scene {
  /** The outcome of a check by name; success when undefined. */
  outcome?: (name: string) => Outcome | undefined;
  /** Sources that stopped writing this many minutes ago: their last results stay as they were. */
  stoppedMinutesAgo?: (name: string) => number | undefined;
  heartbeats?: SourceHeartbeat[];
}

function scene({ outcome, stoppedMinutesAgo, heartbeats }: Scene): { checks: CheckObject[]; run: () => Diagnosis } {
  const checks = checksOf(topology).map((check) => {
    const name = check.metadata.name;
    const stopped = stoppedMinutesAgo?.(name);
    const failure = outcome?.(name);
    return {
      ...check,
      status: statusFor(check, stopped === undefined ? failure : undefined, {
        ...(stopped !== undefined ? { lastProbeMinutesAgo: stopped } : {}),
      }),
    };
  });
  return { checks, run: () => diagnose(checks, { now: NOW, ...(heartbeats ? { heartbeats } : {}) }) };
}

/** Every source renewed a minute ago (alive), except those named, renewed `quietFor` minutes ago. */
function heartbeats(options: { quiet?: string[]; quietFor?: number; proberOn?: string } = {}): SourceHeartbeat[] {
  const beat = (source: string, node: string | undefined, runningOn: string): SourceHeartbeat => {
    const key = node ? `${source}@${node}` : source;
    const quiet = options.quiet?.includes(key);
    return {
      source,
      ...(node ? { node } : {}),
      runningOn,
      holder: `${source}-pod`,
      renewTime: minutesAgo(quiet ? (options.quietFor ?? 4) : 1),
      durationMs: 150_000,
    };
  };
  return [
    ...['worker-1', 'worker-2', 'worker-3', 'worker-4'].map((node) => beat('mesh', node, node)),
    beat('prober', undefined, options.proberOn ?? 'worker-1'),
  ];
}

const lines = (diagnosis: Diagnosis) =>
  diagnosis.findings.map((finding) => `${finding.severity} ${finding.rule} ${finding.confidence}: ${finding.culprit}`);

describe('heartbeats: a quiet source shows within three periods, and its results never count', () => {
  test('a source whose heartbeat is 4 minutes old (declared 2.5 minutes) is quiet, though its results are fresh', () => {
    const diagnosis = scene({ heartbeats: heartbeats({ quiet: ['mesh@worker-3'] }) }).run();
    assert.deepEqual(lines(diagnosis), [
      'warning source-not-probing high: source mesh on worker-3: quiet since 2026-11-23T09:56:00Z',
    ]);
    assert.equal(diagnosis.checks.silent, 12, "its 12 checks' results are set aside");
    assert.match(diagnosis.findings[0]!.summary, /last renewed 2026-11-23T09:56:00Z by pod mesh-pod/);
  });

  test('a heartbeat renewed within its duration is alive: no finding', () => {
    const diagnosis = scene({ heartbeats: heartbeats({ quiet: ['mesh@worker-3'], quietFor: 2 }) }).run();
    assert.deepEqual(lines(diagnosis), []);
  });

  test("a node cut off completely: its sources are quiet, their last 'answering' results prove nothing", () => {
    const toWorker2 = /-to-(peer|kubelet)-worker-2$/;
    const onWorker2 = (name: string) => name.startsWith('mesh-worker-2-') || name.startsWith('prober-');
    const fault: Scene = {
      outcome: (name) => (toWorker2.test(name) && !name.startsWith('mesh-worker-2-') ? timeout : undefined),
      // The sources on worker-2 (the DaemonSet's pod, and the Deployment's) stopped writing when the link went.
      stoppedMinutesAgo: (name) => (onWorker2(name) ? 4 : undefined),
    };
    const withBeats = scene({
      ...fault,
      heartbeats: heartbeats({ quiet: ['mesh@worker-2', 'prober'], proberOn: 'worker-2' }),
    });
    const diagnosis = withBeats.run();
    assert.deepEqual(lines(diagnosis), [
      'critical node-unreachable high: node worker-2: down or cut off (its sources cannot write either)',
    ]);
    const [finding] = diagnosis.findings;
    assert.ok(
      finding!.observers!.some((observer) => observer.source === 'prober' && /quiet since/.test(observer.says)),
      'names the quiet Deployment on the node as support',
    );
    assert.ok(
      finding!.evidence.every((entry) => entry.state !== 'answering' || !entry.check.startsWith('prober-')),
      "the quiet Deployment's old successes are not shown as answering",
    );
    assert.equal(exitCodeFor(diagnosis.findings), EXIT_CRITICAL);
  });
});

describe('observers: independent and fresh, or not counted', () => {
  const cutOff = (node: string) => (name: string) => {
    const from = name.startsWith(`mesh-${node}-`) || name.startsWith('prober-');
    const to = new RegExp(`-to-(peer|kubelet)-${node}$`).test(name);
    const toOther = /-to-(peer|kubelet)-/.test(name) && !to;
    // Everything between `node` and the other nodes fails, both ways; the Deployment runs on `node` too.
    return (from && toOther) || (to && !from) ? timeout : undefined;
  };

  test('sources cut off from their peers (but writing) name their own node, not the healthy nodes they cannot reach', () => {
    const diagnosis = scene({ outcome: cutOff('worker-1'), heartbeats: heartbeats({ proberOn: 'worker-1' }) }).run();
    assert.deepEqual(lines(diagnosis), [
      'critical node-unreachable high: node worker-1: its network (probes to and from it fail)',
    ]);
    const finding = diagnosis.findings[0]!;
    assert.ok(finding.evidence.some((entry) => entry.check === 'prober-to-peer-worker-3' && entry.state === 'failing'));
    assert.ok(finding.evidence.some((entry) => entry.check === 'mesh-worker-1-to-kubelet-worker-2'));
  });

  test('cut off only outbound: the sources are the finding, and no healthy node is critical', () => {
    // worker-1's sources reach no other node; the others reach worker-1 and each other.
    const outboundOnly = (name: string) =>
      (name.startsWith('mesh-worker-1-') || name.startsWith('prober-')) &&
      /-to-(peer|kubelet)-(master-0|worker-[234])$/.test(name)
        ? timeout
        : undefined;
    const diagnosis = scene({ outcome: outboundOnly, heartbeats: heartbeats({ proberOn: 'worker-1' }) }).run();
    assert.deepEqual(lines(diagnosis).sort(), [
      'critical source-side high: source mesh on worker-1: cannot reach other nodes',
      'critical source-side high: source prober (on worker-1): its pod, node or egress',
    ]);
    for (const finding of diagnosis.findings)
      assert.doesNotMatch(finding.culprit, /worker-[234]|master-0/, 'no healthy node is named');
  });

  test('one fresh observer reaching a node clears it, whatever stale ones said', () => {
    // mesh on worker-2 and worker-3 fail to reach worker-4 only from there; mesh on worker-1 reaches it.
    const diagnosis = scene({
      outcome: (name) => (/^mesh-worker-[23]-to-(peer|kubelet)-worker-4$/.test(name) ? timeout : undefined),
      heartbeats: heartbeats(),
    }).run();
    assert.ok(
      diagnosis.findings.every((finding) => finding.rule !== 'node-unreachable'),
      lines(diagnosis).join('\n'),
    );
    assert.ok(diagnosis.findings.every((finding) => finding.rule === 'path' && finding.severity === 'warning'));
    const observers = diagnosis.findings.flatMap((finding) => finding.observers ?? []);
    assert.ok(observers.some((observer) => observer.source === 'mesh on worker-1' && /answering/.test(observer.says)));
  });

  test('two nodes down at once: both named, each by the observers that reach the others', () => {
    const down = /-to-(peer|kubelet)-worker-[34]$/;
    const diagnosis = scene({
      outcome: (name) => (down.test(name) && !/^mesh-worker-[34]-/.test(name) ? timeout : undefined),
      stoppedMinutesAgo: (name) => (/^mesh-worker-[34]-/.test(name) ? 4 : undefined),
      heartbeats: heartbeats({ quiet: ['mesh@worker-3', 'mesh@worker-4'] }),
    }).run();
    assert.deepEqual(lines(diagnosis), [
      'critical node-unreachable high: node worker-3: down or cut off (its sources cannot write either)',
      'critical node-unreachable high: node worker-4: down or cut off (its sources cannot write either)',
    ]);
  });

  test('a firewall dropping one port on one node names that port on that node, a warning', () => {
    const diagnosis = scene({
      outcome: (name) =>
        /-to-kubelet-worker-3$/.test(name) && !name.startsWith('mesh-worker-3-') ? timeout : undefined,
      heartbeats: heartbeats(),
    }).run();
    assert.deepEqual(lines(diagnosis), ['warning target-on-node high: kubelet on node worker-3']);
    assert.equal(exitCodeFor(diagnosis.findings), EXIT_WARNING);
  });
});

describe('loss: intermittent failures are their own finding, never critical', () => {
  /** Every third probe of the last 30 minutes failed: loss, not an outage. */
  function lossy(check: CheckObject) {
    let status;
    for (let ago = 30; ago >= 0; ago--) {
      const outcome = ago % 3 === 1 ? timeout : ok;
      status = record(status, outcome(check, minutesAgo(ago))).status;
    }
    return status!;
  }
  const lossyChecks = () =>
    checksOf(topology).map((check) => {
      const name = check.metadata.name;
      const fromWorker2 = name.startsWith('mesh-worker-2-');
      const toWorker2 = /-to-(peer|kubelet)-worker-2$/.test(name);
      // Through worker-2's link: to it from elsewhere, and from it to other nodes; its probes of itself stay clean.
      const throughLink = toWorker2 !== fromWorker2 && (toWorker2 || /-to-(peer|kubelet)-/.test(name));
      return { ...check, status: throughLink ? lossy(check) : statusFor(check, undefined) };
    });

  test("loss on one node's link is one warning with its figure, the same on every run", () => {
    const checks = lossyChecks();
    const first = diagnose(checks, { now: NOW, heartbeats: heartbeats() });
    const again = diagnose(checks, { now: new Date(NOW.getTime() + 60_000), heartbeats: heartbeats() });
    assert.deepEqual(
      lines(first).filter((line) => /loss/.test(line)),
      ['warning loss high: node worker-2: packet loss on its link'],
    );
    assert.ok(
      first.findings.every((finding) => finding.severity === 'warning'),
      lines(first).join('\n'),
    );
    assert.deepEqual(lines(again), lines(first), 'stable from one run to the next');
    const [finding] = first.findings.filter((entry) => entry.rule === 'loss');
    assert.ok(finding!.evidence.every((entry) => entry.state === 'lossy'));
    assert.match(finding!.summary, /about 3[0-9]%/, 'the loss figure: every third probe failed');
  });
});

describe("loss on a node's link: a single observer's short failure streak there is loss, a long one an outage", () => {
  /** The prober alone pings each worker; the mesh probes peer and kubelet. */
  const withPing: TopologyInput = {
    ...topology,
    targets: [...(topology.targets ?? []), { name: 'ping', kind: 'node', port: 1, probe: { kind: 'icmp' } }],
    sources: [
      { name: 'mesh', kind: 'DaemonSet', roles: ['worker'] },
      { name: 'prober', kind: 'Deployment', targets: ['ping'] },
    ],
  };
  /**
   * `minutes` minutes of probes, every third failing, then the newest `streak` probes (one every 5 s) failed. A
   * short history is the source's view right after the loss began: too few probes yet to call the check Degraded.
   */
  function lossyThenStreak(check: CheckObject, streak: number, minutes = 30) {
    let status;
    for (let ago = minutes; ago >= 1; ago--)
      status = record(status, (ago % 3 === 1 ? timeout : ok)(check, minutesAgo(ago))).status;
    for (let index = streak - 1; index >= 0; index--)
      status = record(status, timeout(check, new Date(NOW.getTime() - index * 5_000))).status;
    return status!;
  }
  const scene = (streak: number) =>
    checksOf(withPing).map((check) => {
      const name = check.metadata.name;
      const toWorker2 = /-to-(peer|kubelet)-worker-2$/.test(name) && !name.startsWith('mesh-worker-2-');
      if (name === 'prober-to-ping-worker-2') return { ...check, status: lossyThenStreak(check, streak, 6) };
      return { ...check, status: toWorker2 ? lossyThenStreak(check, 0) : statusFor(check, undefined) };
    });

  test('four failures in a row, an outage the source opened: still the loss on the link, the same on every run', () => {
    const checks = scene(4);
    const ping = checks.find((check) => check.metadata.name === 'prober-to-ping-worker-2')!;
    assert.ok(ping.status.outages?.[0] && !ping.status.outages[0].end, 'the source opened an outage');
    const first = diagnose(checks, { now: NOW, heartbeats: heartbeats() });
    assert.deepEqual(lines(first), ['warning loss high: node worker-2: packet loss on its link']);
    const finding = first.findings[0]!;
    assert.ok(finding.evidence.some((entry) => entry.check === 'prober-to-ping-worker-2' && entry.state === 'lossy'));
    const later = diagnose(checks, { now: new Date(NOW.getTime() + 30_000), heartbeats: heartbeats() });
    assert.deepEqual(lines(later), lines(first), 'stable from one run to the next');
  });

  test('ten failures in a row, more than loss makes by chance: the ping path to that node is down, beside the loss', () => {
    const diagnosis = diagnose(scene(10), { now: NOW, heartbeats: heartbeats() });
    console.log(
      lines(diagnosis),
      JSON.stringify(
        diagnosis.findings.map((f) => f.evidence),
        null,
        1,
      ),
    );
    const outage = diagnosis.findings.filter((finding) => finding.rule !== 'loss');
    assert.equal(outage.length, 1, lines(diagnosis).join('\n'));
    assert.match(outage[0]!.culprit, /worker-2/);
    assert.ok(
      outage[0]!.evidence.some((entry) => entry.check === 'prober-to-ping-worker-2' && entry.state === 'failing'),
    );
    assert.ok(lines(diagnosis).includes('warning loss high: node worker-2: packet loss on its link'));
  });
});

describe('ICMP beside TCP: whether the node itself is down', () => {
  const withPing: TopologyInput = {
    ...topology,
    targets: [...(topology.targets ?? []), { name: 'ping', kind: 'node', port: 1, probe: { kind: 'icmp' } }],
    sources: [{ name: 'mesh', kind: 'DaemonSet', roles: ['worker'] }],
  };
  const pingTimeout: Outcome = (check, time) => ({
    time,
    success: false,
    latencyMs: 1000,
    reason: 'ICMPEchoError',
    message: messages.icmpFailed(checkLabel(check.metadata.name), '10.1.0.13', '10.1.0.13', 'i/o timeout'),
    failure: 'timeout',
  });
  const run = (outcome: (name: string) => Outcome | undefined) =>
    diagnose(
      checksOf(withPing).map((check) => ({ ...check, status: statusFor(check, outcome(check.metadata.name)) })),
      { now: NOW },
    );

  test('ping answers while the kubelet port times out: the port on that node, not the node', () => {
    const diagnosis = run((name) => (/^mesh-worker-[124]-to-kubelet-worker-3$/.test(name) ? timeout : undefined));
    assert.deepEqual(lines(diagnosis), ['warning target-on-node high: kubelet on node worker-3']);
    assert.match(diagnosis.findings[0]!.summary, /worker-3 answers .*ping/);
  });

  test('neither ping nor any port answers: the node, saying both failed', () => {
    // worker-3 is cut off: nothing reaches it and its own source reaches nothing.
    const diagnosis = run((name) => {
      const inbound = /^mesh-worker-[124]-to-[a-z]+-worker-3$/.test(name);
      const outbound = /^mesh-worker-3-to-[a-z]+-(master-0|worker-[124])$/.test(name);
      if (!inbound && !outbound) return undefined;
      return /-to-ping-/.test(name) ? pingTimeout : timeout;
    });
    assert.deepEqual(lines(diagnosis), [
      'critical node-unreachable high: node worker-3: its network (probes to and from it fail)',
    ]);
    assert.match(diagnosis.findings[0]!.summary, /Neither ICMP echo nor its ports answer/);
  });

  test('only ping fails from everywhere: ICMP filtered there, named as such, the node is not blamed', () => {
    const diagnosis = run((name) => (/^mesh-worker-[124]-to-ping-worker-3$/.test(name) ? pingTimeout : undefined));
    assert.deepEqual(lines(diagnosis), ['warning target-on-node high: ping on node worker-3']);
  });
});

test('an MTU black hole is classified as such and the next steps find the path MTU', () => {
  const failure: Outcome = (object, time) => ({
    time,
    success: false,
    latencyMs: 5000,
    reason: 'MTUBlackHole',
    message: messages.mtuBlackHole(
      checkLabel(object.metadata.name),
      'https://registry.example.com:443/',
      2896,
      65536,
      '5s',
    ),
    failure: 'mtu',
  });
  const checks = checksOf(topology).map((check) => ({
    ...check,
    status: statusFor(check, check.metadata.name.endsWith('-to-registry') ? failure : undefined),
  }));
  const diagnosis = diagnose(checks, { now: NOW });
  assert.match(diagnosis.findings[0]!.culprit, /^registry: .*path-MTU black hole/);
  assert.equal(diagnosis.findings[0]!.evidence[0]!.kind, 'mtu');
  assert.ok(diagnosis.findings[0]!.next.some((step) => step.startsWith('ping -M do -s 1472')));
});

describe('layers and vantages: pod network against host network, and the API server own paths', () => {
  const layered: TopologyInput = {
    cluster: 'layers',
    target: { port: 8080, hostPort: 17699 },
    nodes: [
      { name: 'master-0', addresses: ['10.2.0.10'], roles: ['control-plane'] },
      ...['worker-1', 'worker-2', 'worker-3'].map((name, i) => ({
        name,
        addresses: [`10.2.0.1${i + 1}`],
        roles: ['worker'],
      })),
    ],
    sources: [
      { name: 'pod-mesh', kind: 'DaemonSet', roles: ['worker'], targets: ['node-pod'] },
      { name: 'host-mesh', kind: 'DaemonSet', roles: ['worker'], hostNetwork: true, targets: ['node-host', 'kubelet'] },
      { name: 'cp', kind: 'DaemonSet', controlPlane: true, hostNetwork: true, targets: ['kubelet'] },
    ],
    targets: [
      { name: 'node-pod', kind: 'p2pnc-target', viaService: false },
      { name: 'node-host', kind: 'p2pnc-target', layer: 'host' },
      { name: 'kubelet', kind: 'node', port: 10250 },
    ],
  };
  const run = (outcome: (name: string) => Outcome | undefined) =>
    diagnose(
      checksOf(layered).map((check) => ({ ...check, status: statusFor(check, outcome(check.metadata.name)) })),
      { now: NOW },
    );

  test("a node's pod paths fail while its host paths answer: its pod network, not the node", () => {
    const diagnosis = run((name) =>
      /^pod-mesh-worker-[13]-to-node-pod-worker-2$/.test(name) ||
      /^pod-mesh-worker-2-to-node-pod-(master-0|worker-[13])$/.test(name)
        ? timeout
        : undefined,
    );
    assert.deepEqual(lines(diagnosis), [
      'critical pod-network high: pod network on node worker-2 (SDN/overlay): the node is up, its pods are cut off',
    ]);
    const finding = diagnosis.findings[0]!;
    assert.equal(finding.evidence.filter((entry) => entry.state === 'failing').length, 5, 'to and from its pods');
    assert.ok(finding.next.some((step) => /ip_forward/.test(step)));
  });

  test('pod and host paths both fail: the node, not its pod network', () => {
    const diagnosis = run((name) =>
      /-to-(node-pod|node-host|kubelet)-worker-2$/.test(name) && !/-worker-2-to-/.test(name) ? timeout : undefined,
    );
    assert.deepEqual(
      lines(diagnosis).map((line) => line.replace(/: .*/, '')),
      ['critical node-unreachable high'],
    );
    assert.match(diagnosis.findings[0]!.culprit, /node worker-2/);
  });

  test('the pod target refusing on one node is that target, not the pod network (the pod answered)', () => {
    const diagnosis = run((name) => (/^pod-mesh-worker-[13]-to-node-pod-worker-2$/.test(name) ? refused : undefined));
    assert.deepEqual(
      lines(diagnosis).map((line) => line.split(':')[0]),
      ['warning target-on-node high'],
    );
  });

  test("the API server's vantage: kubelets it cannot reach, named with what fails", () => {
    const diagnosis = run((name) => (/^cp-master-0-to-kubelet-worker-[123]$/.test(name) ? timeout : undefined));
    assert.deepEqual(lines(diagnosis), [
      'critical control-plane-path high: API server on master-0: cannot reach kubelets',
    ]);
    assert.match(
      diagnosis.findings[0]!.summary,
      /logs, exec, port-forward and metrics will fail \(on 3 nodes: worker-1, worker-2, worker-3\)/,
    );
    assert.match(diagnosis.findings[0]!.summary, /Other sources reach the same targets/);
  });
});
