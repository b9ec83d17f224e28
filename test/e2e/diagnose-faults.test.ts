/**
 * diagnose on fault shapes beyond the node/target/route/DNS four of faults.test.ts, on the same network-namespace
 * bed: the sources of node-a (the Deployment and the DaemonSet's pod) cut off from their peers while they still
 * write; node-a cut off completely (its sources go quiet: their heartbeats stop); two nodes down at once; a firewall
 * dropping the target's port on one node; random loss on one node's link. Each node is probed twice (the target's
 * TCP port and ICMP echo), from three per-node sources and the Deployment. While each fault lasts, `p2pnc diagnose`
 * (a real process, the admin's kubeconfig) must name the culprit with the right severity and exit code and name
 * nothing healthy as critical; after healing it must find nothing.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import type { Finding } from '../../src/ops/findings.js';
import { eventually } from '../helpers/process.js';
import { runDiagnose } from './diagnosis.js';
import type { Fabric } from './fabric.js';
import { startNetnsCluster, type NetnsCluster } from './netns-cluster.js';

const NODES = ['node-a', 'node-b', 'node-c', 'node-d'];

function inNetns(netns: string, ...command: string[]): void {
  execFileSync('ip', ['netns', 'exec', netns, ...command], { stdio: 'pipe' });
}

function iptables(fabric: Fabric, node: string, ...rule: string[]): void {
  inNetns(fabric.node(node).netns, 'iptables', '-w', ...rule);
}

const headline = (finding: Pick<Finding, 'severity' | 'rule' | 'confidence' | 'culprit'>) =>
  `${finding.severity} ${finding.rule} ${finding.confidence}: ${finding.culprit}`;

/** Runs diagnose until its headlines are `expected` (outages open and heartbeats go stale over a few seconds). */
async function diagnosedAs(
  t: { diagnostic(message: string): void },
  bed: NetnsCluster,
  label: string,
  expected: string[],
  exitCode: number,
  timeoutMs = 60_000,
): Promise<Finding[]> {
  let last = '';
  const { code, diagnosis } = await eventually(
    async () => {
      const run = await runDiagnose(bed);
      last = `exit ${run.code}: ${run.diagnosis.findings.map(headline).join(' | ') || '(none)'}`;
      const lines = run.diagnosis.findings.map(headline);
      if (JSON.stringify(lines) === JSON.stringify(expected)) return run;
      throw new Error(`${label}: diagnose says ${last}`);
    },
    timeoutMs,
    `${label}: diagnose to name ${expected.join(' | ')}`,
  );
  for (const finding of diagnosis.findings) t.diagnostic(`${label}: ${headline(finding)} -- ${finding.summary}`);
  assert.equal(code, exitCode, last);
  return diagnosis.findings;
}

/** Long enough for a check's loss window (20 probes, one every 2 s) to hold only probes made since a fault began. */
const LOSS_WINDOW_MS = 50_000;

async function healthy(bed: NetnsCluster, label: string, timeoutMs = 90_000): Promise<void> {
  await eventually(
    async () => {
      const run = await runDiagnose(bed);
      if (run.code === 0 && run.diagnosis.findings.length === 0) return true;
      throw new Error(`exit ${run.code}: ${run.diagnosis.findings.map(headline).join(' | ')}`);
    },
    timeoutMs,
    `${label}: diagnose to find nothing after healing`,
  );
}

