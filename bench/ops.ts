/**
 * bench:ops: `p2pnc status`, `p2pnc diagnose` and `p2pnc report --html` over the 5,000-node topology of bench:synth
 * (25,000 checks incl. a k=3 mesh), every check with a full status history from the real reducer and a few percent
 * failing or with past outages. The checks are serialized as the API server returns the list; each command then runs
 * in its own child process from that JSON text (bench/ops-worker.ts), against the floor measured in the same run:
 * JSON.parse of the same text, what any client pays to read it. Times are the best of BENCH_RUNS (3), peak RSS the
 * highest. BENCH_NODES (5000) scales the cluster.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CheckObject } from '../src/runtime/kube/resources.js';
import { record } from '../src/runtime/status/reducer.js';
import type { CheckStatus } from '../src/api/check.js';
import { checksOf, NOW, ok, refused, timeout, type Outcome } from '../test/ops/support.js';
import { goal } from './goal.js';
import type { Command, WorkerReport } from './ops-worker.js';
import { benchTopology } from './synth.js';

const NODES = Number(process.env.BENCH_NODES ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MiB = 1024 * 1024;

/**
 * status and diagnose read every check once and correlate them: at most a few times what parsing the list costs, in
 * 512 MiB (reading the list alone peaks near 400 MiB at 25,000 checks with full histories). The report does more per
 * check (HTML): 5 times the floor, and a file small enough for a browser and a ticket.
 */
const GOALS = {
  status: { maxRatio: 3, maxRssMiB: 512 },
  diagnose: { maxRatio: 3, maxRssMiB: 512 },
  report: { maxRatio: 5, maxOutputMiB: 20 },
} as const;

/** Probes every minute for this long before NOW: more than the 20 successes a status keeps. */
const HISTORY_MINUTES = 40;

const name = (index: number) => `node-${String(index).padStart(5, '0')}.bench.example.com`;
/** Its link is down: every check to it and from its mesh source times out. */
const LINK_DOWN = name(42);
/** A master whose API server refuses connections. */
const MASTER_REFUSING = name(1);
/** A rack whose target pods refuse (a bad rollout of network-check-target there). */
const RACK = new Set(
  Array.from({ length: Math.min(100, Math.floor(NODES / 50)) }, (_, i) => name(Math.floor(NODES / 2) + i)),
);
/** One mesh check in this many drops two probes just now: a confirmed, fresh outage on one path. */
const FLAKY_PATH_EVERY = 800;
/** One check in this many had an outage 25 minutes ago, closed since. */
const RECOVERED_EVERY = 20;

/** A failure from `since` minutes before NOW until `until` minutes before it (until the end when undefined). */
interface FailureWindow {
  outcome: Outcome;
  since: number;
  until?: number;
}

function faultsOf(check: CheckObject, index: number, meshIndex: number | undefined): FailureWindow[] {
  const { source, target } = check.spec;
  const windows: FailureWindow[] = [];
  if (index % RECOVERED_EVERY === 3) windows.push({ outcome: timeout, since: 25, until: 22 });
  if (source?.node === LINK_DOWN || target?.node === LINK_DOWN) windows.push({ outcome: timeout, since: 6 });
  else if (target?.name === 'kubernetes-apiserver-endpoint' && target.node === MASTER_REFUSING)
    windows.push({ outcome: refused, since: 8 });
  else if (target?.name === 'load-balancer-api-external') windows.push({ outcome: timeout, since: 5 });
  else if (target?.name === 'network-check-target' && target.node && RACK.has(target.node))
    windows.push({ outcome: refused, since: 3 });
  else if (meshIndex !== undefined && meshIndex % FLAKY_PATH_EVERY === 7) windows.push({ outcome: timeout, since: 1 });
  return windows;
}

/** The status a source writes after probing every minute of the history with the given failures. */
function statusOf(check: CheckObject, windows: readonly FailureWindow[]): CheckStatus {
  let status: CheckStatus | undefined;
  for (let ago = HISTORY_MINUTES; ago >= 0; ago--) {
    const failing = windows.find((window) => ago <= window.since && ago > (window.until ?? -1));
    status = record(status, (failing?.outcome ?? ok)(check, new Date(NOW.getTime() - ago * 60_000))).status;
  }
  return status!;
}

interface Cluster {
  json: string;
  checks: number;
  failing: number;
  recovered: number;
}

/** The list as the API server returns it (without managedFields, which would only make the floor larger). */
function generate(): Cluster {
  const topology = benchTopology(NODES);
  const input = {
    ...topology,
    // Lets diagnose tell the load balancer from its backends, as a real topology would.
    targets: topology.targets.map((target) =>
      target.name === 'load-balancer-api-external' ? { ...target, backends: 'kubernetes-apiserver-endpoint' } : target,
    ),
  };
  let meshChecks = 0;
  let failing = 0;
  let recovered = 0;
  const items = checksOf(input).map((check, index) => {
    const meshIndex = check.spec.source?.node && check.spec.target?.node ? meshChecks++ : undefined;
    const windows = faultsOf(check, index, meshIndex);
    if (windows.some((window) => window.until === undefined)) failing++;
    if (windows.some((window) => window.until !== undefined)) recovered++;
    const metadata = {
      ...check.metadata,
      uid: `6f1c0000-0000-4000-8000-${index.toString(16).padStart(12, '0')}`,
      resourceVersion: String(100_000 + index),
      generation: 1,
    };
    return { ...check, metadata, status: statusOf(check, windows) };
  });
  const list = {
    apiVersion: 'p2pnc.io/v1alpha1',
    items,
    kind: 'PodNetworkConnectivityCheckList',
    metadata: { continue: '', resourceVersion: String(100_000 + items.length) },
  };
  return { json: JSON.stringify(list), checks: items.length, failing, recovered };
}

