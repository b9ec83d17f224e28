/** Clients for the target tests: plain HTTP GETs, raw TCP for requests left half-sent, and a spawned target. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type IncomingHttpHeaders, request } from 'node:http';
import { type Socket, connect, createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on a fresh connection (no agent, no keep-alive reuse). */
export function httpRequest(
  port: number,
  options: { path?: string; method?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: options.host ?? '127.0.0.1',
        port,
        path: options.path ?? '/',
        method: options.method ?? 'GET',
        headers: options.headers,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Connects and resolves once connected; errors reject. */
export async function tcpConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  const socket = connect({ port, host });
  await once(socket, 'connect');
  return socket;
}

/** Everything the peer sends until it closes the connection. */
export async function readUntilClose(socket: Socket): Promise<string> {
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  await once(socket, 'close');
  return text;
}

/** Resolves true once `port` refuses connections (the listener is gone), false after timeoutMs. */
export async function waitUntilRefused(port: number, timeoutMs = 3000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      (await tcpConnect(port)).destroy();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
      throw error;
    }
    await delay(20);
  }
  return false;
}

/** True when the promise settles within ms; the timer does not outlive it. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function hasIpv6Loopback(): Promise<boolean> {
  const server = createServer();
  try {
    server.listen(0, '::1');
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    server.close();
  }
}

const CLI = fileURLToPath(new URL('../../bin/p2pnc.js', import.meta.url));

export interface SpawnedTarget {
  child: ChildProcess;
  /** The parsed JSON log lines so far. */
  lines: Record<string, unknown>[];
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/**
 * Runs `p2pnc target --port 0 ...` and waits for its start line, which carries the bound port.
 * `entry` is the CLI script: bin/p2pnc.js unless given (the bundle tests pass theirs).
 */
export async function spawnTarget(
  args: string[] = [],
  options: { env?: Record<string, string>; entry?: string } = {},
): Promise<SpawnedTarget> {
  const child = spawn(process.execPath, [options.entry ?? CLI, 'target', '--port', '0', ...args], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const lines: Record<string, unknown>[] = [];
  const started = new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      lines.push(entry);
      if (entry.msg === 'target listening') resolve(Number(entry.port));
    });
    void exited.then(({ code }) => reject(new Error(`target exited (${code}) before listening: ${stderr}`)));
  });
  const port = await started;
  return { child, lines, port, exited, stderr: () => stderr };
}
