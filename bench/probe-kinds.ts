/**
 * The new probe kinds against their bare floors (`npm run bench:probe` runs it after the TCP benchmark; alone:
 * `node --import tsx bench/probe-kinds.ts`): icmp against a plain ping-socket loop, udp against a plain dgram loop,
 * mtu against a plain HTTP GET, each at the same concurrency, alternating engines over the rounds. The responder
 * runs in a process of its own; as root everything runs in a fresh network namespace whose ping_group_range
 * admits the benchmark (elsewhere icmp needs the host's range to cover the group, or is skipped with the reason).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { build } from 'esbuild';
import { goal } from './goal.js';
import type { BenchKind, KindEngine, KindWorkerConfig, KindWorkerReport } from './probe-kinds-worker.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const KINDS: BenchKind[] = (process.env.P2PNC_BENCH_KINDS?.split(',') as BenchKind[] | undefined) ?? [
  'icmp',
  'udp',
  'mtu',
];
/**
 * Goals from the measured runs (README "Tests and benchmarks"). An echo over a ping socket costs the floor about
 * 40 µs, so p2pnc's fixed share per probe (deadline, result, message: about 10 µs) weighs more there than on udp's
 * bursts or mtu's 64 KiB.
 */
const GOALS: Record<BenchKind, { maxCycleRatio: number; maxCpuRatio: number }> = {
  icmp: { maxCycleRatio: 1.5, maxCpuRatio: 1.5 },
  udp: { maxCycleRatio: 1.25, maxCpuRatio: 1.25 },
  mtu: { maxCycleRatio: 1.25, maxCpuRatio: 1.25 },
};

export interface KindSettings {
  checks: number;
  concurrency: number;
  /** udp probes in flight: each sends a burst, so 256 of them would measure the responder's queue, not the prober. */
  udpConcurrency: number;
  timeoutMs: number;
  rounds: number;
  count: number;
  size: number;
}

