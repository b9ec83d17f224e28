// Vantage points against the real kube-apiserver: Pod Security and the host namespace's admission policy, the sidecar
// patch through `kubectl kustomize` and server-side apply, and host-network and sidecar sources as real processes with
// their own accounts' tokens, writing their checks and showing their vantage in `p2pnc status`.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { eventually, runCli, startCli, type RunningProcess } from '../helpers/process.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';
import { vantageTopology } from '../synth/vantage-topology.js';
import type { Cluster } from './harness.js';
import { LoopbackTarget, reachable, statusWhen } from './source-fixtures.js';
import { mustKubectl, startOrSkip } from './support.js';

const PATCH = 'sidecar-ingress-vantage-patch.yaml';

/** A Deployment as a user has it: restricted-compatible itself, running as its own ServiceAccount. */
const SAMPLE_DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'ingress-controller', namespace: 'ingress' },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'ingress-controller' } },
    template: {
      metadata: { labels: { app: 'ingress-controller' } },
      spec: {
        serviceAccountName: 'ingress-controller',
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'controller',
            image: 'registry.example.com/ingress-controller:1.0',
            args: ['--watch-ingress-without-class'],
            securityContext: {
              runAsUser: 101,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            },
          },
        ],
      },
    },
  },
};

const podOf = (workload: K8sObject, namespace: string, name = workload.metadata.name) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace },
  spec: structuredClone(workload.spec.template.spec),
});

const applyDryRun = (cluster: Cluster, object: unknown) =>
  cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], { input: JSON.stringify(object) });

