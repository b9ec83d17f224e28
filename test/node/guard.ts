/**
 * One node bed per machine, torn down however its process ends: an exclusive flock held for the bed's life, and exit
 * and signal hooks that run the (synchronous) teardown.
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { STATE_FILE, teardown, type HostState } from './host.js';

let exitHookFor: HostState | undefined;
let exitHookInstalled = false;
export function guardExit(state: HostState): void {
  exitHookFor = state;
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (exitHookFor) teardown(exitHookFor);
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      if (exitHookFor) teardown(exitHookFor);
      exitHookFor = undefined;
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

/**
 * One node bed per machine (the bridge, ports and state file are fixed): an exclusive flock held by a child process
 * for the bed's life. The child ends when its stdin closes, so the lock goes with this process however it ends.
 */
export async function lockMachine(timeoutMs = 15 * 60_000): Promise<() => void> {
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  const holder = spawn(
    'flock',
    [
      '-x',
      '-w',
      String(Math.round(timeoutMs / 1000)),
      `${STATE_FILE}.lock`,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const locked = await new Promise<boolean>((resolveLock) => {
    let waiting: NodeJS.Timeout | undefined = setTimeout(
      () => process.stderr.write('node bed: waiting for another node bed on this machine to finish\n'),
      2_000,
    );
    const done = (ok: boolean): void => {
      if (waiting) clearTimeout(waiting);
      waiting = undefined;
      resolveLock(ok);
    };
    holder.stdout!.once('data', () => done(true));
    holder.once('exit', () => done(false));
  });
  if (!locked) throw new Error(`another node bed held ${STATE_FILE}.lock for ${timeoutMs / 1000} s`);
  // Neither the lock holder nor its pipes keep this process alive.
  holder.unref();
  holder.stdout!.destroy();
  (holder.stdin as unknown as Socket).unref();
  return () => holder.stdin!.end();
}

/** The bed is down: the hooks have nothing left to undo. */
export function releaseExitGuard(): void {
  exitHookFor = undefined;
}
