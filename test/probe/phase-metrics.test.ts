/**
 * Per-phase latency histograms from real probes: a local HTTP server, a real probe, the source's metrics registry.
 * Labels are source, target kind and phase only, whatever the number of checks.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { probe } from '../../src/runtime/probe/index.js';
import { PHASE_BUCKETS, SourceMetrics } from '../../src/runtime/source/metrics.js';
import { type HttpRecorder, statusServer } from './support/servers.js';

let server: HttpRecorder;
before(async () => {
  server = await statusServer();
});
after(async () => {
  await server.close();
});

async function metricLines(metrics: SourceMetrics, name: string): Promise<string[]> {
  return (await metrics.registry.metrics()).split('\n').filter((line) => line.startsWith(name));
}

test('an http probe fills the connect and first_byte phases; a thousand checks add no series', async () => {
  const metrics = new SourceMetrics(false);
  for (let check = 0; check < 1000; check++) {
    const result = await probe(
      { label: 'web', host: '127.0.0.1', port: server.port, kind: 'http', path: '/' },
      { timeoutMs: 2000 },
    );
    assert.equal(result.success, true, result.message);
    metrics.observe(result, { source: 'prober', targetKind: 'endpoint', check: `prober-to-web-${check}` });
  }
  const counts = await metricLines(metrics, 'p2pnc_probe_phase_duration_seconds_count');
  assert.deepEqual(counts.sort(), [
    'p2pnc_probe_phase_duration_seconds_count{source="prober",target_kind="endpoint",phase="connect"} 1000',
    'p2pnc_probe_phase_duration_seconds_count{source="prober",target_kind="endpoint",phase="first_byte"} 1000',
  ]);
  const buckets = await metricLines(metrics, 'p2pnc_probe_phase_duration_seconds_bucket');
  assert.equal(buckets.length, 2 * (PHASE_BUCKETS.length + 1), 'one bucket set per phase, none per check');
  // Loopback connects take well under 25 ms.
  const connectUnder25ms = buckets.find((line) => line.includes('phase="connect"') && line.includes('le="0.025"'));
  assert.ok(Number(connectUnder25ms?.split(' ')[1]) >= 990, connectUnder25ms);
});

test('a failed probe observes no phase (its timeout is not a latency)', async () => {
  const metrics = new SourceMetrics(false);
  const result = await probe({ label: 'web', host: '127.0.0.1', port: 1, kind: 'tcp' }, { timeoutMs: 500 });
  assert.equal(result.success, false);
  metrics.observe(result, { source: 'prober', targetKind: 'endpoint', check: 'c' });
  assert.deepEqual(await metricLines(metrics, 'p2pnc_probe_phase_duration_seconds_count'), []);
});

test('loss ratio: summed over the checks of a label set, per check only with per-check metrics', async () => {
  const metrics = new SourceMetrics(false);
  const labels = (check: string) => ({ source: 'mesh', targetKind: 'node', check });
  metrics.setLoss(labels('a'), { probes: 20, failed: 6 });
  metrics.setLoss(labels('b'), { probes: 20, failed: 0 });
  assert.deepEqual(await metricLines(metrics, 'p2pnc_check_loss_ratio'), [
    'p2pnc_check_loss_ratio{source="mesh",target_kind="node"} 0.15',
  ]);
  metrics.setLoss(labels('a'), { probes: 20, failed: 2 });
  assert.deepEqual(await metricLines(metrics, 'p2pnc_check_loss_ratio'), [
    'p2pnc_check_loss_ratio{source="mesh",target_kind="node"} 0.05',
  ]);
  metrics.setLoss(labels('a'), undefined);
  metrics.setLoss(labels('b'), undefined);
  assert.deepEqual(await metricLines(metrics, 'p2pnc_check_loss_ratio'), [], 'no series left when the checks go');

  const perCheck = new SourceMetrics(true);
  perCheck.setLoss(labels('a'), { probes: 10, failed: 5 });
  assert.deepEqual(await metricLines(perCheck, 'p2pnc_check_loss_ratio'), [
    'p2pnc_check_loss_ratio{source="mesh",target_kind="node",check="a"} 0.5',
  ]);
});
