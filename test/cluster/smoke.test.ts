// Smoke test of the cluster harness: run with `node --import tsx --test test/cluster/smoke.test.ts`.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { inCI } from '../helpers/tools.js';
import { ClusterUnavailable, startCluster, type Cluster } from './harness.js';

const NAMESPACE = 'p2pnc-smoke';
const SERVICE_ACCOUNT = 'probe';

/** Starts the cluster, or skips the test when it cannot run here (but never in CI). */
async function startOrSkip(t: TestContext): Promise<Cluster | undefined> {
  try {
    return await startCluster();
  } catch (err) {
    if (err instanceof ClusterUnavailable && !inCI) {
      t.skip(err.reason);
      return undefined;
    }
    throw err;
  }
}

const restrictedNamespace = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
};

function pod(name: string, securityContext: object, containerSecurityContext: object): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NAMESPACE },
    spec: {
      securityContext,
      containers: [{ name: 'main', image: 'registry.k8s.io/pause:3.10', securityContext: containerSecurityContext }],
    },
  };
}

const privilegedPod = pod('privileged', {}, { privileged: true });
const restrictedPod = pod(
  'restricted',
  { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
  { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
);

async function mustKubectl(cluster: Cluster, args: string[], input?: string): Promise<string> {
  const res = await cluster.kubectl(args, input === undefined ? {} : { input });
  assert.equal(res.code, 0, `kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

test('control plane smoke', async (t) => {
  const cluster = await startOrSkip(t);
  if (!cluster) return;
  try {
    await t.test('server-side apply of a restricted namespace', async () => {
      const out = await mustKubectl(
        cluster,
        ['apply', '--server-side', '-f', '-'],
        JSON.stringify(restrictedNamespace),
      );
      assert.match(out, new RegExp(`namespace/${NAMESPACE} serverside-applied`));
    });

    await t.test('PodSecurity rejects a privileged pod', async () => {
      const res = await cluster.kubectl(['create', '-f', '-'], { input: JSON.stringify(privilegedPod) });
      assert.notEqual(res.code, 0, 'the privileged pod was admitted');
      assert.match(res.stderr, /violates PodSecurity "restricted:latest"/);
      assert.match(res.stderr, /privileged/);
    });

    await t.test('PodSecurity admits a restricted pod', async () => {
      await mustKubectl(cluster, ['create', '--dry-run=server', '-f', '-'], JSON.stringify(restrictedPod));
    });

    await t.test('a ServiceAccount token carries only its own rights', async () => {
      await mustKubectl(cluster, ['create', 'serviceaccount', SERVICE_ACCOUNT, '-n', NAMESPACE]);
      const token = await cluster.tokenFor(NAMESPACE, SERVICE_ACCOUNT);

      const whoami = await cluster.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { token });
      assert.equal(whoami.stdout, `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`, whoami.stderr);

      const canI = await cluster.kubectl(['auth', 'can-i', 'list', 'secrets', '-n', NAMESPACE], { token });
      assert.equal(canI.stdout.trim(), 'no');
      assert.equal(canI.code, 1);
    });

    const outages = { skip: cluster.external && 'an external cluster cannot be restarted' };
    await t.test('survives a kube-apiserver restart on the same port', outages, async () => {
      await cluster.stopApiServer();
      const down = await cluster.kubectl(['get', 'namespace', NAMESPACE], { timeoutMs: 10_000 });
      assert.notEqual(down.code, 0, 'kubectl reached a stopped apiserver');
      await cluster.startApiServer();
      await mustKubectl(cluster, ['get', 'namespace', NAMESPACE]);
    });
  } finally {
    await cluster.stop();
  }
});
