/**
 * bench:source-memory: the whole source's memory (list+watch, the status writer, the probes) at 1,000 and 10,000
 * checks, on the test bed's real kube-apiserver and etcd, against a floor measured in the same run: the same
 * `p2pnc source` process with no check to probe (node, the CLI, the client, the metrics server).
 *
 * Per size N, in one cluster: N checks of one Deployment source (cloned from what synth writes, POSTed by the admin),
 * all probing a TCP listener of this process, interval --interval-ms x N / 1,000 (so the probe rate is the same at
 * every size); `p2pnc source` runs with its ServiceAccount's token until every check is Reachable=True, then its RSS
 * is sampled every second for --seconds (VmRSS; VmHWM for the peak). Prints the floor, the steady and peak RSS, the
 * memory per check above the floor, and the goal as a ratio.
 *
 * A memory guard reads MemAvailable every second: below --min-available-gib (2) it kills the source, stops the
 * cluster and exits 3; a size whose estimate would not fit is refused before it starts.
 *
 *   node --import tsx bench/source-memory.ts [--checks 1000,10000] [--seconds 60] [--interval-ms 1000]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { KubeClient } from '../src/runtime/kube/client.js';
import { kubeconfigFile } from '../src/runtime/kube/config.js';
import { paths, type CheckObject, type ObjectList } from '../src/runtime/kube/resources.js';
import { startCluster, type Cluster } from '../test/cluster/harness.js';
import { synthToTemp } from '../test/helpers/synth.js';
import { goal } from './goal.js';

const { values } = parseArgs({
  options: {
    checks: { type: 'string', default: '1000,10000' },
    seconds: { type: 'string', default: '60' },
    'interval-ms': { type: 'string', default: '1000' },
    'min-available-gib': { type: 'string', default: '2' },
  },
});
const SIZES = values.checks.split(',').map(Number);
const SECONDS = Number(values.seconds);
const BASE_INTERVAL_MS = Number(values['interval-ms']);
const GIB = 1024 ** 3;
const MIN_AVAILABLE = Number(values['min-available-gib']) * GIB;
const NAMESPACE = 'memory';
const SOURCE = 'prober';
/** Goal: the whole source at 1,000 checks within this multiple of its floor (issue 13 saw 125-153 MB at 1,000). */
const GOAL_RATIO_1000 = 1.6;
/** Estimated cluster + source memory per check, to refuse a size that would not fit. */
const ESTIMATE_PER_CHECK = 60 * 1024;

for (const size of SIZES)
  if (!Number.isInteger(size) || size < 1 || size > 50_000) throw new Error(`--checks: ${size} is not from 1 to 50000`);
