/** `p2pnc target` as a process: start line with the port, answers, and a clean exit on SIGTERM and SIGINT. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { delay, httpRequest, readUntilClose, spawnTarget, tcpConnect, waitUntilRefused } from './support.js';

const CLI = fileURLToPath(new URL('../../bin/p2pnc.js', import.meta.url));

function runCli(...args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { encoding: 'utf8' }, (_error, _stdout, stderr) => {
      resolve({ status: child.exitCode, stderr });
    });
  });
}

test('SIGTERM: the request in flight completes, then the process logs its stop and exits 0', async () => {
  const target = await spawnTarget([], { env: { P2PNC_NODE_NAME: 'worker-b', P2PNC_POD_NAME: 'target-b1' } });
  const start = target.lines[0]!;
  assert.equal(start.level, 'info');
  assert.equal(start.host, '::');
  assert.equal(start.dualStack, true);
  assert.equal(start.node, 'worker-b');
  assert.match(String(start.time), /^\d{4}-\d\d-\d\dT/);

  const identity = await httpRequest(target.port);
  assert.equal(identity.status, 200);
  assert.deepEqual(Object.keys(JSON.parse(identity.body) as object), ['node', 'pod', 'time']);
  assert.equal((JSON.parse(identity.body) as { pod: string }).pod, 'target-b1');
  (await tcpConnect(target.port)).destroy();

  const inFlight = await tcpConnect(target.port);
  const reply = readUntilClose(inFlight);
  inFlight.write('GET / HTTP/1.1\r\nHost: t\r\n');
  await delay(100);
  const signalled = Date.now();
  target.child.kill('SIGTERM');
  assert.ok(await waitUntilRefused(target.port), 'the listener should close on SIGTERM');
  inFlight.write('\r\n');
  assert.match(await reply, /^HTTP\/1\.1 200 OK\r\n[\s\S]*"node":"worker-b"/);

  const { code, signal } = await target.exited;
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, target.stderr());
  assert.ok(Date.now() - signalled < 3000, 'exit within a few seconds');
  const stop = target.lines.at(-1)!;
  assert.equal(stop.msg, 'target stopped');
  assert.equal(stop.signal, 'SIGTERM');
  assert.equal(stop.requests, 2);
  assert.equal(stop.forcedConnections, 0);
  assert.equal(target.stderr(), '');
});

test('a second target on the same port exits 1 with one clear line; SIGINT with an idle connection open exits 0 at once', async () => {
  const target = await spawnTarget(['--host', '127.0.0.1']);
  assert.equal(target.lines[0]!.dualStack, false);
  const busy = await runCli('target', '--host', '127.0.0.1', '--port', String(target.port));
  assert.equal(busy.status, 1);
  assert.equal(busy.stderr, `error: cannot listen on 127.0.0.1 port ${target.port} (EADDRINUSE)\n`);

  const idle = await tcpConnect(target.port);
  const closed = readUntilClose(idle);
  idle.write('GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n');
  await delay(100);
  const signalled = Date.now();
  target.child.kill('SIGINT');
  assert.deepEqual(await target.exited, { code: 0, signal: null });
  assert.ok(Date.now() - signalled < 1500, `exit took ${Date.now() - signalled} ms`);
  assert.match(await closed, /^HTTP\/1\.1 200 OK/);
  assert.equal(target.lines.at(-1)!.signal, 'SIGINT');
});

test('a bad port is a usage error: exit 2', async () => {
  const bad = await runCli('target', '--port', '70000');
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--port.*expected a port number from 0 to 65535/);
});
