// Two real nodes (bed.ts with nodes: 2; the second in a network namespace of its own): the path from the source's pod
// on one node to the target's pod on the other, and that node cut off. Shares the machine-wide node bed lock with
// node.test.ts, so the two run one after the other.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument, stringify } from 'yaml';
import { eventually, runCli } from '../helpers/process.js';
import { syncInWaves, waitWorkloadsHealthy } from './argo-sync.js';
import type { NodeBed } from './bed.js';
import { checks, condition, pods, startBedOrSkip, type LiveCheck } from './support.js';

const TARGET = 'network-check-target';
const targetOf = (check: LiveCheck): string => check.metadata.labels['p2pnc.io/target'] ?? '';
const targetNode = (check: LiveCheck): string | undefined => check.metadata.labels['p2pnc.io/target-node'];
const reachable = (check: LiveCheck): string | undefined => condition(check)?.status;

test('two real nodes: the path between them, and one node cut off', { timeout: 20 * 60_000 }, async (t) => {
  const bed = await startBedOrSkip(t, { nodes: 2 });
  if (!bed) return;
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-node2-test-'));
  t.after(() => {
    bed.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const [first, second] = bed.nodes;
  assert.ok(first && second);
  t.diagnostic(
    `nodes ${bed.nodes.map((n) => `${n.name} ${n.ip}`).join(', ')} Ready ${(bed.readyMs / 1000).toFixed(1)} s after their kubelets started`,
  );
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', bed.cluster.kubeconfig]);

  await t.test(
    'imported, synthesized with the source pinned to the first node, synced: the checks across nodes turn True',
    async (t) => {
      const file = join(work, 'topology.yaml');
      const imported = await cli(['import', '-o', file]);
      assert.equal(imported.code, 0, imported.output);
      const doc = parseDocument(readFileSync(file, 'utf8'));
      const topology = doc.toJS() as { nodes: { name: string; addresses: string[]; roles: string[] }[] };
      assert.deepEqual(topology.nodes, [
        { name: first.name, addresses: [first.ip], roles: ['control-plane'] },
        { name: second.name, addresses: [second.ip], roles: ['worker'] },
      ]);
      doc.set('interval', '5s');
      doc.set('timeout', '2s');
      doc.setIn(['sources', 0, 'node'], first.name);
      writeFileSync(file, doc.toString());
      const dist = join(work, 'dist');
      const synth = await runCli(['synth', '-f', file, '-o', dist]);
      assert.equal(synth.code, 0, synth.output);
      const applied = Date.now();
      await syncInWaves(bed.cluster, dist);
      await waitWorkloadsHealthy(bed.cluster, dist);

      const running = await pods(bed);
      const targets = running.filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'target');
      assert.deepEqual(targets.map((p) => p.spec.nodeName).sort(), [first.name, second.name]);
      assert.deepEqual(
        running
          .filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'source')
          .map((p) => p.spec.nodeName),
        [first.name],
      );

      const settled = await eventually(
        async () => {
          const all = await checks(bed);
          return all.every((c) => (targetOf(c) === 'etcd' ? reachable(c) === 'False' : reachable(c) === 'True'))
            ? all
            : undefined;
        },
        150_000,
        'every check settled',
      );
      const across = settled.find((c) => targetOf(c) === TARGET && targetNode(c) === second.name)!;
      const podIp = targets.find((p) => p.spec.nodeName === second.name)!.status.podIP;
      t.diagnostic(
        `apply -> settled ${((Date.now() - applied) / 1000).toFixed(1)} s; ${across.metadata.name} (pod ${podIp} on ${second.name}): ${across.status?.successes?.[0]?.latency}`,
      );
      assert.match(podIp ?? '', /^10\.244\.1\./, "the second node's pod is on its own subnet");
    },
  );

  await t.test(
    "the second node's link down: its target check fails, diagnose names the node; link up: restored",
    async (t) => {
      const across = async () =>
        (await checks(bed)).find((c) => targetOf(c) === TARGET && targetNode(c) === second.name)!;
      const cut = Date.now();
      bed.setNodeLink(second.name, false);
      try {
        const down = await eventually(
          async () => {
            const c = await across();
            const outage = c.status?.outages?.[0];
            return reachable(c) === 'False' && outage && !outage.end && Date.parse(outage.start ?? '') >= cut - 1_000
              ? c
              : undefined;
          },
          30_000,
          `an outage of the target on ${second.name}`,
        );
        assert.match(condition(down)?.message ?? '', /i\/o timeout|no route to host/);
        const own = (await checks(bed)).find((c) => targetOf(c) === TARGET && targetNode(c) === first.name)!;
        assert.equal(reachable(own), 'True', "the first node's target still answers");
        const diagnose = await cli(['diagnose']);
        assert.match(diagnose.output, new RegExp(second.name), diagnose.output);
        t.diagnostic(condition(down)?.message ?? '');
      } finally {
        bed.setNodeLink(second.name, true);
      }
      const restored = await eventually(
        async () => {
          const c = await across();
          return reachable(c) === 'True' && c.status?.outages?.[0]?.end ? c : undefined;
        },
        60_000,
        'the outage closed',
      );
      t.diagnostic(restored.status!.outages![0]!.message ?? '');
    },
  );

  await t.test(
    "the repository's own topology, on the bed's nodes and addresses: its pods start and every check gets a status",
    async (t) => {
      const ns = 'p2pnc-repo';
      const apiPort = Number(new URL(bed.cluster.server).port);
      // What the repository's topology probes, made of the bed: the OpenShift API Services exist (selector-less, their
      // endpoints the bed's API server and a port where nothing listens), the load balancers are the `kubernetes` Service.
      await standIn(bed, 'openshift-kube-apiserver', 'apiserver', first.ip, apiPort);
      await standIn(bed, 'openshift-apiserver', 'api', first.ip, OPENSHIFT_API_PORT);
      const topology = parseDocument(
        readFileSync(join(import.meta.dirname, '../../topology.yaml'), 'utf8'),
      ).toJS() as RepoTopology;
      const shaped = shapeForBed(topology, { ns, master: first, worker: second, apiPort });
      const file = join(work, 'repo-topology.yaml');
      writeFileSync(file, stringify(shaped));
      const dist = join(work, 'repo-dist');
      const synth = await runCli(['synth', '-f', file, '-o', dist]);
      assert.equal(synth.code, 0, synth.output);
      await syncInWaves(bed.cluster, dist);
      await waitWorkloadsHealthy(bed.cluster, dist);
      const running = (await pods(bed, undefined, ns)).filter((p) => p.status.phase === 'Running');
      assert.deepEqual(
        running.map((p) => `${p.metadata.labels?.['app.kubernetes.io/component']}@${p.spec.nodeName}`).sort(),
        [`source@${second.name}`, `target@${first.name}`, `target@${second.name}`],
      );
      const all = await eventually(
        async () => {
          const now = await checks(bed, ns);
          return now.every((c) => ['True', 'False'].includes(reachable(c) ?? '')) ? now : undefined;
        },
        150_000,
        'a status on every check of the repository-shaped topology',
      );
      const state = (name: string) => all.filter((c) => targetOf(c) === name).map(reachable);
      for (const name of [
        'kubernetes-apiserver-endpoint',
        'kubernetes-apiserver-service-cluster',
        'kubernetes-default-service-cluster',
        'load-balancer-api-external',
        'load-balancer-api-internal',
        TARGET,
      ]) {
        assert.ok(
          state(name).length > 0 && state(name).every((s) => s === 'True'),
          `${name}: ${state(name).join(', ')}`,
        );
      }
      for (const name of ['openshift-apiserver-endpoint', 'openshift-apiserver-service-cluster']) {
        assert.deepEqual(state(name), ['False'], `${name}: nothing listens on the bed's ${OPENSHIFT_API_PORT}`);
      }
      t.diagnostic(
        `${all.length} checks: ${all.filter((c) => reachable(c) === 'True').length} True, ${all.filter((c) => reachable(c) === 'False').length} False`,
      );
    },
  );

  await t.test('brought down, both nodes leave the machine as they found it', () => {
    bed.stop();
    assert.deepEqual(bed.residue(), []);
  });
});

