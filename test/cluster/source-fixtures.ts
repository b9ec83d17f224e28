// Shared pieces of the source's control-plane fault suites: loopback targets that log every probe they answer,
// deploying a topology's checks, running `p2pnc source`, and checking a status against what really happened.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { CheckStatus, LogEntry } from '../../src/api/check.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { eventually, startCli, type RunningProcess } from '../helpers/process.js';
import { synthToTemp } from '../helpers/synth.js';
import type { Cluster } from './harness.js';
import { mustKubectl } from './support.js';

/** A TCP port on 127.0.0.1 that can be taken down (refused) and brought back; logs when it accepted each probe. */
export class LoopbackTarget {
  readonly accepts: number[] = [];
  private server: Server | undefined;

  private constructor(readonly port: number) {}

  static async start(listening = true): Promise<LoopbackTarget> {
    const probe = createServer();
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(0, '127.0.0.1', resolve));
    const target = new LoopbackTarget((probe.address() as { port: number }).port);
    await new Promise((resolve) => probe.close(resolve));
    if (listening) await target.up();
    return target;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const server = createServer((socket) => {
      this.accepts.push(Date.now());
      socket.end();
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise((resolve) => server.close(resolve));
  }
}

/**
 * Applies the namespace, CRD, RBAC and checks of a topology (no workloads: the test runs the source itself).
 * Returns the directory the manifests were synthesized to.
 */
export async function deployChecks(cluster: Cluster, topology: TopologyInput): Promise<string> {
  const { dir } = synthToTemp(topology);
  for (const file of ['foundation.yaml', 'rbac.yaml'])
    await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, file)]);
  await mustKubectl(cluster, [
    'wait',
    '--for=condition=Established',
    'crd/podnetworkconnectivitychecks.p2pnc.io',
    '--timeout=60s',
  ]);
  await mustKubectl(cluster, ['apply', '--server-side', '-f', join(dir, 'checks.yaml')]);
  return dir;
}

/** `p2pnc source` as its ServiceAccount would run it, with the shortened timings of these suites. */
export async function startSource(
  cluster: Cluster,
  namespace: string,
  source: string,
  flags: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<RunningProcess> {
  const kubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor(namespace, source));
  return startCli(
    [
      'source',
      '--source',
      source,
      '--namespace',
      namespace,
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      ...flags,
    ],
    env,
  );
}

export interface CheckObjectJson {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; resourceVersion: string };
  status?: CheckStatus;
}

export async function readCheck(cluster: Cluster, namespace: string, name: string): Promise<CheckObjectJson> {
  return JSON.parse(
    await mustKubectl(cluster, ['get', 'pncc', '-n', namespace, name, '-o', 'json']),
  ) as CheckObjectJson;
}

export async function readChecks(cluster: Cluster, namespace: string): Promise<CheckObjectJson[]> {
  return (
    JSON.parse(await mustKubectl(cluster, ['get', 'pncc', '-n', namespace, '-o', 'json'])) as {
      items: CheckObjectJson[];
    }
  ).items;
}

/** Polls the status of a check until `ready` holds for it. */
export async function statusWhen(
  cluster: Cluster,
  namespace: string,
  name: string,
  ready: (status: CheckStatus) => boolean,
  timeoutMs: number,
  what: string,
): Promise<CheckStatus> {
  return eventually(
    async () => {
      const status = (await readCheck(cluster, namespace, name)).status;
      return status && ready(status) ? status : undefined;
    },
    timeoutMs,
    `${name}: ${what}`,
  );
}

/** The Events about one check. */
export async function eventsOf(
  cluster: Cluster,
  namespace: string,
  check: string,
): Promise<Array<{ reason: string; reportingInstance?: string; firstTimestamp: string }>> {
  const json = await mustKubectl(cluster, [
    'get',
    'events',
    '-n',
    namespace,
    '--field-selector',
    `involvedObject.name=${check}`,
    '-o',
    'json',
  ]);
  return (JSON.parse(json) as { items: Array<{ reason: string; reportingInstance?: string; firstTimestamp: string }> })
    .items;
}

