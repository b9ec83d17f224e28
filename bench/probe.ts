/**
 * `npm run bench:probe`: one cycle of TCP probes against loopback listeners, p2pnc's runner against a bare
 * net.connect loop (the floor), each scenario in its own child process for clean RSS readings.
 * Missing a goal is reported, not fatal; errors (failed probes, too few file descriptors, a crashed child) exit 1.
 * Then the icmp, udp and mtu probes against their own floors (bench/probe-kinds.ts).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { goal } from './goal.js';
import { benchKinds, readKindSettings } from './probe-kinds.js';
import type { Engine, WorkerConfig, WorkerReport } from './probe-worker.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

const GOALS = { maxCycleRatio: 1.25, maxRssSmallMiB: 64, maxRssLargeMiB: 128 };

class BenchError extends Error {}

interface Settings {
  checks: number;
  smallChecks: number;
  servers: number;
  concurrency: number;
  timeoutMs: number;
  rounds: number;
}

function readSettings(): Settings {
  const { values } = parseArgs({
    // The new kinds' options (bench/probe-kinds.ts) pass through.
    strict: false,
    options: {
      checks: { type: 'string', default: '10000' },
      'small-checks': { type: 'string', default: '1000' },
      servers: { type: 'string', default: '50' },
      concurrency: { type: 'string', default: '256' },
      timeout: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '3' },
    },
  });
  const positive = (name: string, text: string | boolean | undefined): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      throw new BenchError(`--${name} must be a positive integer, not "${text}"`);
    return value;
  };
  return {
    checks: positive('checks', values.checks),
    smallChecks: positive('small-checks', values['small-checks']),
    servers: positive('servers', values.servers),
    concurrency: positive('concurrency', values.concurrency),
    timeoutMs: positive('timeout', values.timeout),
    rounds: positive('rounds', values.rounds),
  };
}

/** Soft RLIMIT_NOFILE from /proc (Linux); undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function checkOpenFileLimit(settings: Settings): void {
  // Each in-flight probe holds a client socket in the worker and an accepted socket here, plus listeners and slack.
  const needed = settings.concurrency + settings.servers + 64;
  const limit = openFileLimit();
  if (limit !== undefined && limit < needed) {
    throw new BenchError(
      `the open-file limit (ulimit -n) is ${limit}, the benchmark needs about ${needed} per process ` +
        `(concurrency ${settings.concurrency} + ${settings.servers} listeners + slack): run \`ulimit -n ${Math.max(4096, needed)}\` first, or lower --concurrency`,
    );
  }
}

interface Bundles {
  worker: string;
  listeners: string;
}

async function bundle(dir: string): Promise<Bundles> {
  const entry = (name: string) => new URL(`./${name}.ts`, import.meta.url).pathname;
  await build({
    entryPoints: { 'probe-worker': entry('probe-worker'), 'probe-listeners': entry('probe-listeners') },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  return { worker: join(dir, 'probe-worker.mjs'), listeners: join(dir, 'probe-listeners.mjs') };
}

/**
 * Each run gets a fresh network namespace when it can (root and iproute2): TIME_WAIT sockets left by earlier runs
 * make connect() slower and, when the kernel's table overflows, stall some SYNs for a second; in a namespace of its
 * own every run starts from the same state. Without one the figures are noisier, and the header says so.
 */
async function namespacesWork(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  const name = `p2pnc-bench-${process.pid}-probe`;
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['netns', 'del', name]);
    return true;
  } catch {
    return false;
  }
}

let namespaceCount = 0;

/** Listeners and one worker, in a fresh network namespace when `isolated`; the listeners and namespace are removed after. */
async function runScenario(
  bundles: Bundles,
  settings: Settings,
  isolated: boolean,
  config: Omit<WorkerConfig, 'endpoints'>,
): Promise<WorkerReport> {
  const namespace = isolated ? `p2pnc-bench-${process.pid}-${namespaceCount++}` : undefined;
  const inNamespace = (command: string[]) => (namespace ? ['ip', 'netns', 'exec', namespace, ...command] : command);
  if (namespace) {
    await run('ip', ['netns', 'add', namespace]);
  }
  let listeners: ChildProcess | undefined;
  try {
    if (namespace) await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
    const [command, ...args] = inNamespace([process.execPath, bundles.listeners, String(settings.servers)]);
    listeners = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const endpoints = await firstLine(listeners);
    const [workerCommand, ...workerArgs] = inNamespace([
      process.execPath,
      bundles.worker,
      JSON.stringify({ ...config, endpoints }),
    ]);
    const { stdout } = await run(workerCommand!, workerArgs, { maxBuffer: 1 * MiB });
    return JSON.parse(stdout) as WorkerReport;
  } catch (error) {
    if (error instanceof BenchError) throw error;
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new BenchError(`the ${config.engine} run (${config.checks} checks) failed: ${stderr || String(error)}`);
  } finally {
    if (listeners) {
      const exited = new Promise((resolve) => listeners!.once('exit', resolve));
      listeners.stdin?.end();
      await exited;
    }
    if (namespace) await run('ip', ['netns', 'del', namespace]).catch(() => {});
  }
}

