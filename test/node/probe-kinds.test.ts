// The new probe kinds from a real pod on the real node (bed.ts): an icmp check from a source pod admitted under Pod
// Security restricted with only the ping sysctl (no capability), a udp check through the target Service (kube-proxy's
// UDP rules to the target pods' echo) and an mtu check to the target pod. Shares the machine-wide node bed lock.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDocument } from 'yaml';
import { eventually, runCli } from '../helpers/process.js';
import { syncInWaves, waitWorkloadsHealthy } from './argo-sync.js';
import { checks, condition, getJson, pods, startBedOrSkip, NAMESPACE, type LiveCheck } from './support.js';

const PING = 'ping-target';
const UDP = 'udp-target';
const MTU = 'mtu-target';
const targetOf = (check: LiveCheck): string => check.metadata.labels['p2pnc.io/target'] ?? '';

test('icmp, udp and mtu checks from a source pod on the real node', { timeout: 20 * 60_000 }, async (t) => {
  const bed = await startBedOrSkip(t);
  if (!bed) return;
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-node-kinds-'));
  t.after(() => {
    bed.stop();
    rmSync(work, { recursive: true, force: true });
  });
  const cli = (args: string[]) => runCli([...args, '--kubeconfig', bed.cluster.kubeconfig]);

  const file = join(work, 'topology.yaml');
  const imported = await cli(['import', '-o', file]);
  assert.equal(imported.code, 0, imported.output);
  const doc = parseDocument(readFileSync(file, 'utf8'));
  doc.set('interval', '5s');
  doc.set('timeout', '2s');
  doc.addIn(['targets'], { name: PING, kind: 'p2pnc-target', viaService: false, probe: { kind: 'icmp' } });
  doc.addIn(['targets'], { name: UDP, kind: 'p2pnc-target', perNode: false, probe: { kind: 'udp', count: 20 } });
  doc.addIn(['targets'], { name: MTU, kind: 'p2pnc-target', viaService: false, probe: { kind: 'mtu' } });
  writeFileSync(file, doc.toString());
  const dist = join(work, 'dist');
  const synth = await runCli(['synth', '-f', file, '-o', dist]);
  assert.equal(synth.code, 0, synth.output);
  await syncInWaves(bed.cluster, dist);
  await waitWorkloadsHealthy(bed.cluster, dist);

  const namespace = await getJson<{ metadata: { labels: Record<string, string> } }>(bed, [
    'get',
    'namespace',
    NAMESPACE,
  ]);
  assert.equal(namespace.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  const sources = (await pods(bed)).filter((p) => p.metadata.labels?.['app.kubernetes.io/component'] === 'source');
  assert.ok(sources.length > 0, 'no source pod');
  for (const pod of sources) {
    const spec = (pod as unknown as { spec: { securityContext: { sysctls?: unknown } } }).spec;
    assert.deepEqual(spec.securityContext.sysctls, [{ name: 'net.ipv4.ping_group_range', value: '65532 65532' }]);
  }

  const wanted: Record<string, string> = { [PING]: 'ICMPEcho', [UDP]: 'UDPEcho', [MTU]: 'MTUTransfer' };
  const settled = await eventually(
    async () => {
      const mine = (await checks(bed)).filter((c) => targetOf(c) in wanted);
      const done =
        mine.length === 3 &&
        mine.every((c) => condition(c)?.status === 'True' && c.status?.successes?.[0]?.reason === wanted[targetOf(c)]);
      return done ? mine : undefined;
    },
    150_000,
    'the icmp, udp and mtu checks True',
  ).catch(async (error: Error) => {
    const mine = (await checks(bed)).filter((c) => targetOf(c) in wanted);
    const seen = mine.map(
      (c) => `${c.metadata.name}: ${JSON.stringify(c.status?.failures?.[0] ?? c.status?.successes?.[0])}`,
    );
    throw new Error(`${error.message}\n${seen.join('\n')}\n--- kubelet:\n${bed.logTail('kubelet', 15)}`);
  });
  for (const check of settled) t.diagnostic(`${check.metadata.name}: ${check.status?.successes?.[0]?.message}`);
  const ping = settled.find((c) => targetOf(c) === PING)!;
  assert.match(ping.status!.successes![0]!.message!, /: icmp echo to 10\.244\.\d+\.\d+ succeeded in /);
  const udp = settled.find((c) => targetOf(c) === UDP)!;
  assert.match(udp.status!.successes![0]!.message!, /succeeded: 20\/20 echoed, 0% loss/);
  // The probes ran inside the pod: no capability was added to get there.
  const caps = await bed.cluster.kubectl([
    '-n',
    NAMESPACE,
    'get',
    'pods',
    '-o',
    'jsonpath={.items[*].spec.containers[*].securityContext.capabilities}',
  ]);
  assert.equal(caps.code, 0, caps.stderr);
  assert.doesNotMatch(caps.stdout, /add/);
});
