/** Reading the node bed's state from the API and the container runtime, for test/node/*.test.ts. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { TestContext } from 'node:test';
import type { CheckStatus } from '../../src/api/check.js';
import { inCI } from '../helpers/tools.js';
import { NodeUnavailable, startNodeBed, type NodeBed, type NodeBedOptions } from './bed.js';

export const NAMESPACE = 'p2pnc';

/** Starts the bed, or skips with the reason in one line; under CI a bed that cannot come up fails the run. */
export async function startBedOrSkip(t: TestContext, options: NodeBedOptions = {}): Promise<NodeBed | undefined> {
  try {
    return await startNodeBed(options);
  } catch (error) {
    if (error instanceof NodeUnavailable && !inCI) {
      t.skip(`node suite skipped: ${error.reason}`);
      return undefined;
    }
    throw error;
  }
}

export interface LiveCheck {
  metadata: { name: string; labels: Record<string, string>; managedFields?: ManagedField[] };
  spec: { targetEndpoint: string };
  status?: CheckStatus;
}

export interface ManagedField {
  manager: string;
  operation: string;
  subresource?: string;
}

export interface LivePod {
  metadata: { name: string; labels?: Record<string, string>; uid: string };
  spec: { nodeName?: string; serviceAccountName?: string; volumes?: { name: string; projected?: unknown }[] };
  status: {
    phase: string;
    podIP?: string;
    conditions?: { type: string; status: string }[];
    containerStatuses?: { name: string; ready: boolean; restartCount: number }[];
  };
}

export async function getJson<T>(bed: NodeBed, args: string[]): Promise<T> {
  const res = await bed.cluster.kubectl([...args, '-o', 'json']);
  assert.equal(res.code, 0, `kubectl ${args.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout) as T;
}

export async function checks(bed: NodeBed, namespace = NAMESPACE): Promise<LiveCheck[]> {
  return (
    await getJson<{ items: LiveCheck[] }>(bed, [
      'get',
      'podnetworkconnectivitychecks',
      '-n',
      namespace,
      '--show-managed-fields',
    ])
  ).items;
}

export async function pods(bed: NodeBed, selector?: string, namespace = NAMESPACE): Promise<LivePod[]> {
  const args = ['get', 'pods', '-n', namespace, ...(selector ? ['-l', selector] : [])];
  return (await getJson<{ items: LivePod[] }>(bed, args)).items;
}

export function condition(
  check: LiveCheck,
  type = 'Reachable',
): { status: string; reason?: string; message?: string } | undefined {
  return check.status?.conditions?.find((c) => c.type === type);
}

export function podReady(pod: LivePod): boolean {
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Pods of the namespace with a running container (not the sandbox), as containerd sees them. */
export function runningPods(bed: NodeBed): string[] {
  return containerFacts(bed).map((f) => f.pod);
}

export interface ContainerFacts {
  pod: string;
  container: string;
  /** The container's main process on the host. */
  pid: number;
  /** From the OCI spec containerd gave runc. */
  specUid: number;
  specReadonlyRoot: boolean;
  /** From the running process: /proc/<pid>/status and the root mount's options. */
  liveUids: number[];
  liveRootOptions: string[];
}

/** What runc was told and what the kernel shows for every running container of the namespace's pods. */
export function containerFacts(bed: NodeBed): ContainerFacts[] {
  const tasks = new Map(
    bed
      .ctr(['tasks', 'ls'])
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[2] === 'RUNNING')
      .map((cols) => [cols[0]!, Number(cols[1])]),
  );
  const facts: ContainerFacts[] = [];
  for (const id of tasks.keys()) {
    const info = JSON.parse(bed.ctr(['containers', 'info', id])) as {
      Labels: Record<string, string>;
      Spec: { process: { user: { uid: number } }; root: { readonly?: boolean } };
    };
    if (
      info.Labels['io.kubernetes.pod.namespace'] !== NAMESPACE ||
      info.Labels['io.cri-containerd.kind'] !== 'container'
    )
      continue;
    const pid = tasks.get(id)!;
    let status: string;
    let mountinfo: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
      mountinfo = readFileSync(`/proc/${pid}/mountinfo`, 'utf8');
    } catch {
      continue; // exited since the listing
    }
    const uids = (/^Uid:\s+(.*)$/m.exec(status)?.[1] ?? '').split(/\s+/).map(Number);
    const root = mountinfo
      .split('\n')
      .map((line) => line.split(' '))
      .find((cols) => cols[4] === '/');
    facts.push({
      pod: info.Labels['io.kubernetes.pod.name'] ?? '?',
      container: info.Labels['io.kubernetes.container.name'] ?? '?',
      pid,
      specUid: info.Spec.process.user.uid,
      specReadonlyRoot: info.Spec.root.readonly === true,
      liveUids: uids,
      liveRootOptions: (root?.[5] ?? '').split(','),
    });
  }
  return facts;
}

export interface PodMemory {
  pod: string;
  workingSetBytes: number;
}

/** Memory of the namespace's pods as the kubelet reports it (its summary API, through the API server's node proxy). */
export async function podMemory(bed: NodeBed): Promise<PodMemory[]> {
  const res = await bed.cluster.kubectl(['get', '--raw', `/api/v1/nodes/${bed.nodeName}/proxy/stats/summary`]);
  assert.equal(res.code, 0, `stats/summary: ${res.stderr}`);
  const summary = JSON.parse(res.stdout) as {
    pods?: { podRef: { name: string; namespace: string }; memory?: { workingSetBytes?: number } }[];
  };
  return (summary.pods ?? [])
    .filter((p) => p.podRef.namespace === NAMESPACE)
    .map((p) => ({ pod: p.podRef.name, workingSetBytes: p.memory?.workingSetBytes ?? 0 }));
}

export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
