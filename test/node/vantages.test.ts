// Vantage points on the real node (bed.ts): a host-network source and target admitted in the host namespace (Pod
// Security privileged, narrowed by the admission policy) and a sidecar source added by the emitted kustomize patch to
// a user's two-replica Deployment under Pod Security restricted; both fill their checks from where they run, the
// sidecar with the workload's own ServiceAccount and one Lease leader. Shares the machine-wide node bed lock.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseDocument, stringify } from 'yaml';
import { eventually, runCli } from '../helpers/process.js';
import { syncInWaves, waitWorkloadsHealthy } from './argo-sync.js';
import { checks, condition, getJson, pods, startBedOrSkip, NAMESPACE, type LiveCheck } from './support.js';

const HOST_TARGET_PORT = 17711;
const HOST_METRICS_PORT = 17710;
const DEMO = 'demo';
const SIDECAR = 'web-vantage';

test('host-network and sidecar sources on the real node', { timeout: 20 * 60_000 }, async (t) => {
  const bed = await startBedOrSkip(t);
  if (!bed) return;
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-node-vantages-'));
  t.after(() => {
    bed.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const kubectl = async (args: string[], input?: string) => {
    const result = await bed.cluster.kubectl(args, input === undefined ? {} : { input });
    assert.equal(result.code, 0, `kubectl ${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', bed.cluster.kubeconfig]);

  const file = join(work, 'topology.yaml');
  const imported = await cli(['import', '-o', file]);
  assert.equal(imported.code, 0, imported.output);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.set('interval', '5s');
  doc.set('timeout', '2s');
  doc.set('target', { hostPort: HOST_TARGET_PORT });
  doc.addIn(['targets'], { name: 'node-host', kind: 'p2pnc-target', layer: 'host' });
  doc.addIn(['sources'], {
    name: 'host-mesh',
    kind: 'DaemonSet',
    hostNetwork: true,
    metricsPort: HOST_METRICS_PORT,
    targets: ['node-host'],
  });
  doc.addIn(['sources'], {
    name: SIDECAR,
    kind: 'Sidecar',
    workload: { kind: 'Deployment', namespace: DEMO, name: 'web', serviceAccount: 'web' },
    targets: ['kubernetes-default-service-cluster', 'node-host'],
  });
  writeFileSync(file, doc.toString());
  const image = String(doc.get('image'));
  const dist = join(work, 'dist');
  const synth = await runCli(['synth', '-f', file, '-o', dist]);
  assert.equal(synth.code, 0, synth.output);

  // The workload's namespace is the user's, restricted, with the workload's ServiceAccount.
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            name: DEMO,
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/warn': 'restricted',
            },
          },
        },
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: DEMO } },
      ],
    }),
  );
  // Argo CD syncs what kustomization.yaml lists: the sidecar's patch is not among them.
  const synced = join(work, 'synced');
  mkdirSync(synced);
  for (const name of parse(readFileSync(join(dist, 'kustomization.yaml'), 'utf8')).resources as string[])
    copyFileSync(join(dist, name), join(synced, name));
  await syncInWaves(bed.cluster, synced);
  await waitWorkloadsHealthy(bed.cluster, synced);

  // The user's repository: their Deployment, the patch copied next to it, listed under patches.
  const app = join(work, 'app');
  mkdirSync(app);
  const web = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: DEMO },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccountName: 'web',
          securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'web',
              image,
              imagePullPolicy: 'IfNotPresent',
              args: ['target', '--port', '8081'],
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      },
    },
  };
  writeFileSync(join(app, 'web.yaml'), stringify(web));
  copyFileSync(join(dist, `sidecar-${SIDECAR}-patch.yaml`), join(app, 'sidecar.yaml'));
  writeFileSync(
    join(app, 'kustomization.yaml'),
    stringify({ resources: ['web.yaml'], patches: [{ path: 'sidecar.yaml' }] }),
  );
  const built = (await kubectl(['kustomize', app])).stdout;
  const applied = await kubectl(['apply', '--server-side', '-f', '-'], built);
  assert.equal(applied.stderr.trim(), '', 'no Pod Security warning for the patched Deployment');
  await waitWorkloadsHealthy(bed.cluster, app);

  await t.test('the host-network source and target run in the host namespace, nothing added', async () => {
    const hostPods = await pods(bed, undefined, `${NAMESPACE}-host`);
    assert.equal(hostPods.length, 2, hostPods.map((p) => p.metadata.name).join(', '));
    const specs = await getJson<{
      items: { spec: { hostNetwork?: boolean; containers: { securityContext: any }[] } }[];
    }>(bed, ['get', 'pods', '-n', `${NAMESPACE}-host`]);
    for (const { spec } of specs.items) {
      assert.equal(spec.hostNetwork, true);
      for (const container of spec.containers) {
        assert.deepEqual(container.securityContext.capabilities, { drop: ['ALL'] });
        assert.equal(container.securityContext.runAsNonRoot, true);
      }
    }
  });

  const reachableChecks = async (namespace: string, source: string, count: number) =>
    eventually(
      async () => {
        const mine = (await checks(bed, namespace)).filter((c) => c.metadata.labels['p2pnc.io/source'] === source);
        return mine.length === count && mine.every((c) => condition(c)?.status === 'True') ? mine : undefined;
      },
      150_000,
      `${source}'s checks Reachable=True`,
    ).catch(async (error: Error) => {
      const seen = (await checks(bed, namespace)).map(
        (c: LiveCheck) => `${c.metadata.name}: ${JSON.stringify(c.status?.failures?.[0] ?? condition(c))}`,
      );
      throw new Error(`${error.message}\n${seen.join('\n')}\n--- kubelet:\n${bed.logTail('kubelet', 15)}`);
    });

  await t.test("host-to-host: the host source reaches the host target on the node's own address", async () => {
    const [check] = await reachableChecks(NAMESPACE, 'host-mesh', bed.nodes.length);
    assert.equal(check!.metadata.labels['p2pnc.io/vantage'], 'host');
    assert.equal(check!.spec.targetEndpoint, `${bed.nodeIp}:${HOST_TARGET_PORT}`);
    const status = await cli(['status', '-n', NAMESPACE, '--source', 'host-mesh']);
    assert.equal(status.code, 0, status.output);
    assert.match(status.output, /^SOURCE\s+SOURCE NODE\s+VANTAGE\s+TARGET/);
    assert.match(status.output, /\nhost-mesh\s+\S+\s+host\s+node-host\s/);
  });

  await t.test(
    "the sidecar fills its checks in the workload's namespace as the workload, one replica leading",
    async () => {
      const mine = await reachableChecks(DEMO, SIDECAR, 1 + bed.nodes.length);
      for (const check of mine) assert.equal(check.metadata.labels['p2pnc.io/vantage'], 'sidecar');
      const writers = new Set(
        bed
          .auditEvents()
          .filter(
            (event) =>
              event.objectRef?.subresource === 'status' && mine.some((c) => c.metadata.name === event.objectRef?.name),
          )
          .map((event) => event.user.username),
      );
      assert.deepEqual([...writers], [`system:serviceaccount:${DEMO}:web`]);
      const webPods = await pods(bed, 'app=web', DEMO);
      assert.equal(webPods.length, 2);
      const lease = await getJson<{ spec: { holderIdentity: string } }>(bed, [
        'get',
        'lease',
        `${SIDECAR}-leader`,
        '-n',
        DEMO,
      ]);
      assert.ok(
        webPods.some((p) => p.metadata.name === lease.spec.holderIdentity),
        `${lease.spec.holderIdentity} is one of ${webPods.map((p) => p.metadata.name).join(', ')}`,
      );
      for (const p of webPods)
        assert.deepEqual(p.status.containerStatuses?.map((c) => [c.name, c.ready]).sort(), [
          ['p2pnc-source', true],
          ['web', true],
        ]);
    },
  );

  await t.test("brought down, the node leaves the machine as it found it, nothing on the host's ports", () => {
    bed.stop();
    assert.deepEqual(bed.residue(), []);
    const listening = execFileSync('ss', ['-Hltn'], { encoding: 'utf8' });
    for (const port of [HOST_TARGET_PORT, HOST_METRICS_PORT])
      assert.doesNotMatch(listening, new RegExp(`:${port}\\s`), `something still listens on ${port}`);
  });
});