test('vantage points against the real kube-apiserver', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  const { dir, objects } = synthToTemp(vantageTopology());
  const workload = (name: string) => objects.find((object) => object.metadata.name === name && object.spec?.template)!;
  const running: RunningProcess[] = [];
  const listeners: LoopbackTarget[] = [];
  try {
    await t.test('dist/ with every vantage applies server-side with no warning', async () => {
      await mustKubectl(cluster, ['create', 'namespace', 'ingress', '--dry-run=client', '-o', 'yaml']).then((yaml) =>
        mustKubectl(cluster, ['apply', '-f', '-'], {
          input: stringify({
            ...parse(yaml),
            metadata: {
              name: 'ingress',
              labels: {
                'pod-security.kubernetes.io/enforce': 'restricted',
                'pod-security.kubernetes.io/warn': 'restricted',
              },
            },
          }),
        }),
      );
      await mustKubectl(cluster, ['create', 'serviceaccount', 'ingress-controller', '-n', 'ingress']);
      const foundation = await cluster.kubectl(['apply', '--server-side', '-f', join(dir, 'foundation.yaml')]);
      assert.equal(foundation.code, 0, foundation.stderr);
      assert.equal(foundation.stderr.trim(), '');
      await mustKubectl(cluster, [
        'wait',
        '--for=condition=Established',
        'crd/podnetworkconnectivitychecks.p2pnc.io',
        '--timeout=60s',
      ]);
      for (const file of ['rbac.yaml', 'workloads.yaml', 'checks.yaml']) {
        const result = await cluster.kubectl(['apply', '--server-side', '-f', join(dir, file)]);
        assert.equal(result.code, 0, `${file}: ${result.stderr}`);
        assert.equal(result.stderr.trim(), '', `warnings for ${file}: ${result.stderr}`);
      }
      // No controller-manager here to write the policy's type-checking status: the tests below show it works.
    });

    await t.test(
      'the default namespace admits nothing host-level: Pod Security restricted refuses hostNetwork',
      async () => {
        const hostMesh = podOf(workload('host-mesh'), 'p2pnc');
        const result = await applyDryRun(cluster, hostMesh);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /violates PodSecurity "restricted:latest": host namespaces \(hostNetwork=true\)/);
      },
    );

    await t.test('the host namespace admits the host sources and the host target as synthesized', async () => {
      // The binding starts denying once the policy is loaded: wait for a privileged pod to be refused first.
      const privileged = podOf(workload('host-mesh'), 'p2pnc-host', 'privileged');
      privileged.spec.containers[0].securityContext.privileged = true;
      privileged.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
      await eventually(
        async () => ((await applyDryRun(cluster, privileged)).code !== 0 ? true : undefined),
        30_000,
        'the admission policy in force',
      );
      for (const name of ['host-mesh', 'control-plane', 'network-check-target-host']) {
        const result = await applyDryRun(cluster, podOf(workload(name), 'p2pnc-host'));
        assert.equal(result.code, 0, `${name}: ${result.stderr}`);
        assert.equal(result.stderr.trim(), '', `${name}: ${result.stderr}`);
      }
    });

    await t.test('the host namespace refuses anything more privileged than the host network', async () => {
      const variants: [string, (pod: ReturnType<typeof podOf>) => void, RegExp][] = [
        [
          'privileged container',
          (pod) => {
            pod.spec.containers[0].securityContext.privileged = true;
            pod.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
          },
          /privileged containers are not allowed/,
        ],
        [
          'added capability',
          (pod) => {
            pod.spec.containers[0].securityContext.capabilities.add = ['NET_RAW'];
          },
          /containers may add no capability/,
        ],
        [
          'privilege escalation',
          (pod) => {
            pod.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
          },
          /allowPrivilegeEscalation: false/,
        ],
        [
          'root',
          (pod) => {
            pod.spec.securityContext.runAsNonRoot = false;
            pod.spec.securityContext.runAsUser = 0;
            delete pod.spec.containers[0].securityContext.runAsNonRoot;
            pod.spec.containers[0].securityContext.runAsUser = 0;
          },
          /non-root|uid 0/,
        ],
        [
          'host PID',
          (pod) => {
            pod.spec.hostPID = true;
          },
          /hostPID is not allowed/,
        ],
        [
          'hostPath volume',
          (pod) => {
            pod.spec.volumes = [{ name: 'root', hostPath: { path: '/' } }];
          },
          /hostPath volumes are not allowed/,
        ],
      ];
      for (const [what, change, message] of variants) {
        const pod = podOf(workload('host-mesh'), 'p2pnc-host', `host-mesh-${what.toLowerCase().replace(/ /g, '-')}`);
        change(pod);
        const result = await applyDryRun(cluster, pod);
        assert.notEqual(result.code, 0, `${what} was admitted`);
        assert.match(result.stderr, /ValidatingAdmissionPolicy 'p2pnc-host-host-network-only'/, what);
        assert.match(result.stderr, message, what);
      }
    });

    await t.test(
      'the sidecar patch, applied by kustomize to a Deployment, applies server-side under restricted',
      async () => {
        const work = mkdtempSync(join(tmpdir(), 'p2pnc-kustomize-'));
        writeFileSync(join(work, 'deployment.yaml'), stringify(SAMPLE_DEPLOYMENT));
        copyFileSync(join(dir, PATCH), join(work, PATCH));
        writeFileSync(
          join(work, 'kustomization.yaml'),
          stringify({ resources: ['deployment.yaml'], patches: [{ path: PATCH }] }),
        );
        const built = await mustKubectl(cluster, ['kustomize', work]);
        const [deployment] = parseAllDocuments(built).map((doc) => doc.toJS() as K8sObject);
        const containers = deployment!.spec.template.spec.containers;
        assert.deepEqual(containers.map((container: { name: string }) => container.name).sort(), [
          'controller',
          'p2pnc-source',
        ]);
        assert.deepEqual(
          containers.find((container: { name: string }) => container.name === 'controller'),
          SAMPLE_DEPLOYMENT.spec.template.spec.containers[0],
          "the user's container is untouched",
        );
        const dryRun = await cluster.kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], {
          input: built,
        });
        assert.equal(dryRun.code, 0, dryRun.stderr);
        assert.equal(
          dryRun.stderr.trim(),
          '',
          `warnings (Pod Security restricted warns on templates): ${dryRun.stderr}`,
        );
        const applied = await cluster.kubectl(['apply', '--server-side', '-f', '-'], { input: built });
        assert.equal(applied.code, 0, applied.stderr);
        const pod = await applyDryRun(cluster, podOf(deployment!, 'ingress', 'ingress-controller-0'));
        assert.equal(pod.code, 0, `a pod of the patched Deployment under restricted enforcement: ${pod.stderr}`);
      },
    );

    await t.test(
      'least RBAC: host sources write checks in the main namespace only, the sidecar in its own',
      async () => {
        const can = async (namespace: string, account: string, verb: string, resource: string, extra: string[] = []) =>
          (
            await cluster.kubectl(['auth', 'can-i', verb, resource, ...extra], {
              token: await cluster.tokenFor(namespace, account),
            })
          ).stdout.trim();
        const status = ['--subresource=status'];
        assert.equal(await can('p2pnc-host', 'host-mesh', 'patch', 'pncc', ['-n', 'p2pnc', ...status]), 'yes');
        assert.equal(await can('p2pnc-host', 'host-mesh', 'list', 'pncc', ['-n', 'p2pnc-host']), 'no');
        assert.equal(await can('p2pnc-host', 'host-mesh', 'list', 'pods', ['-n', 'p2pnc']), 'no');
        assert.equal(await can('ingress', 'ingress-controller', 'patch', 'pncc', ['-n', 'ingress', ...status]), 'yes');
        assert.equal(
          await can('ingress', 'ingress-controller', 'update', 'leases/ingress-vantage-leader', ['-n', 'ingress']),
          'yes',
        );
        assert.equal(await can('ingress', 'ingress-controller', 'list', 'pncc', ['-n', 'p2pnc']), 'no');
        assert.equal(await can('ingress', 'ingress-controller', 'get', 'secrets', ['-n', 'ingress']), 'no');
        assert.equal(await can('p2pnc-host', 'network-check-target-host', 'list', 'pncc', ['-n', 'p2pnc']), 'no');
      },
    );

    await t.test(
      'host and sidecar sources run with their own tokens, fill their checks and show their vantage',
      async () => {
        // Loopback stands for the node's address: the host target's port and the sidecar's Service target.
        const hostTarget = await LoopbackTarget.start();
        const service = await LoopbackTarget.start();
        listeners.push(hostTarget, service);
        const run = synthToTemp({
          cluster: 'run',
          namespace: 'vrun',
          image: 'localhost/p2pnc:test',
          target: { hostPort: hostTarget.port },
          nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
          sources: [
            { name: 'host-mesh', kind: 'DaemonSet', hostNetwork: true },
            {
              name: 'edge',
              kind: 'Sidecar',
              workload: {
                kind: 'Deployment',
                namespace: 'ingress',
                name: 'ingress-controller',
                serviceAccount: 'ingress-controller',
              },
            },
          ],
          targets: [
            { name: 'node-host', kind: 'p2pnc-target', layer: 'host' },
            { name: 'api', kind: 'endpoint', host: '127.0.0.1', port: service.port },
          ],
        });
        for (const file of ['foundation.yaml', 'rbac.yaml', 'checks.yaml'])
          await mustKubectl(cluster, ['apply', '--server-side', '-f', join(run.dir, file)]);
        const kubeconfig = async (namespace: string, account: string) =>
          cluster.kubeconfigFor(await cluster.tokenFor(namespace, account));
        const common = ['--interval', '1s', '--metrics-port', '0', '--lease-duration', '4s'];
        running.push(
          startCli([
            'source',
            '--source',
            'host-mesh',
            '--per-node',
            '--node',
            'node-a',
            '-n',
            'vrun',
            '--kubeconfig',
            await kubeconfig('vrun-host', 'host-mesh'),
            ...common,
          ]),
        );
        // Two replicas of the workload: one Lease leader probes and writes.
        const sidecarConfig = await kubeconfig('ingress', 'ingress-controller');
        for (const pod of ['ingress-controller-a', 'ingress-controller-b'])
          running.push(
            startCli(['source', '--source', 'edge', '-n', 'ingress', '--kubeconfig', sidecarConfig, ...common], {
              P2PNC_POD_NAME: pod,
            }),
          );
        for (const [namespace, check] of [
          ['vrun', 'host-mesh-node-a-to-node-host-node-a'],
          ['ingress', 'edge-to-node-host-node-a'],
          ['ingress', 'edge-to-api'],
        ] as const)
          await statusWhen(
            cluster,
            namespace,
            check,
            (s) => reachable(s)?.status === 'True',
            30_000,
            `${check} Reachable`,
          );
        const lease = JSON.parse(
          await mustKubectl(cluster, ['get', 'lease', 'edge-leader', '-n', 'ingress', '-o', 'json']),
        );
        assert.match(lease.spec.holderIdentity, /^ingress-controller-[ab]$/);
        const leaders = running.slice(1).filter((process) => process.output().includes('became leader'));
        assert.equal(leaders.length, 1, 'one replica probes and writes');

        const status = await runCli(['status', '-n', 'vrun', '--kubeconfig', cluster.kubeconfig], { NO_COLOR: '1' });
        assert.equal(status.code, 0, status.output);
        assert.match(status.output, /^SOURCE\s+SOURCE NODE\s+VANTAGE\s+TARGET/);
        assert.match(status.output, /\nhost-mesh\s+node-a\s+host\s+node-host\s+node-a\s+reachable/);
        const sidecar = await runCli(['status', '-n', 'ingress', '-o', 'json', '--kubeconfig', cluster.kubeconfig]);
        const document = JSON.parse(sidecar.output);
        const rows = document.sources
          .filter((source: { name: string }) => source.name === 'edge')
          .flatMap((source: { checks: unknown[] }) => source.checks);
        assert.deepEqual(
          rows.map((row: { check: string; vantage: string; target: { layer?: string } }) => [
            row.check,
            row.vantage,
            row.target.layer ?? '-',
          ]),
          [
            ['edge-to-api', 'sidecar', '-'],
            ['edge-to-node-host-node-a', 'sidecar', 'host'],
          ],
        );
        assert.ok(hostTarget.accepts.length > 0 && service.accepts.length > 0);
        const patch = readFileSync(join(run.dir, 'sidecar-edge-patch.yaml'), 'utf8');
        assert.match(patch, /--source\n\s+- edge\n/);
      },
    );
  } finally {
    await Promise.all(running.map((process) => process.stop()));
    await Promise.all(listeners.map((listener) => listener.down()));
    await cluster.stop();
  }
});
