/**
 * What the workloads promise a cluster operator: a target the kubelet restarts when it stops answering, a replicated
 * source spread over nodes and drained one replica at a time, every pod Pod Security "restricted", and an image
 * pinned by digest emitted exactly as written.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseTopology } from '../../src/topology/load.js';
import { mustKubectl, startOrSkip } from '../cluster/support.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';
import { httpRequest, spawnTarget } from '../target/support.js';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const IMAGE = `registry.example.com/p2pnc:0.1.0@${DIGEST}`;

/** The small topology plus a Deployment source of 3 replicas, on an image pinned by tag and digest. */
function replicatedTopology() {
  const topology = smallTopology();
  topology.image = IMAGE;
  topology.sources.push({ name: 'replicated', kind: 'Deployment', replicas: 3 });
  return topology;
}

const { dir, files, objects } = synthToTemp(replicatedTopology());
const workloads = objects.filter((object) => object.kind === 'Deployment' || object.kind === 'DaemonSet');
const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
const byName = (name: string) => workloads.find((workload) => workload.metadata.name === name)!;
const selects = (selector: Record<string, string>, object: K8sObject) =>
  Object.entries(selector).every(([key, value]) => object.spec.template.metadata.labels[key] === value);

test('workloads.yaml of a replicated source matches its snapshot', () => {
  matchSnapshot('replicated/workloads.yaml', files.get('workloads.yaml')!);
});

test('the real kube-apiserver takes the workloads, budget included, with no Pod Security warning', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  try {
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'foundation.yaml')]);
    const result = await cluster.kubectl([
      'apply',
      '--server-side',
      '--dry-run=server',
      '-f',
      join(dir, 'workloads.yaml'),
    ]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr.trim(), '', 'no warning (Pod Security "restricted" warns on the namespace)');
    assert.match(result.stdout, /^poddisruptionbudget\.policy\/replicated serverside-applied \(server dry run\)$/m);
  } finally {
    await cluster.stop();
  }
});

describe('a Deployment source with replicas > 1', () => {
  test('gets a PodDisruptionBudget of maxUnavailable 1 selecting its pods; no other workload gets one', () => {
    assert.equal(byName('replicated').spec.replicas, 3);
    assert.deepEqual(
      budgets.map((budget) => [budget.apiVersion, budget.metadata.name, budget.metadata.namespace]),
      [['policy/v1', 'replicated', 'p2pnc']],
      'one budget, for the replicated source only (not the 1-replica source, the DaemonSets or the target)',
    );
    const [budget] = budgets;
    assert.deepEqual(budget!.spec.maxUnavailable, 1);
    const selector = budget!.spec.selector.matchLabels;
    assert.deepEqual(selector, byName('replicated').spec.selector.matchLabels);
    assert.deepEqual(
      workloads.filter((workload) => selects(selector, workload)).map((workload) => workload.metadata.name),
      ['replicated'],
    );
  });

  test('spreads its replicas over nodes by hostname, without leaving a replica pending', () => {
    const deployment = byName('replicated');
    assert.deepEqual(deployment.spec.template.spec.topologySpreadConstraints, [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
      },
    ]);
    assert.ok(selects(deployment.spec.selector.matchLabels, deployment));
    for (const workload of workloads.filter((workload) => workload.metadata.name !== 'replicated'))
      assert.equal(workload.spec.template.spec.topologySpreadConstraints, undefined, workload.metadata.name);
  });
});

test('every pod, the replicated source included, is Pod Security "restricted"', () => {
  assert.ok(workloads.length >= 4);
  for (const workload of workloads) {
    const pod = workload.spec.template.spec;
    const where = `${workload.kind} ${workload.metadata.name}`;
    assert.equal(pod.securityContext.runAsNonRoot, true, where);
    assert.equal(pod.securityContext.seccompProfile.type, 'RuntimeDefault', where);
    for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
      assert.equal(container.securityContext.allowPrivilegeEscalation, false, where);
      assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] }, where);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true, where);
    }
  }
});

describe('the target', () => {
  const container = byName('network-check-target').spec.template.spec.containers[0];

  test('has a liveness probe on the port it serves', () => {
    const port = container.ports.find((port: { name: string }) => port.name === 'probe').containerPort;
    assert.deepEqual(container.args, ['target', '--port', String(port)]);
    assert.equal(container.livenessProbe.httpGet.port, port);
    assert.ok(container.livenessProbe.periodSeconds >= 10, 'not probed more often than every 10 s');
  });

  test('the liveness path is one the target answers with 200 (the real responder, p2pnc target)', async () => {
    const target = await spawnTarget(['--host', '127.0.0.1']);
    after(() => target.child.kill('SIGKILL'));
    const response = await httpRequest(target.port, { path: container.livenessProbe.httpGet.path });
    assert.equal(response.status, 200, response.body);
    target.child.kill('SIGTERM');
    assert.equal((await target.exited).code, 0, target.stderr());
  });
});

describe('images pinned by digest', () => {
  test('are emitted exactly as written, in every container', () => {
    const images = workloads.flatMap((workload) =>
      workload.spec.template.spec.containers.map((container: { image: string }) => container.image),
    );
    assert.ok(images.length >= 4);
    assert.deepEqual(new Set(images), new Set([IMAGE]));
  });

  const accepts = (image: string) => {
    try {
      parseTopology(JSON.stringify({ ...smallTopology(), image }), 'topology.json');
      return true;
    } catch (error) {
      assert.match(String(error), /image: must be a container image reference .* pinned by digest as /);
      return false;
    }
  };
  const hex = (length: number) => 'a1'.repeat(length / 2);
  const valid = [
    `registry.example.com/p2pnc@sha256:${hex(64)}`,
    `registry.example.com/p2pnc:0.1.0@sha256:${hex(64)}`,
    `localhost:5000/team/p2pnc@sha512:${hex(128)}`,
    `[fd00::1]:5000/p2pnc:v1@sha384:${hex(96)}`,
  ];
  const invalid = [
    `p2pnc@sha256:${hex(62)}`,
    `p2pnc@sha256:${hex(66)}`,
    `p2pnc@sha256:${hex(64).toUpperCase()}`,
    `p2pnc@md5:${hex(32)}`,
    'p2pnc@sha256:',
    `p2pnc@${hex(64)}`,
    `p2pnc:0.1.0@@sha256:${hex(64)}`,
  ];

  test('digests of the length their algorithm has, in lower-case hex, are accepted; others refused', () => {
    assert.deepEqual(
      valid.filter((image) => !accepts(image)),
      [],
    );
    assert.deepEqual(invalid.filter(accepts), []);
  });

  test("p2pnc schema's JSON Schema agrees, so an editor flags the same digests", () => {
    const run = spawnSync(process.execPath, ['bin/p2pnc.js', 'schema'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const validate = new Ajv2020().compile(JSON.parse(run.stdout));
    const editor = (image: string) => validate({ ...smallTopology(), image });
    assert.deepEqual(
      valid.filter((image) => !editor(image)),
      [],
    );
    assert.deepEqual(invalid.filter(editor), []);
  });
});