function firstLine(child: ChildProcess): Promise<{ host: string; port: number }[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new BenchError(`the listeners exited (code ${code}) before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)));
    });
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

interface Row {
  engine: Engine;
  checks: number;
  reports: WorkerReport[];
}

function summarize(row: Row): { cycleMs: number; cpuMicros: number; peakRssMiB: number; idleRssMiB: number } {
  return {
    cycleMs: median(row.reports.map((r) => r.cycleMs)),
    cpuMicros: median(row.reports.map((r) => r.cpuMicrosPerCheck)),
    peakRssMiB: Math.max(...row.reports.map((r) => r.peakRssBytes)) / MiB,
    idleRssMiB: median(row.reports.map((r) => r.idleRssBytes)) / MiB,
  };
}

function printTable(rows: Row[]): void {
  const header = [
    'engine',
    'checks',
    'cycle (median)',
    'cycles (each round)',
    'CPU/check',
    'peak RSS',
    'idle RSS',
    'failed',
  ];
  const lines = rows.map((row) => {
    const s = summarize(row);
    return [
      row.engine,
      String(row.checks),
      `${s.cycleMs.toFixed(1)} ms`,
      row.reports.map((r) => r.cycleMs.toFixed(0)).join(' '),
      `${s.cpuMicros.toFixed(1)} µs`,
      `${s.peakRssMiB.toFixed(1)} MiB`,
      `${s.idleRssMiB.toFixed(1)} MiB`,
      String(row.reports.reduce((n, r) => n + r.failed, 0)),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  for (const line of [header, ...lines])
    process.stdout.write(`${line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
}

async function main(): Promise<void> {
  const settings = readSettings();
  checkOpenFileLimit(settings);
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-bench-'));
  try {
    const bundles = await bundle(dir);
    const isolated = await namespacesWork();
    const config = (engine: Engine, checks: number, warmupCycles: number) => ({
      engine,
      checks,
      concurrency: settings.concurrency,
      timeoutMs: settings.timeoutMs,
      warmupCycles,
    });
    process.stdout.write(
      `p2pnc probe benchmark: ${settings.checks} TCP checks over ${settings.servers} loopback listeners (one address each), concurrency ${settings.concurrency}, ` +
        `${settings.rounds} rounds per engine (alternating), node ${process.version}\n` +
        (isolated
          ? 'each run in a fresh network namespace\n\n'
          : 'each run in this network namespace (not root, or no `ip netns`): TIME_WAIT sockets of earlier runs make the figures noisier\n\n'),
    );

    const rows: Row[] = [
      { engine: 'bare', checks: settings.checks, reports: [] },
      { engine: 'p2pnc', checks: settings.checks, reports: [] },
      { engine: 'bare', checks: settings.smallChecks, reports: [] },
      { engine: 'p2pnc', checks: settings.smallChecks, reports: [] },
    ];
    // Alternating engines spreads machine noise evenly over both.
    for (let round = 0; round < settings.rounds; round++) {
      for (const row of rows)
        row.reports.push(await runScenario(bundles, settings, isolated, config(row.engine, row.checks, 1)));
    }

    printTable(rows);
    const failures = rows.flatMap((row) => row.reports.flatMap((r) => r.failureSamples));
    if (failures.length > 0) {
      const hint = failures.some((f) => /too many open files|EMFILE/.test(f)) ? ' (raise `ulimit -n`)' : '';
      throw new BenchError(
        `some probes failed${hint}, so the figures are not comparable; for example:\n  ${failures.slice(0, 3).join('\n  ')}`,
      );
    }

    const [bareLarge, p2pncLarge, , p2pncSmall] = rows.map(summarize) as [
      ReturnType<typeof summarize>,
      ReturnType<typeof summarize>,
      ReturnType<typeof summarize>,
      ReturnType<typeof summarize>,
    ];
    const ratio = p2pncLarge.cycleMs / bareLarge.cycleMs;
    const cpuRatio = p2pncLarge.cpuMicros / bareLarge.cpuMicros;
    process.stdout.write(
      `\ncycle ratio p2pnc/bare (${settings.checks} checks): ${ratio.toFixed(2)}; CPU ratio: ${cpuRatio.toFixed(2)}\n`,
    );
    goal(ratio <= GOALS.maxCycleRatio, `cycle time ratio ${ratio.toFixed(2)} <= ${GOALS.maxCycleRatio}`);
    goal(
      p2pncSmall.peakRssMiB <= GOALS.maxRssSmallMiB,
      `peak RSS ${p2pncSmall.peakRssMiB.toFixed(1)} MiB <= ${GOALS.maxRssSmallMiB} MiB with ${settings.smallChecks} checks`,
    );
    goal(
      p2pncLarge.peakRssMiB <= GOALS.maxRssLargeMiB,
      `peak RSS ${p2pncLarge.peakRssMiB.toFixed(1)} MiB <= ${GOALS.maxRssLargeMiB} MiB with ${settings.checks} checks`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await benchKinds(readKindSettings());
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof BenchError
      ? `error: ${error.message}\n`
      : `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