export const reachable = (status: CheckStatus | undefined) =>
  status?.conditions?.find((condition) => condition.type === 'Reachable');

export const ms = (time: string | null | undefined): number => Date.parse(time ?? '');

/** Status times are whole seconds (truncated): the second a moment in milliseconds is stored as. */
export const storedSecond = (at: number): number => Math.floor(at / 1000) * 1000;

/** JSON log lines of the source (one object per line on stdout). */
export function logLines(process: RunningProcess): Array<Record<string, unknown>> {
  return process
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Asserts that the check's probe log has no hole: successes and failures together, from the oldest time both
 * lists still cover (a full list has dropped older entries) to the newest, are never further apart than a probe
 * period can be. A lost entry leaves a gap of about two periods.
 */
export function assertNoLostProbes(
  name: string,
  status: CheckStatus,
  maxGapMs: number,
  maxEntries = 20,
): { from: number; to: number; entries: number } {
  const successes = status.successes ?? [];
  const failures = status.failures ?? [];
  const coveredFrom = Math.max(
    ...[successes, failures].map((list) =>
      list.length >= maxEntries ? ms(list[list.length - 1]!.time) : Number.NEGATIVE_INFINITY,
    ),
  );
  const timeline = [...successes, ...failures]
    .map((entry) => ms(entry.time))
    .filter((time) => time >= coveredFrom)
    .sort((a, b) => a - b);
  assert.ok(timeline.length >= 2, `${name}: fewer than two probes recorded`);
  for (let i = 1; i < timeline.length; i++) {
    const gap = timeline[i]! - timeline[i - 1]!;
    assert.ok(
      gap <= maxGapMs,
      `${name}: no probe recorded between ${iso(timeline[i - 1]!)} and ${iso(timeline[i]!)} (${gap} ms; probes come at most ${maxGapMs} ms apart): entries were lost`,
    );
  }
  return { from: timeline[0]!, to: timeline[timeline.length - 1]!, entries: timeline.length };
}

/**
 * Asserts that every probe the target answered (its accept log) within the time the successes list covers is
 * recorded there, and nothing else claiming this target is: a success entry's time is the start of its probe, the
 * accept a moment later, in the same or the next second. Entries for which `foreign` holds are another writer's.
 */
export function assertEverySuccessRecorded(
  name: string,
  successes: readonly LogEntry[],
  accepts: readonly number[],
  foreign: (entry: LogEntry) => boolean = () => false,
): number {
  const own = successes
    .filter((entry) => !foreign(entry))
    .map((entry) => ms(entry.time))
    .sort((a, b) => a - b);
  assert.ok(own.length > 0, `${name}: no successes recorded`);
  // The oldest kept second may have lost some of its entries to the cap; count from the next one.
  const full = successes.length >= 20;
  const from = full ? ms(successes[successes.length - 1]!.time) + 1000 : Number.NEGATIVE_INFINITY;
  const recorded = own.filter((time) => time >= from);
  const answered = accepts
    .map(storedSecond)
    .filter((second) => second >= from - 1000 && second <= own[own.length - 1]! + 1000);
  const unmatched = [...recorded];
  const missing: number[] = [];
  for (const second of answered) {
    const at = unmatched.findIndex((time) => time === second || time === second - 1000);
    if (at >= 0) unmatched.splice(at, 1);
    else if (second - 1000 >= from && second <= own[own.length - 1]!) missing.push(second);
  }
  assert.deepEqual(missing.map(iso), [], `${name}: probes the target answered are missing from status.successes`);
  assert.deepEqual(unmatched.map(iso), [], `${name}: successes recorded that the target never answered`);
  return recorded.length;
}

export const iso = (at: number): string => new Date(at).toISOString();

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