if (!(SECONDS >= 5)) throw new Error('--seconds: at least 5');

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`;

function memAvailable(): number {
  const line = readFileSync('/proc/meminfo', 'utf8')
    .split('\n')
    .find((text) => text.startsWith('MemAvailable:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

function procStatus(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((text) => text.startsWith(`${field}:`));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

const guarded: { cluster?: Cluster; child?: ChildProcess } = {};
const guard = setInterval(() => {
  const available = memAvailable();
  if (available >= MIN_AVAILABLE) return;
  console.error(`memory guard: MemAvailable ${mib(available)} fell below ${mib(MIN_AVAILABLE)}; stopping the run`);
  guarded.child?.kill('SIGKILL');
  void Promise.race([guarded.cluster?.stop(), new Promise((done) => setTimeout(done, 20_000))]).finally(() =>
    process.exit(3),
  );
}, 1000);
guard.unref();

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function listener(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.destroy());
  server.maxConnections = 4096;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** `p2pnc source` as its pod runs it; `source` selects its checks (another name: none). */
async function startSource(cluster: Cluster, source: string, intervalMs: number): Promise<ChildProcess> {
  const kubeconfig = await cluster.kubeconfigFor(await cluster.tokenFor(NAMESPACE, SOURCE));
  const child = spawn(
    process.execPath,
    [
      'bin/p2pnc.js',
      'source',
      '--source',
      source,
      '--namespace',
      NAMESPACE,
      '--kubeconfig',
      kubeconfig,
      '--metrics-port',
      '0',
      '--interval',
      `${intervalMs}ms`,
      '--no-leader-elect',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  guarded.child = child;
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
}

/** Samples the child's RSS every second for `seconds`: the median and the high-water mark. */
async function sample(child: ChildProcess, seconds: number): Promise<{ rss: number; peak: number }> {
  const samples: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await sleep(1000);
    if (child.exitCode !== null) throw new Error('the source exited');
    samples.push(procStatus(child.pid!, 'VmRSS'));
  }
  samples.sort((a, b) => a - b);
  return { rss: samples[Math.floor(samples.length / 2)]!, peak: procStatus(child.pid!, 'VmHWM') };
}

async function countReachable(client: KubeClient): Promise<number> {
  let up = 0;
  let continueToken: string | undefined;
  do {
    const page: ObjectList<CheckObject> = await client.get<ObjectList<CheckObject>>(paths.checks(NAMESPACE), {
      query: { limit: 500, ...(continueToken ? { continue: continueToken } : {}) },
      timeoutMs: 60_000,
    });
    up += page.items.filter((item) =>
      item.status?.conditions?.some((c) => c.type === 'Reachable' && c.status === 'True'),
    ).length;
    continueToken = page.metadata.continue || undefined;
  } while (continueToken);
  return up;
}

async function main(): Promise<void> {
  const largest = Math.max(...SIZES);
  const available = memAvailable();
  if (available - largest * ESTIMATE_PER_CHECK < MIN_AVAILABLE)
    throw new Error(
      `refusing ${largest} checks: about ${mib(largest * ESTIMATE_PER_CHECK)} needed, ${mib(available)} available`,
    );
  const target = await listener();
  const cluster = await startCluster();
  guarded.cluster = cluster;
  const client = new KubeClient(kubeconfigFile(cluster.kubeconfig));
  try {
    const { dir, objects } = synthToTemp({
      cluster: 'memory',
      namespace: NAMESPACE,
      nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
      sources: [{ name: SOURCE, kind: 'Deployment' }],
      targets: [{ name: 'listener', kind: 'endpoint', host: '127.0.0.1', port: target.port }],
    });
    for (const file of ['foundation.yaml', 'rbac.yaml']) {
      const applied = await cluster.kubectl(['apply', '--server-side', '-f', join(dir, file)]);
      if (applied.code !== 0) throw new Error(`applying ${file}: ${applied.stderr}`);
    }
    await cluster.kubectl(['wait', '--for=condition=Established', 'crd/podnetworkconnectivitychecks.p2pnc.io']);
    const template = objects.find((object) => object.kind === 'PodNetworkConnectivityCheck') as unknown as CheckObject;

    // The floor: the same process with nothing to probe.
    const idle = await startSource(cluster, 'nobody', BASE_INTERVAL_MS);
    await sleep(5000);
    const floor = await sample(idle, Math.min(SECONDS, 15));
    await stop(idle);
    console.log(`floor (source with no check): RSS ${mib(floor.rss)}, peak ${mib(floor.peak)}`);

    let created = 0;
    for (const size of SIZES.sort((a, b) => a - b)) {
      // Create the missing checks, 32 requests at a time.
      const names = Array.from({ length: size - created }, (_, i) => `${template.metadata.name}-${created + i}`);
      for (let i = 0; i < names.length; i += 32) {
        await Promise.all(
          names.slice(i, i + 32).map((name) =>
            client.request('POST', paths.checks(NAMESPACE), {
              body: { ...template, metadata: { name, namespace: NAMESPACE, labels: template.metadata.labels } },
            }),
          ),
        );
      }
      created = size;
      const intervalMs = Math.round((BASE_INTERVAL_MS * size) / 1000);
      const started = Date.now();
      const child = await startSource(cluster, SOURCE, intervalMs);
      try {
        // Paged reads every 10 s: an unpaginated LIST of 10,000 checks every 2 s would load the API server more than
        // the source does. Sampling starts once 99 % are Reachable (first writes go out at 50 a second).
        for (;;) {
          if (child.exitCode !== null) throw new Error('the source exited');
          const up = await countReachable(client);
          if (up >= size * 0.99) break;
          if (Date.now() - started > 900_000) throw new Error(`only ${up} of ${size} checks Reachable after 15 min`);
          await sleep(10_000);
        }
        const upAfter = (Date.now() - started) / 1000;
        const measured = await sample(child, SECONDS);
        const perCheck = (measured.rss - floor.rss) / size;
        console.log(
          `${size} checks (interval ${intervalMs} ms, all Reachable after ${upAfter.toFixed(0)} s): RSS ${mib(measured.rss)} ` +
            `(${(measured.rss / floor.rss).toFixed(2)} x floor), peak ${mib(measured.peak)}, ${(perCheck / 1024).toFixed(1)} KiB per check above the floor`,
        );
        if (size === 1000)
          goal(
            measured.peak / floor.rss <= GOAL_RATIO_1000,
            `peak RSS at 1,000 checks <= ${GOAL_RATIO_1000} x floor (${(measured.peak / floor.rss).toFixed(2)})`,
          );
      } finally {
        await stop(child);
      }
    }
  } finally {
    client.close();
    target.server.close();
    await cluster.stop();
  }
}

await main().catch((error: unknown) => {
  console.error(`bench:source-memory failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