/** One run of a command in its own process; a crash (such as running out of heap) is reported, not thrown. */
function child(command: Command, file: string): WorkerReport | { error: string } {
  const worker = new URL('./ops-worker.ts', import.meta.url).pathname;
  try {
    const out = execFileSync(process.execPath, ['--import', 'tsx', worker, command, file, NOW.toISOString()], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return JSON.parse(out.trim().split('\n').pop()!) as WorkerReport;
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const reason =
      stderr.split('\n').find((text) => /error|heap|memory/i.test(text)) ?? (error as Error).message.split('\n')[0]!;
    return { error: reason.trim() };
  }
}

interface Measured {
  samples: WorkerReport[];
  error?: string;
}

const OUTPUTS: Record<Exclude<Command, 'floor'>, (bytes: number) => string> = {
  status: (bytes) => `${(bytes / MiB).toFixed(1)} MiB table`,
  diagnose: (bytes) => `${(bytes / 1024).toFixed(0)} KiB text`,
  report: (bytes) => `${(bytes / MiB).toFixed(1)} MiB HTML`,
};

function main(): void {
  const started = performance.now();
  const cluster = generate();
  const generatedMs = performance.now() - started;
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-bench-ops-'));
  try {
    const file = join(dir, 'checks.json');
    writeFileSync(file, cluster.json);
    const inputMiB = statSync(file).size / MiB;
    const commands: Command[] = ['floor', 'status', 'diagnose', 'report'];
    const measured = new Map<Command, Measured>(commands.map((command) => [command, { samples: [] }]));
    for (let run = 0; run < RUNS; run++) {
      for (const command of commands) {
        const result = measured.get(command)!;
        if (result.error !== undefined) continue;
        const outcome = child(command, file);
        if ('error' in outcome) result.error = outcome.error;
        else result.samples.push(outcome);
      }
    }
    const best = (command: Command) => {
      const { samples, error } = measured.get(command)!;
      if (error !== undefined || samples.length === 0) return undefined;
      return {
        ...samples.reduce((a, b) => (a.ms <= b.ms ? a : b)),
        peakRssMiB: Math.max(...samples.map((sample) => sample.peakRssMiB)),
      };
    };
    const floor = best('floor');
    if (!floor) throw new Error(`the floor failed: ${measured.get('floor')!.error}`);

    console.log(
      `bench:ops  ${NODES} nodes, ${cluster.checks} checks (${cluster.failing} failing now, ${cluster.recovered} with a closed outage), ` +
        `list JSON ${inputMiB.toFixed(1)} MiB (generated in ${(generatedMs / 1000).toFixed(1)} s; best of ${RUNS}, highest RSS)`,
    );
    console.log(
      `  ${'command'.padEnd(22)} ${'ms'.padStart(7)}   ${'ratio'.padStart(5)}   ${'peak RSS'.padStart(8)}   output`,
    );
    const row = (label: string, sample: WorkerReport, output: string) =>
      console.log(
        `  ${label.padEnd(22)} ${sample.ms.toFixed(0).padStart(7)}   ${(sample.ms / floor.ms).toFixed(2).padStart(5)}   ${`${sample.peakRssMiB.toFixed(0)} MiB`.padStart(8)}   ${output}`,
      );
    row('floor: JSON.parse', floor, `${floor.checks} checks read`);
    const labels = { status: 'p2pnc status', diagnose: 'p2pnc diagnose', report: 'p2pnc report --html' } as const;
    const results = (['status', 'diagnose', 'report'] as const).map((command) => ({ command, sample: best(command) }));
    for (const { command, sample } of results) {
      if (sample) row(labels[command], sample, OUTPUTS[command](sample.outputBytes));
      else console.log(`  ${labels[command].padEnd(22)} failed: ${measured.get(command)!.error}`);
    }

    for (const { command, sample } of results) {
      const ratio = sample ? (sample.ms / floor.ms).toFixed(2) : 'n/a (failed)';
      const ratioGoal = GOALS[command].maxRatio;
      goal(sample !== undefined && sample.ms / floor.ms <= ratioGoal, `${command} ratio ${ratio} <= ${ratioGoal}`);
      if (command === 'report') {
        const mib = sample ? `${(sample.outputBytes / MiB).toFixed(1)} MiB` : 'n/a';
        goal(
          sample !== undefined && sample.outputBytes / MiB < GOALS.report.maxOutputMiB,
          `report HTML ${mib} < ${GOALS.report.maxOutputMiB} MiB`,
        );
      } else {
        const rss = sample ? `${sample.peakRssMiB.toFixed(0)} MiB` : 'n/a';
        goal(
          sample !== undefined && sample.peakRssMiB < GOALS[command].maxRssMiB,
          `${command} peak RSS ${rss} < ${GOALS[command].maxRssMiB} MiB`,
        );
      }
    }
    if (results.some(({ sample }) => !sample)) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
