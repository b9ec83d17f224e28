// A source pod's memory follows the checks one of its instances probes: a Deployment's leader probes them all, a
// DaemonSet's pod those of its node. Small sources keep the defaults; large ones get what bench:source-memory measured.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SOURCE_MEMORY_MIB, sourceMemory } from '../../src/constructs/source-memory.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';

function topology(nodes: number): TopologyInput {
  return {
    cluster: 'memory',
    nodes: Array.from({ length: nodes }, (_, i) => ({
      name: `node-${i}`,
      addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`],
      roles: [i < 3 ? 'master' : 'worker'],
    })),
    sources: [
      { name: 'prober', kind: 'Deployment', targets: ['kubelet'] },
      { name: 'mesh', kind: 'DaemonSet', targets: ['p2pnc-target'], mesh: { neighbours: 3 } },
    ],
    targets: [
      { name: 'kubelet', kind: 'node', port: 10250 },
      { name: 'p2pnc-target', kind: 'p2pnc-target' },
    ],
  };
}

function memoryOf(objects: K8sObject[], kind: string, name: string): { request: string; limit: string } {
  const workload = objects.find((object) => object.kind === kind && object.metadata.name === name)!;
  const resources = workload.spec.template.spec.containers[0].resources;
  return { request: resources.requests.memory, limit: resources.limits.memory };
}

test('a Deployment probing 1,500 kubelets gets the memory of 1,500 checks; its DaemonSet of 3 per node keeps the defaults', () => {
  const { objects } = synthToTemp(topology(1500));
  const expected = sourceMemory(1500);
  assert.deepEqual(memoryOf(objects, 'Deployment', 'prober'), {
    request: `${expected.requestMiB}Mi`,
    limit: `${expected.limitMiB}Mi`,
  });
  // bench:source-memory: 161 MiB at its peak with 1,000 checks, 302 MiB with 10,000.
  assert.ok(
    expected.limitMiB > 161 && expected.limitMiB < 302,
    `limit ${expected.limitMiB}Mi between the measured peaks`,
  );
  assert.ok(expected.requestMiB > DEFAULT_SOURCE_MEMORY_MIB.request && expected.requestMiB < expected.limitMiB);
  assert.deepEqual(memoryOf(objects, 'DaemonSet', 'mesh'), {
    request: `${DEFAULT_SOURCE_MEMORY_MIB.request}Mi`,
    limit: `${DEFAULT_SOURCE_MEMORY_MIB.limit}Mi`,
  });
});

test('sources of up to a few hundred checks keep the defaults; beyond, memory grows with the checks', () => {
  assert.deepEqual(sourceMemory(0), { requestMiB: 48, limitMiB: 160 });
  assert.deepEqual(sourceMemory(200), { requestMiB: 48, limitMiB: 160 });
  let previous = sourceMemory(200);
  for (const checks of [500, 1000, 5000, 10000, 40000]) {
    const memory = sourceMemory(checks);
    assert.ok(memory.limitMiB >= previous.limitMiB && memory.requestMiB >= previous.requestMiB, `${checks}`);
    assert.ok(memory.limitMiB % 32 === 0 && memory.requestMiB % 16 === 0, `${checks}: whole steps`);
    previous = memory;
  }
  for (const [checks, peakMiB] of [
    [1000, 161],
    [10000, 302],
  ] as const)
    assert.ok(
      sourceMemory(checks).limitMiB >= peakMiB * 1.2,
      `${checks} checks: the measured peak ${peakMiB} MiB and room`,
    );
});
