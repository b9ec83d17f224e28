/**
 * Runtime faults end to end: four nodes as network namespaces on a bridge, a p2pnc target on each, the Deployment
 * source on node-a and the DaemonSet source on node-a and node-b as real processes with their ServiceAccounts'
 * tokens, checks synthesized from a small topology and applied to the test kube-apiserver. Each fault is injected
 * and healed, and everything is asserted from what the sources wrote to the API; while each fault lasts,
 * `p2pnc diagnose` must name its culprit.
 *
 * Needs root (network namespaces) and the test control plane; outside CI it skips with the reason when either is
 * missing, under CI=true it fails.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertOpenShiftCompatible } from '../cluster/openshift-compat.js';
import { mustKubectl } from '../cluster/support.js';
import { assertDiagnosedDuring, assertHealthyDiagnosis } from './diagnosis.js';
import { type CheckFigures, runFaultCycle, statusWrites } from './outage-cycle.js';
import { checkName, MESH, NAMED_TARGET, NAMESPACE, NODE_TARGET, PROBER, startNetnsCluster } from './netns-cluster.js';

const tcpFailed = (label: string, endpoint: string, text: string) => ({
  reason: 'TCPConnectError',
  message: `${label}: failed to establish a TCP connection to ${endpoint}: dial tcp ${endpoint}: ${text}`,
});
const tcpSucceeded = (label: string, endpoint: string) => ({
  reason: 'TCPConnectSuccess',
  message: `${label}: tcp connection to ${endpoint} succeeded`,
});

function report(t: { diagnostic(message: string): void }, fault: string, figures: CheckFigures[]): void {
  for (const f of figures) {
    t.diagnostic(
      `${fault}: ${f.check}: outage visible ${f.visibleAfterMs} ms after the fault, start ${f.startOffsetMs >= 0 ? '+' : ''}${f.startOffsetMs} ms from it, closed ${f.restoredAfterMs} ms after healing`,
    );
  }
}

test('runtime faults on a network-namespace cluster', { timeout: 300_000 }, async (t) => {
  const startedAt = Date.now();
  const bed = await startNetnsCluster(t);
  if (!bed) return;
  const { fabric, settings } = bed;
  const [nodeA, nodeB, nodeC, nodeD] = settings.nodes as [string, string, string, string];
  const port = settings.targetPort;
  const endpoint = (node: string) => `${fabric.node(node).address}:${port}`;
  const label = (node: string) => `${NODE_TARGET}-${node}`;
  t.diagnostic(`bed up in ${Date.now() - startedAt} ms: ${bed.checkNames.length} checks, fabric ${fabric.subnet}.0/24`);
  /** The prober's check of node-d is never faulted: the write budget is measured on it. */
  const healthy = checkName.prober(nodeD);

  try {
    await t.test("a node's link down: i/o timeout, from every source", async (t) => {
      const failure = tcpFailed(label(nodeC), endpoint(nodeC), 'i/o timeout');
      const success = tcpSucceeded(label(nodeC), endpoint(nodeC));
      const checks = [checkName.prober(nodeC), checkName.mesh(nodeA, nodeC), checkName.mesh(nodeB, nodeC)].map(
        (name) => ({ name, failure, success }),
      );
      const figures = await runFaultCycle(bed, {
        checks,
        unaffected: [checkName.prober(nodeD), checkName.mesh(nodeB, nodeD)],
        inject: () => fabric.linkDown(nodeC),
        // Low confidence: only one port is probed on the node, so that target alone timing out is not ruled out.
        whileActive: (outages) =>
          assertDiagnosedDuring(
            t,
            bed,
            { label: 'link down', checks, outages },
            {
              exitCode: 4,
              findings: [
                {
                  severity: 'critical',
                  rule: 'node-unreachable',
                  confidence: 'low',
                  culprit: `node ${nodeC}: the node or its host network`,
                  failing: checks.map(({ name }) => name),
                },
              ],
            },
          ),
        heal: () => fabric.linkUp(nodeC),
      });
      report(t, 'link down', figures);
    });

    await t.test('a target process stopped: connection refused', async (t) => {
      const failure = tcpFailed(label(nodeB), endpoint(nodeB), 'connect: connection refused');
      const success = tcpSucceeded(label(nodeB), endpoint(nodeB));
      const checks = [checkName.prober(nodeB), checkName.mesh(nodeA, nodeB), checkName.mesh(nodeB, nodeB)].map(
        (name) => ({ name, failure, success }),
      );
      const figures = await runFaultCycle(bed, {
        checks,
        unaffected: [checkName.prober(nodeD)],
        inject: () => bed.stopTarget(nodeB),
        // Refusals come from node-b itself: the node is up, the target on it is not.
        whileActive: (outages) =>
          assertDiagnosedDuring(
            t,
            bed,
            { label: 'target stopped', checks, outages },
            {
              exitCode: 3,
              findings: [
                {
                  severity: 'warning',
                  rule: 'target-on-node',
                  confidence: 'high',
                  culprit: `${NODE_TARGET} on node ${nodeB}`,
                  failing: checks.map(({ name }) => name),
                },
              ],
            },
          ),
        heal: () => bed.startTarget(nodeB),
      });
      report(t, 'target stopped', figures);
    });

    await t.test('a route removed on one node: network is unreachable, from that node only', async (t) => {
      const failure = tcpFailed(label(nodeC), endpoint(nodeC), 'connect: network is unreachable');
      const success = tcpSucceeded(label(nodeC), endpoint(nodeC));
      const checks = [checkName.prober(nodeC), checkName.mesh(nodeA, nodeC)].map((name) => ({
        name,
        failure,
        success,
      }));
      const figures = await runFaultCycle(bed, {
        checks,
        unaffected: [checkName.mesh(nodeB, nodeC), checkName.prober(nodeD)],
        inject: () => fabric.removeRoute(nodeA, nodeC),
        // The prober is an unpinned Deployment: diagnose cannot know it runs on node-a, so its path is its own finding.
        whileActive: (outages) =>
          assertDiagnosedDuring(
            t,
            bed,
            { label: 'route removed', checks, outages },
            {
              exitCode: 3,
              findings: [
                {
                  severity: 'warning',
                  rule: 'path',
                  confidence: 'high',
                  culprit: `the path from ${MESH} on ${nodeA} to ${nodeC}`,
                  failing: [checkName.mesh(nodeA, nodeC)],
                },
                {
                  severity: 'warning',
                  rule: 'path',
                  confidence: 'high',
                  culprit: `the path from ${PROBER} to ${nodeC}`,
                  failing: [checkName.prober(nodeC)],
                },
              ],
            },
          ),
        heal: () => fabric.restoreRoute(nodeA, nodeC),
      });
      report(t, 'route removed', figures);
    });

    await t.test('an unresolvable name: DNSError', async (t) => {
      const host = bed.namedHost;
      const checks = [
        {
          name: checkName.named,
          failure: {
            reason: 'DNSError',
            message: `${NAMED_TARGET}: failure looking up host ${host}: lookup ${host}: no such host`,
          },
          success: tcpSucceeded(NAMED_TARGET, `${host}:${port}`),
        },
      ];
      const figures = await runFaultCycle(bed, {
        checks,
        // The same target by address.
        unaffected: [healthy],
        inject: () => fabric.removeHost(settings.proberNode, host),
        whileActive: (outages) =>
          assertDiagnosedDuring(
            t,
            bed,
            { label: 'unresolvable name', checks, outages },
            {
              exitCode: 4,
              findings: [
                {
                  severity: 'critical',
                  rule: 'dns',
                  confidence: 'high',
                  culprit: `DNS name ${host}: no such host`,
                  failing: [checkName.named],
                },
              ],
            },
          ),
        heal: () => fabric.addHost(settings.proberNode, host, fabric.node(nodeD).address),
      });
      report(t, 'unresolvable name', figures);
    });

    await t.test('every fault healed: diagnose finds nothing and exits 0', async (t) => {
      const runs = await assertHealthyDiagnosis(bed);
      t.diagnostic(`healed: diagnose exit 0, no findings (${runs} run${runs === 1 ? '' : 's'})`);
    });

    await t.test('a healthy check is written at most once per steady interval', (t) => {
      const steadyMs = settings.steadyWriteIntervalMs;
      const writes = statusWrites(bed.history, healthy);
      const [first, ...steady] = writes;
      assert.ok(
        first !== undefined && steady.length >= 2,
        `${healthy}: the first status and at least two steady writes (writes at ${JSON.stringify(writes)})`,
      );
      const windowMs = Date.now() - first;
      // One write for the first status (Reachable appears: a transition), then one per steady interval at most.
      // Watch events arrive with a little latency of their own: 1 s of tolerance, on the window and on each gap.
      const budget = 1 + Math.floor((windowMs + 1000) / steadyMs);
      t.diagnostic(
        `${healthy}: ${writes.length} status writes in ${windowMs} ms at a steady interval of ${steadyMs} ms (budget ${budget}); gaps ${steady.map((at, i) => at - writes[i]!).join(', ')} ms`,
      );
      assert.ok(writes.length <= budget, `${writes.length} writes, budget ${budget}`);
      steady.forEach((at, i) =>
        assert.ok(
          at - writes[i]! >= steadyMs - 1000,
          `write ${i + 2} came ${at - writes[i]!} ms after the previous one`,
        ),
      );
      // Probes still happen every interval: each steady write carries several new successes.
      const versions = bed.history.of(healthy).filter((version) => version.modified);
      for (let i = 1; i < versions.length; i++) {
        const known = new Set(versions[i - 1]!.status?.successes?.map((entry) => entry.time));
        const added = versions[i]!.status?.successes?.filter((entry) => !known.has(entry.time)).length ?? 0;
        assert.ok(added >= 2, `write ${i + 1} carries ${added} new successes`);
      }
    });

    await t.test("every status written is valid for OpenShift's CRD", async () => {
      const list = JSON.parse(await mustKubectl(bed.cluster, ['get', 'pncc', '-n', NAMESPACE, '-o', 'json'])) as {
        items: unknown[];
      };
      assert.equal(list.items.length, bed.checkNames.length);
      await assertOpenShiftCompatible(bed.cluster, list.items);
    });

    await t.test('sources stop cleanly on SIGTERM, with nothing left unwritten', async () => {
      for (const [name, running] of bed.sources) {
        assert.equal(await running.stop('SIGTERM'), 0, `${name}:\n${running.output()}`);
        assert.match(running.output(), /"msg":"stopped probing; pending status written".*"unwritten":0/, name);
      }
    });
  } finally {
    await bed.stop();
    t.diagnostic(`suite took ${Date.now() - startedAt} ms`);
  }
});
