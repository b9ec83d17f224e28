// Source heartbeats on the real API server: each source instance renews its own Lease with the synthesized Role
// (and no other Lease), the operator commands read them back, and a source that stops probing stops renewing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { heartbeatLeaseName, livenessOf } from '../../src/api/heartbeat.js';
import { listHeartbeats } from '../../src/ops/heartbeats.js';
import { KubeApiError, KubeClient } from '../../src/runtime/kube/client.js';
import { kubeconfigFile } from '../../src/runtime/kube/config.js';
import { paths, type Lease } from '../../src/runtime/kube/resources.js';
import { Heartbeat } from '../../src/runtime/source/heartbeat.js';
import { jsonLogger } from '../../src/runtime/source/log.js';
import { SourceMetrics } from '../../src/runtime/source/metrics.js';
import { SourceRunner } from '../../src/runtime/source/source.js';
import { eventually } from '../helpers/process.js';
import { synthToTemp } from '../helpers/synth.js';
import { mustKubectl, startOrSkip } from './support.js';

const NAMESPACE = 'p2pnc';

test('heartbeat Leases: renewed with least privilege, read back by the operator commands', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const clients: KubeClient[] = [];
  const clientFor = async (serviceAccount?: string) => {
    const kubeconfig = serviceAccount
      ? await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, serviceAccount))
      : cluster.kubeconfig;
    const client = new KubeClient(kubeconfigFile(kubeconfig));
    clients.push(client);
    return client;
  };
  try {
    const { dir } = synthToTemp({
      cluster: 'heartbeat',
      nodes: ['worker-1', 'worker-2'].map((name, i) => ({ name, addresses: [`127.0.0.${i + 2}`], roles: ['worker'] })),
      sources: [
        { name: 'prober', kind: 'Deployment' },
        { name: 'mesh', kind: 'DaemonSet', roles: ['worker'], targets: ['kubelet'] },
      ],
      targets: [{ name: 'kubelet', kind: 'node', port: 10250 }],
    });
    for (const file of ['foundation.yaml', 'rbac.yaml'])
      await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);

    const mesh = await clientFor('mesh');
    let probing = true;
    const beat = (client: KubeClient, source: string, nodeName?: string) =>
      new Heartbeat(client, {
        namespace: NAMESPACE,
        source,
        ...(nodeName ? { nodeName } : {}),
        runningOn: nodeName ?? 'worker-2',
        identity: `${source}-pod-${nodeName ?? 'x'}`,
        periodMs: () => 1_000,
        isProbing: () => probing,
      });

    const admin = await clientFor();
    const read = async (name: string) => admin.get<Lease>(paths.lease(NAMESPACE, name));

    await t.test('a per-node source renews its Lease: labels, holder, duration, and a newer renewTime', async () => {
      const worker1 = beat(mesh, 'mesh', 'worker-1');
      await worker1.renew(1_000);
      const before = await read(heartbeatLeaseName('mesh', 'worker-1'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await worker1.renew(1_000);
      const after = await read(heartbeatLeaseName('mesh', 'worker-1'));
      assert.equal(after.metadata.labels?.['p2pnc.io/heartbeat'], 'true');
      assert.equal(after.metadata.labels?.['p2pnc.io/source-node'], 'worker-1');
      assert.equal(after.metadata.annotations?.['p2pnc.io/running-on'], 'worker-1');
      assert.equal(after.spec.holderIdentity, 'mesh-pod-worker-1');
      assert.equal(after.spec.leaseDurationSeconds, 3, '2.5 periods of 1 s, rounded up');
      assert.ok(Date.parse(after.spec.renewTime!) > Date.parse(before.spec.renewTime!), 'renewTime moves on');
    });

    await t.test("a source may not touch another node's heartbeat, nor another source's", async () => {
      const forbidden = async (run: () => Promise<void>, what: string) => {
        const error = await run().then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        assert.ok(error instanceof KubeApiError && error.status === 403, `${what}: ${String(error)}`);
      };
      await beat(mesh, 'mesh', 'worker-2').renew(1_000); // its own (worker-2 is a mesh node): allowed
      await forbidden(() => beat(mesh, 'mesh', 'worker-9').renew(1_000), 'a node outside the topology');
      await read(heartbeatLeaseName('mesh', 'worker-2'));
      await beat(await clientFor('prober'), 'prober').renew(1_000);
      await forbidden(
        () => mesh.mergePatch(paths.lease(NAMESPACE, heartbeatLeaseName('prober')), { spec: { renewTime: null } }),
        "the Deployment's heartbeat",
      );
      await forbidden(
        () => mesh.mergePatch(paths.lease(NAMESPACE, 'prober-leader'), { spec: { holderIdentity: 'x' } }),
        "the Deployment's leader Lease",
      );
    });

    await t.test(
      'the operator commands list them; a source that stops probing stops renewing and goes quiet',
      async () => {
        const { heartbeats, unreadable } = await listHeartbeats(admin, NAMESPACE);
        assert.equal(unreadable, undefined);
        const keys = heartbeats.map((beat) => `${beat.source}@${beat.node ?? ''}`).sort();
        assert.deepEqual(keys, ['mesh@worker-1', 'mesh@worker-2', 'prober@']);
        const prober = heartbeats.find((beat) => beat.source === 'prober')!;
        assert.equal(prober.runningOn, 'worker-2', 'a Deployment says which node it runs on');

        const abort = new AbortController();
        const running = beat(mesh, 'mesh', 'worker-1').run(abort.signal);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const alive = (await listHeartbeats(admin, NAMESPACE)).heartbeats.find((beat) => beat.node === 'worker-1')!;
        assert.equal(livenessOf(alive, new Date()).state, 'alive');
        probing = false; // stuck: no probe finishes any more
        const stuckAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 4_000));
        const quiet = (await listHeartbeats(admin, NAMESPACE)).heartbeats.find((beat) => beat.node === 'worker-1')!;
        const liveness = livenessOf(quiet, new Date());
        assert.equal(liveness.state, 'quiet', 'not renewed for longer than its 3 s duration');
        assert.ok(liveness.since!.getTime() <= stuckAt + 100, 'quiet since its last renewal before it got stuck');
        abort.abort();
        await running;
      },
    );

    await t.test('a source runner renews from its first seconds, then every interval of its checks', async () => {
      await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
      const runner = new SourceRunner(await clientFor('mesh'), {
        source: 'mesh',
        namespace: NAMESPACE,
        nodeName: 'worker-2',
        intervalOverrideMs: 1_000,
        logger: jsonLogger({}),
        metrics: new SourceMetrics(false),
        identity: 'mesh-runner',
        runningOn: 'worker-2',
      });
      const startedAt = Date.now();
      const running = runner.run();
      const renewals = new Set<string>();
      try {
        await eventually(
          async () => {
            const lease = await read(heartbeatLeaseName('mesh', 'worker-2'));
            if (lease.spec.holderIdentity === 'mesh-runner') renewals.add(lease.spec.renewTime!);
            return renewals.size >= 3 ? true : undefined;
          },
          15_000,
          'three renewals by the runner',
        );
        // Listed, probed, renewed: within seconds of starting, not after a default 60 s period.
        assert.ok(Date.now() - startedAt < 10_000, `three renewals took ${Date.now() - startedAt} ms`);
        const lease = await read(heartbeatLeaseName('mesh', 'worker-2'));
        assert.equal(lease.spec.leaseDurationSeconds, 3, 'its checks are probed every second: 2.5 s, rounded up');
      } finally {
        await runner.stop();
        await running;
      }
    });

    await t.test('without RBAC to list Leases, the operator commands say so instead of failing', async () => {
      const { heartbeats, unreadable } = await listHeartbeats(await clientFor('mesh'), NAMESPACE);
      assert.deepEqual(heartbeats, []);
      assert.match(unreadable ?? '', /cannot list leases in namespace p2pnc \(forbidden\)/);
    });
  } finally {
    for (const client of clients) client.close();
    await cluster.stop();
  }
});
