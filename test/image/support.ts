/** Running the image scripts and podman (through scripts/image/podman.sh) from the tests. */
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PODMAN = `${REPO_ROOT}scripts/image/podman.sh`;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects for a non-zero exit. */
export function run(
  file: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        cwd: options.cwd ?? REPO_ROOT,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 16 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export function podman(...args: string[]): Promise<Run> {
  return run(PODMAN, args);
}

/** A port free right now on the loopback (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

/** Why the image tests cannot run here, or undefined when they can. Under CI=true they always run. */
export async function imageTestsUnavailable(): Promise<string | undefined> {
  if (process.env.CI === 'true') return undefined;
  if ((await run('podman', ['--version'])).code !== 0)
    return 'podman is not installed (bash scripts/image/install-tools.sh as root installs it; under CI=true these tests always run)';
  if (process.getuid?.() !== 0)
    return 'the image scripts run podman as root (rootful); run the tests as root or with CI=true';
  return undefined;
}
