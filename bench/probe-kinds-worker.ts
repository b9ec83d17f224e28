/**
 * One scenario of the new probe kinds' benchmark in a process of its own: `checks` probes of one kind (icmp, udp or
 * mtu) through p2pnc's runner, or through the bare floor doing the same exchange with the least code (a plain
 * ping-socket loop, a plain dgram loop, a plain HTTP GET), at the same concurrency. Prints one JSON line.
 */
import { createSocket, type Socket as DgramSocket } from 'node:dgram';
import { get } from 'node:http';
import { createRequire } from 'node:module';
import { runProbes } from '../src/runtime/probe/runner.js';
import { UDP_SPACING_MS } from '../src/runtime/probe/udp.js';
import { UDP_ECHO_MAGIC, UDP_ECHO_MIN_BYTES } from '../src/runtime/probe/udp-protocol.js';
import type { ProbeTarget } from '../src/runtime/types.js';

export type KindEngine = 'p2pnc' | 'bare';
export type BenchKind = 'icmp' | 'udp' | 'mtu';

export interface KindWorkerConfig {
  engine: KindEngine;
  kind: BenchKind;
  checks: number;
  concurrency: number;
  timeoutMs: number;
  /** The responder (TCP and UDP on one port) for udp and mtu; icmp pings 127.0.0.1, which the kernel answers. */
  port: number;
  /** Datagrams per udp probe. */
  count: number;
  /** Payload bytes per mtu probe. */
  size: number;
  /** The ICMP addon's path, for the floor (p2pnc finds it through P2PNC_ICMP_ADDON). */
  addon: string;
  warmupCycles: number;
}

export interface KindWorkerReport {
  engine: KindEngine;
  kind: BenchKind;
  checks: number;
  cycleMs: number;
  cpuMicrosPerCheck: number;
  peakRssBytes: number;
  failed: number;
  failureSamples: string[];
}

const HOST = '127.0.0.1';

function targets(config: KindWorkerConfig): ProbeTarget[] {
  return Array.from({ length: config.checks }, (_, i) => ({
    label: `bench-${i}`,
    host: HOST,
    port: config.kind === 'icmp' ? 0 : config.port,
    kind: config.kind,
    ...(config.kind === 'udp' ? { count: config.count } : {}),
    ...(config.kind === 'mtu' ? { size: config.size } : {}),
  }));
}

async function p2pncCycle(config: KindWorkerConfig, list: ProbeTarget[]): Promise<string[]> {
  const failures: string[] = [];
  await runProbes(list, { concurrency: config.concurrency, timeoutMs: config.timeoutMs }, (result) => {
    if (!result.success) failures.push(result.message);
  });
  return failures;
}

let addon: { open(family: 4 | 6): number } | undefined;
let sequence = 0;

/** One echo over a fresh ping socket, as p2pnc does: the floor keeps the socket per probe so only the code differs. */
function barePing(config: KindWorkerConfig): Promise<string | undefined> {
  addon ??= createRequire(import.meta.url)(config.addon) as { open(family: 4 | 6): number };
  const fd = addon.open(4);
  if (fd < 0) return Promise.resolve(`ping socket: errno ${-fd}`);
  const socket = createSocket('udp4');
  socket.bind({ fd });
  const request = Buffer.alloc(16);
  request[0] = 8;
  const seq = (sequence = (sequence + 1) & 0xffff);
  request.writeUInt16BE(seq, 6);
  return exchange(socket, config.timeoutMs, (done) => {
    socket.on('message', (message: Buffer) => {
      if (message[0] === 0 && message.readUInt16BE(6) === seq) done();
    });
    socket.send(request, 1, HOST);
  });
}

/** `count` datagrams with p2pnc's spacing to the echo, waiting for all their echoes. */
function bareUdp(config: KindWorkerConfig): Promise<string | undefined> {
  const socket = createSocket('udp4');
  const packet = Buffer.alloc(UDP_ECHO_MIN_BYTES);
  UDP_ECHO_MAGIC.copy(packet);
  return exchange(socket, config.timeoutMs, (done) => {
    let echoes = 0;
    socket.on('message', () => {
      if (++echoes === config.count) done();
    });
    socket.connect(config.port, HOST, () => {
      let sent = 0;
      const next = (): void => {
        socket.send(packet);
        if (++sent < config.count) setTimeout(next, UDP_SPACING_MS);
      };
      next();
    });
  });
}

function exchange(
  socket: DgramSocket,
  timeoutMs: number,
  start: (done: () => void) => void,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (error?: string): void => {
      clearTimeout(timer);
      socket.removeAllListeners('message');
      socket.close();
      resolve(error);
    };
    socket.once('error', (error) => finish(error.message));
    start(() => finish());
  });
}

/** GET /payload?bytes=N with Node's http client, the body counted. */
function bareMtu(config: KindWorkerConfig): Promise<string | undefined> {
  return new Promise((resolve) => {
    const request = get(
      { host: HOST, port: config.port, path: `/payload?bytes=${config.size}`, agent: false },
      (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve(bytes === config.size ? undefined : `short: ${bytes}`));
      },
    );
    request.setTimeout(config.timeoutMs, () => request.destroy(new Error('timeout')));
    request.on('error', (error) => resolve(error.message));
  });
}

async function bareCycle(config: KindWorkerConfig, list: ProbeTarget[]): Promise<string[]> {
  const once = config.kind === 'icmp' ? barePing : config.kind === 'udp' ? bareUdp : bareMtu;
  const failures: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < list.length) {
      next++;
      const error = await once(config);
      if (error !== undefined) failures.push(error);
    }
  };
  await Promise.all(Array.from({ length: Math.min(config.concurrency, list.length) }, worker));
  return failures;
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '') as KindWorkerConfig;
  let peakRssBytes = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRssBytes = Math.max(peakRssBytes, process.memoryUsage.rss())), 5);
  const list = targets(config);
  const cycle = config.engine === 'p2pnc' ? p2pncCycle : bareCycle;
  for (let i = 0; i < config.warmupCycles; i++) await cycle(config, list);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const failures = await cycle(config, list);
  const cycleMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  const report: KindWorkerReport = {
    engine: config.engine,
    kind: config.kind,
    checks: config.checks,
    cycleMs,
    cpuMicrosPerCheck: (cpu.user + cpu.system) / config.checks,
    peakRssBytes: Math.max(peakRssBytes, process.memoryUsage.rss()),
    failed: failures.length,
    failureSamples: failures.slice(0, 3),
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