/** OpenShift's API server port: nothing listens there in the bed. */
const OPENSHIFT_API_PORT = 8443;

interface RepoTopology {
  cluster: string;
  namespace?: string;
  interval?: string;
  timeout?: string;
  apiServer?: { port: number };
  nodes: { name: string; addresses: string[]; roles: string[] }[];
  sources: { name: string; node?: string }[];
  targets: { name: string; kind: string; host?: string; port?: number }[];
}

/**
 * The repository's topology with its nodes replaced by the bed's (masters -> the first node, workers -> the second),
 * the source pinned to the worker as it is there, the API server port the bed's, and its load balancers' host names
 * replaced by the `kubernetes` Service, the bed's stand-in for a load balancer in front of the API servers.
 */
function shapeForBed(
  topology: RepoTopology,
  bed: { ns: string; master: { name: string; ip: string }; worker: { name: string; ip: string }; apiPort: number },
): RepoTopology {
  const roles = new Set(topology.nodes.flatMap((n) => n.roles));
  assert.deepEqual([...roles].sort(), ['master', 'worker'], 'the repository topology has masters and workers');
  return {
    ...topology,
    namespace: bed.ns,
    interval: '5s',
    timeout: '2s',
    apiServer: { port: bed.apiPort },
    nodes: [
      { name: bed.master.name, addresses: [bed.master.ip], roles: ['master'] },
      { name: bed.worker.name, addresses: [bed.worker.ip], roles: ['worker'] },
    ],
    sources: topology.sources.map((source) => ({ ...source, ...(source.node ? { node: bed.worker.name } : {}) })),
    targets: topology.targets.map((target) => {
      if (target.kind === 'endpoint') return { ...target, host: 'kubernetes.default.svc.cluster.local', port: 443 };
      if (target.kind === 'node' && target.port === 6443) return { ...target, port: bed.apiPort };
      return target;
    }),
  };
}

/** A selector-less Service in its own namespace whose one endpoint is ip:port. */
async function standIn(bed: NodeBed, namespace: string, name: string, ip: string, port: number): Promise<void> {
  const items = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { ports: [{ name: 'https', port: 443, targetPort: port }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    },
  ];
  const res = await bed.cluster.kubectl(['apply', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }),
  });
  assert.equal(res.code, 0, res.stderr);
}
