// `status --probe`: checks probed now from here with the runtime's probe, bounded concurrency, target pods and invalid checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFailure } from '../../src/ops/classify.js';
import { probeChecks } from '../../src/ops/probe-now.js';
import { podAddress } from '../../src/runtime/source/target-pods.js';
import type { EndpointSlice } from '../../src/runtime/kube/resources.js';
import type { Lookups } from '../../src/runtime/source/check-target.js';
import { acceptingServer, closedPort } from '../probe/support/servers.js';
import { checksOf } from './support.js';

const slices = (port: number): EndpointSlice[] => [
  {
    metadata: { name: 'network-check-target-abc', labels: { 'kubernetes.io/service-name': 'network-check-target' } },
    endpoints: [
      { addresses: ['10.9.9.9'], nodeName: 'node-a', conditions: { ready: false } },
      { addresses: ['127.0.0.1'], nodeName: 'node-a', conditions: { ready: true } },
    ],
    ports: [{ port }],
  },
];

test('each check is probed as the source would, and the result says what failed', async () => {
  const open = await acceptingServer();
  const closed = await closedPort();
  try {
    const checks = checksOf({
      cluster: 'here',
      nodes: [
        { name: 'node-a', addresses: ['127.0.0.1'] },
        { name: 'node-b', addresses: ['127.0.0.2'] },
      ],
      target: { port: open.port },
      sources: [{ name: 'cli', kind: 'Deployment' }],
      targets: [
        { name: 'up', kind: 'endpoint', host: '127.0.0.1', port: open.port },
        { name: 'down', kind: 'endpoint', host: '127.0.0.1', port: closed },
        { name: 'peer', kind: 'p2pnc-target', viaService: false },
      ],
    });
    const lookups: Lookups = {
      targetPodAddress: (service, node) => podAddress(slices(open.port), service, node),
      clientCert: async () => ({ cert: '', key: '' }),
    };
    const results = await probeChecks(checks, lookups, 4);
    const summary = Object.fromEntries(
      [...results].map(([name, result]) => [
        name,
        result.success ? 'ok' : `${classifyFailure(result)}: ${result.message}`,
      ]),
    );
    assert.deepEqual(summary, {
      'cli-to-up': 'ok',
      'cli-to-down': `refused: down: failed to establish a TCP connection to 127.0.0.1:${closed}: dial tcp 127.0.0.1:${closed}: connect: connection refused`,
      'cli-to-peer-node-a': 'ok',
      'cli-to-peer-node-b':
        'config: peer-node-b: invalid check: no ready endpoint of Service network-check-target on node node-b; is the target pod running there?',
    });
  } finally {
    await open.close();
  }
});

test('at most --concurrency checks are worked on at once', async () => {
  let active = 0;
  let most = 0;
  // Each check needs its client certificate first; the lookup stays busy for a few event-loop turns, then fails.
  const clientCert = async (): Promise<{ cert: string; key: string }> => {
    active++;
    most = Math.max(most, active);
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    active--;
    throw new Error('Secret p2pnc/client not found');
  };
  const checks = checksOf({
    cluster: 'here',
    nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
    sources: [{ name: 'cli', kind: 'Deployment' }],
    targets: Array.from({ length: 6 }, (_, index) => ({
      name: `tls-${index}`,
      kind: 'endpoint' as const,
      host: '127.0.0.1',
      port: 9,
      probe: { kind: 'tls' as const, tlsClientCert: 'client' },
    })),
  });
  const results = await probeChecks(checks, { targetPodAddress: () => undefined, clientCert }, 2);
  assert.equal(results.size, 6);
  assert.ok(
    [...results.values()].every(
      (result) =>
        result.reason === 'InvalidCheck' && result.message.endsWith('invalid check: Secret p2pnc/client not found'),
    ),
  );
  assert.equal(most, 2);
});
