/**
 * One benchmark scenario in a process of its own (so its RSS is the scenario's alone): probes `checks` loopback
 * targets with bounded concurrency through p2pnc's runner or a bare net.connect loop, and prints one JSON line.
 * Started by bench/probe.ts from an esbuild bundle, as production runs.
 */
import { Socket } from 'node:net';
import { runProbes } from '../src/runtime/probe/runner.js';
import type { ProbeTarget } from '../src/runtime/types.js';

export type Engine = 'p2pnc' | 'bare';

export interface WorkerConfig {
  engine: Engine;
  checks: number;
  concurrency: number;
  timeoutMs: number;
  /** The listeners, one per loopback address. */
  endpoints: { host: string; port: number }[];
  /** Unmeasured cycles first, so both engines are measured JIT-warm, as in a long-running source pod. */
  warmupCycles: number;
}

export interface WorkerReport {
  engine: Engine;
  checks: number;
  cycleMs: number;
  cpuMicrosPerCheck: number;
  peakRssBytes: number;
  idleRssBytes: number;
  succeeded: number;
  failed: number;
  /** A few failure messages, to explain failures (such as EMFILE) without flooding the output. */
  failureSamples: string[];
}

const RSS_SAMPLE_INTERVAL_MS = 5;

function buildTargets(config: WorkerConfig): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (let i = 0; i < config.checks; i++) {
    const { host, port } = config.endpoints[i % config.endpoints.length]!;
    targets.push({ label: `bench-${i}`, host, port, kind: 'tcp' });
  }
  return targets;
}

interface CycleOutcome {
  succeeded: number;
  failed: number;
  failureSamples: string[];
}

async function p2pncCycle(targets: readonly ProbeTarget[], config: WorkerConfig): Promise<CycleOutcome> {
  const failureSamples: string[] = [];
  const summary = await runProbes(
    targets,
    { concurrency: config.concurrency, timeoutMs: config.timeoutMs },
    (result) => {
      if (!result.success && failureSamples.length < 3) failureSamples.push(result.message);
    },
  );
  return { succeeded: summary.succeeded, failed: summary.failed, failureSamples };
}

/**
 * The floor: connect, close, nothing else. `new Socket()` + `connect()` rather than `net.connect()`, which measured
 * markedly more CPU per connection on Node 20; the floor should be the cheapest way.
 */
function bareConnect(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error) => {
      socket.destroy();
      resolve(error.message);
    });
  });
}

async function bareCycle(targets: readonly ProbeTarget[], config: WorkerConfig): Promise<CycleOutcome> {
  const outcome: CycleOutcome = { succeeded: 0, failed: 0, failureSamples: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const target = targets[next++]!;
      const error = await bareConnect(target.host, target.port);
      if (error === undefined) outcome.succeeded++;
      else {
        outcome.failed++;
        if (outcome.failureSamples.length < 3) outcome.failureSamples.push(error);
      }
    }
  };
  const workers: Promise<void>[] = [];
  for (let i = 0; i < Math.min(config.concurrency, targets.length); i++) workers.push(worker());
  await Promise.all(workers);
  return outcome;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as WorkerConfig;
  const idleRssBytes = process.memoryUsage.rss();
  let peakRssBytes = idleRssBytes;
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  }, RSS_SAMPLE_INTERVAL_MS);

  const targets = buildTargets(config);
  const cycle = config.engine === 'p2pnc' ? p2pncCycle : bareCycle;
  for (let i = 0; i < config.warmupCycles; i++) await cycle(targets, config);

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const outcome = await cycle(targets, config);
  const cycleMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);

  clearInterval(sampler);
  peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss());
  const report: WorkerReport = {
    engine: config.engine,
    checks: config.checks,
    cycleMs,
    cpuMicrosPerCheck: (cpu.user + cpu.system) / config.checks,
    peakRssBytes,
    idleRssBytes,
    ...outcome,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