export function readKindSettings(args: string[] = process.argv.slice(2)): KindSettings {
  const { values } = parseArgs({
    args,
    strict: false,
    options: {
      'kind-checks': { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '256' },
      'udp-concurrency': { type: 'string', default: '32' },
      timeout: { type: 'string', default: '5000' },
      rounds: { type: 'string', default: '3' },
      'udp-count': { type: 'string', default: '10' },
      'mtu-size': { type: 'string', default: '65536' },
    },
  });
  const positive = (name: string, text: unknown): number => {
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, not "${text}"`);
    return value;
  };
  return {
    checks: positive('kind-checks', values['kind-checks']),
    concurrency: positive('concurrency', values.concurrency),
    udpConcurrency: positive('udp-concurrency', values['udp-concurrency']),
    timeoutMs: positive('timeout', values.timeout),
    rounds: positive('rounds', values.rounds),
    count: positive('udp-count', values['udp-count']),
    size: positive('mtu-size', values['mtu-size']),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function firstLine(child: ChildProcess): Promise<{ host: string; port: number }[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    child.once('exit', (code) => reject(new Error(`the responder exited (code ${code}) before listening`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(text.slice(0, newline)));
    });
  });
}

export async function benchKinds(settings: KindSettings): Promise<void> {
  const repoRoot = fileURLToPath(new URL('..', import.meta.url));
  execFileSync(process.execPath, [join(repoRoot, 'native/icmp/build.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const addon = join(repoRoot, 'build/native/icmp.node');
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-bench-kinds-'));
  const namespace = process.getuid?.() === 0 ? `p2pnc-bench-${process.pid}-kinds` : undefined;
  const inNamespace = (command: string[]) => (namespace ? ['ip', 'netns', 'exec', namespace, ...command] : command);
  let responder: ChildProcess | undefined;
  try {
    const entry = (name: string) => fileURLToPath(new URL(`./${name}.ts`, import.meta.url));
    await build({
      entryPoints: { worker: entry('probe-kinds-worker'), responder: entry('probe-kinds-responder') },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outdir: dir,
      outExtension: { '.js': '.mjs' },
      logLevel: 'error',
    });
    if (namespace) {
      await run('ip', ['netns', 'add', namespace]);
      await run('ip', ['-n', namespace, 'link', 'set', 'lo', 'up']);
      await run('ip', ['netns', 'exec', namespace, 'sysctl', '-qw', 'net.ipv4.ping_group_range=0 2147483647']);
    }
    const [command, ...args] = inNamespace([process.execPath, join(dir, 'responder.mjs')]);
    responder = spawn(command!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    const [{ port }] = (await firstLine(responder)) as [{ host: string; port: number }];

    process.stdout.write(
      `\nnew probe kinds: ${settings.checks} checks each, concurrency ${settings.concurrency} (udp ${settings.udpConcurrency}), udp ${settings.count} datagrams ` +
        `per probe, mtu ${settings.size} bytes, ${settings.rounds} rounds (alternating engines)` +
        `${namespace ? ', in a fresh network namespace' : ''}\n\n`,
    );
    const header = ['kind', 'engine', 'cycle (median)', 'CPU/check', 'peak RSS', 'failed'];
    const lines: string[][] = [];
    const ratios: { kind: BenchKind; cycle: number; cpu: number }[] = [];
    for (const kind of KINDS) {
      const reports: Record<KindEngine, KindWorkerReport[]> = { bare: [], p2pnc: [] };
      try {
        for (let round = 0; round < settings.rounds; round++) {
          for (const engine of ['bare', 'p2pnc'] as const) {
            const config: KindWorkerConfig = {
              engine,
              kind,
              checks: settings.checks,
              concurrency: kind === 'udp' ? settings.udpConcurrency : settings.concurrency,
              timeoutMs: settings.timeoutMs,
              port,
              count: settings.count,
              size: settings.size,
              addon,
              warmupCycles: 1,
            };
            const [workerCommand, ...workerArgs] = inNamespace([
              process.execPath,
              join(dir, 'worker.mjs'),
              JSON.stringify(config),
            ]);
            const { stdout } = await run(workerCommand!, workerArgs, {
              maxBuffer: MiB,
              env: { ...process.env, P2PNC_ICMP_ADDON: addon },
            });
            const report = JSON.parse(stdout) as KindWorkerReport;
            if (report.failed > 0)
              throw new Error(`${report.failed} ${engine} ${kind} probes failed, e.g. ${report.failureSamples[0]}`);
            reports[engine].push(report);
          }
        }
      } catch (error) {
        process.stdout.write(`${kind}: skipped: ${(error as Error).message.split('\n')[0]}\n`);
        continue;
      }
      const summary = (engine: KindEngine) => ({
        cycle: median(reports[engine].map((r) => r.cycleMs)),
        cpu: median(reports[engine].map((r) => r.cpuMicrosPerCheck)),
        rss: Math.max(...reports[engine].map((r) => r.peakRssBytes)) / MiB,
      });
      const bare = summary('bare');
      const p2pnc = summary('p2pnc');
      for (const [engine, s] of [
        ['bare', bare],
        ['p2pnc', p2pnc],
      ] as const)
        lines.push([
          kind,
          engine,
          `${s.cycle.toFixed(1)} ms`,
          `${s.cpu.toFixed(1)} µs`,
          `${s.rss.toFixed(1)} MiB`,
          '0',
        ]);
      ratios.push({ kind, cycle: p2pnc.cycle / bare.cycle, cpu: p2pnc.cpu / bare.cpu });
    }
    const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    for (const line of [header, ...lines])
      process.stdout.write(`${line.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}\n`);
    process.stdout.write('\n');
    for (const { kind, cycle, cpu } of ratios) {
      process.stdout.write(`${kind}: cycle ratio p2pnc/bare ${cycle.toFixed(2)}; CPU ratio ${cpu.toFixed(2)}\n`);
      const { maxCycleRatio, maxCpuRatio } = GOALS[kind];
      goal(cycle <= maxCycleRatio, `${kind} cycle time ratio ${cycle.toFixed(2)} <= ${maxCycleRatio}`);
      goal(cpu <= maxCpuRatio, `${kind} CPU ratio ${cpu.toFixed(2)} <= ${maxCpuRatio}`);
    }
  } finally {
    if (responder) {
      const exited = new Promise((resolve) => responder!.once('exit', resolve));
      responder.stdin?.end();
      await exited;
    }
    if (namespace) await run('ip', ['netns', 'del', namespace]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchKinds(readKindSettings()).catch((error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