test(
  'diagnose on evidence that holds: isolation, quiet sources, two nodes down, one port, loss',
  { timeout: 900_000 },
  async (t) => {
    const bed = await startNetnsCluster(t, {
      nodes: NODES,
      proberNode: 'node-a',
      meshNodes: ['node-a', 'node-b', 'node-c'],
      extraTargets: [{ name: 'ping', kind: 'node', port: 8080, probe: { kind: 'icmp' } }],
      // The sources run as root here: ping sockets for group 0 (a pod gets this from its securityContext.sysctls).
      prepareFabric: (fabric) => {
        for (const node of NODES) inNetns(fabric.node(node).netns, 'sysctl', '-qw', 'net.ipv4.ping_group_range=0 0');
      },
    });
    if (!bed) return;
    const { fabric } = bed;
    const address = (node: string) => fabric.node(node).address;
    const others = (node: string) => NODES.filter((name) => name !== node).map(address);
    const noHealthyNodeCritical = (findings: Finding[], culprits: RegExp) => {
      for (const finding of findings.filter((entry) => entry.severity === 'critical'))
        assert.match(finding.culprit, culprits, `${headline(finding)}: only the faulty node may be critical`);
    };

    try {
      await t.test(
        "node-a's sources cut off from their peers, still writing: node-a's network, nothing else",
        async (t) => {
          for (const peer of others('node-a')) {
            iptables(fabric, 'node-a', '-A', 'OUTPUT', '-d', peer, '-j', 'DROP');
            iptables(fabric, 'node-a', '-A', 'INPUT', '-s', peer, '-j', 'DROP');
          }
          try {
            const findings = await diagnosedAs(
              t,
              bed,
              'isolated',
              ['critical node-unreachable high: node node-a: its network (probes to and from it fail)'],
              4,
            );
            noHealthyNodeCritical(findings, /node-a/);
            const observers = findings[0]!.observers ?? [];
            assert.ok(observers.some((observer) => observer.source === 'prober' && observer.node === 'node-a'));
          } finally {
            iptables(fabric, 'node-a', '-F');
          }
          await healthy(bed, 'isolated');
        },
      );

      await t.test('node-a cut off completely: its sources go quiet, their last results prove nothing', async (t) => {
        fabric.linkDown('node-a');
        try {
          const findings = await diagnosedAs(
            t,
            bed,
            'node-a link down',
            ['critical node-unreachable high: node node-a: down or cut off (its sources cannot write either)'],
            4,
          );
          const quiet = (findings[0]!.observers ?? []).filter((observer) => /quiet since/.test(observer.says));
          assert.deepEqual(quiet.map((observer) => observer.source).sort(), ['mesh on node-a', 'prober']);
          assert.ok(
            findings[0]!.evidence.every(
              (entry) => entry.state !== 'answering' || !/^(prober|mesh-node-a)-/.test(entry.check),
            ),
            'no result of a quiet source is used as an answer',
          );
        } finally {
          fabric.linkUp('node-a');
        }
        await healthy(bed, 'node-a link down');
      });

      await t.test('two nodes down at once: both named, nothing else', async (t) => {
        fabric.linkDown('node-c');
        fabric.linkDown('node-d');
        try {
          await diagnosedAs(
            t,
            bed,
            'two nodes down',
            [
              'critical node-unreachable high: node node-c: down or cut off (its sources cannot write either)',
              'critical node-unreachable high: node node-d: the node or its host network',
              // by-name resolves to node-d's address: an endpoint, so diagnose cannot tie it to the node.
              'critical check-failing high: by-name: packets to node-d.fabric.p2pnc.invalid:8080 are dropped (firewall, routing) or the host is down',
            ],
            4,
          );
        } finally {
          fabric.linkUp('node-c');
          fabric.linkUp('node-d');
        }
        await healthy(bed, 'two nodes down');
      });

      await t.test(
        "a firewall dropping the target's port on node-b: that target on that node, a warning",
        async (t) => {
          iptables(fabric, 'node-b', '-A', 'INPUT', '-i', 'eth0', '-p', 'tcp', '--dport', '8080', '-j', 'DROP');
          try {
            await diagnosedAs(t, bed, 'port dropped', ['warning target-on-node high: target on node node-b'], 3);
          } finally {
            iptables(fabric, 'node-b', '-F');
          }
          await healthy(bed, 'port dropped');
        },
      );

      await t.test("30 % loss on node-d's link: one loss warning, no outage blamed on anything", async (t) => {
        iptables(
          fabric,
          'node-d',
          '-A',
          'INPUT',
          '-i',
          'eth0',
          '-m',
          'statistic',
          '--mode',
          'random',
          '--probability',
          '0.3',
          '-j',
          'DROP',
        );
        const faultStart = Date.now();
        try {
          const nodeLoss = 'warning loss high: node node-d: packet loss on its link';
          const findings = await eventually(
            async () => {
              const run = await runDiagnose(bed);
              const lines = run.diagnosis.findings.map(headline);
              if (lines[0] === nodeLoss && run.code === 3) return run.diagnosis.findings;
              throw new Error(`exit ${run.code}: ${lines.join(' | ')}`);
            },
            120_000,
            'diagnose to name the loss on node-d',
          );
          for (const finding of findings) t.diagnostic(`loss: ${headline(finding)} -- ${finding.summary}`);
          // Then, once the checks' loss windows (20 probes, one every 2 s) hold only probes made under the loss, the
          // same finding on every run, a few probe intervals apart, with the figure: short failure streaks must not
          // read as an outage, and the figure is no longer diluted by the probes before the fault.
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, faultStart + LOSS_WINDOW_MS - Date.now())));
          let latest = findings;
          for (let run = 1; run <= 3; run++) {
            const again = await runDiagnose(bed);
            const lines = again.diagnosis.findings.map(headline);
            assert.equal(again.code, 3, `warnings only on run ${run}: ${lines.join(' | ')}`);
            assert.equal(lines[0], nodeLoss, `the same finding on run ${run}: ${lines.join(' | ')}`);
            // Loss is never critical; anything beside the node's finding is loss on a path to it (by-name is node-d).
            for (const finding of again.diagnosis.findings)
              assert.equal(`${finding.severity} ${finding.rule}`, 'warning loss', headline(finding));
            latest = again.diagnosis.findings;
            await new Promise((resolve) => setTimeout(resolve, 3_000));
          }
          const percent = Number(/about (\d+)%/.exec(latest[0]!.summary)?.[1]);
          assert.ok(percent >= 10 && percent <= 60, `about 30 % of probes into node-d fail, measured ${percent} %`);
        } finally {
          iptables(fabric, 'node-d', '-F');
        }
        await healthy(bed, 'loss', 180_000);
      });
    } finally {
      await bed.stop();
    }
  },
);
