import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface RunningProcess {
  child: ChildProcess;
  output(): string;
  /** Sends the signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface CliOptions {
  /** Run inside this network namespace (`ip netns exec`, which execs in place: the child is the p2pnc process). Needs root. */
  netns?: string;
}

/** Starts `node bin/p2pnc.js ...args` and collects its output. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}, options: CliOptions = {}): RunningProcess {
  const command = [process.execPath, 'bin/p2pnc.js', ...args];
  const [bin, ...argv] = options.netns ? ['ip', 'netns', 'exec', options.netns, ...command] : command;
  const child = spawn(bin!, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const [code] = (await once(child, 'exit')) as [number | null];
      return code;
    },
  };
}

export interface CliRun {
  code: number | null;
  output: string;
}

/** Runs `node bin/p2pnc.js ...args` to completion: its exit code and all its output (stdout and stderr). */
export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const run = startCli(args, env);
  const [code] = (await once(run.child, 'close')) as [number | null];
  return { code, output: run.output() };
}

/** Polls `probe` until it returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
