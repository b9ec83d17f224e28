import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { type RunningTarget, listenCandidates, listenFirst, startTarget } from '../../src/runtime/target/index.js';
import {
  delay,
  hasIpv6Loopback,
  httpRequest,
  readUntilClose,
  tcpConnect,
  waitUntilRefused,
  within,
} from './support.js';

const identity = { node: 'worker-a', pod: 'network-check-target-x1' };
let target: RunningTarget;

before(async () => {
  target = await startTarget({ port: 0, identity });
});
after(async () => {
  await target.close(100);
});

test('listens on :: dual-stack on a free port', () => {
  assert.ok(target.port > 0);
  assert.equal(target.host, '::');
  assert.equal(target.dualStack, true);
});

test('GET / and /healthz: 200 with the identity as JSON', async () => {
  for (const path of ['/', '/healthz', '/?probe=1']) {
    const before = Date.now();
    const response = await httpRequest(target.port, { path });
    assert.equal(response.status, 200, path);
    assert.equal(response.headers['content-type'], 'application/json');
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = JSON.parse(response.body) as { node: string; pod: string; time: string };
    assert.deepEqual(Object.keys(body), ['node', 'pod', 'time']);
    assert.equal(body.node, 'worker-a');
    assert.equal(body.pod, 'network-check-target-x1');
    const time = Date.parse(body.time);
    assert.ok(time >= before - 5 && time <= Date.now(), body.time);
  }
});

test('Accept: text/plain gets one text line', async () => {
  const response = await httpRequest(target.port, { headers: { Accept: 'text/plain' } });
  assert.equal(response.status, 200);
  assert.match(String(response.headers['content-type']), /^text\/plain/);
  assert.match(response.body, /^node=worker-a pod=network-check-target-x1 time=\d{4}-\d\d-\d\dT[\d:.]+Z\n$/);
});

test('HEAD: the GET headers, no body', async () => {
  const response = await httpRequest(target.port, { method: 'HEAD' });
  assert.equal(response.status, 200);
  assert.equal(response.headers['content-type'], 'application/json');
  assert.ok(Number(response.headers['content-length']) > 0);
  assert.equal(response.body, '');
});

test('other paths 404, other methods 405 with Allow', async () => {
  assert.equal((await httpRequest(target.port, { path: '/metrics' })).status, 404);
  assert.equal((await httpRequest(target.port, { path: '/healthz/x' })).status, 404);
  const post = await httpRequest(target.port, { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.allow, 'GET, HEAD');
  assert.equal(post.headers.connection, 'close');
});

test('a plain TCP connect is accepted (IPv4, and IPv6 where the host has it)', async (t) => {
  (await tcpConnect(target.port, '127.0.0.1')).destroy();
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback on this machine');
  (await tcpConnect(target.port, '::1')).destroy();
  assert.equal((await httpRequest(target.port, { host: '::1' })).status, 200);
});

test('keep-alive is offered with a short timeout', async () => {
  const response = await httpRequest(target.port, { headers: { Connection: 'keep-alive' } });
  assert.equal(response.headers.connection, 'keep-alive');
  assert.equal(response.headers['keep-alive'], 'timeout=5');
});

test('connections beyond maxConnections are closed at once; the others keep working', async () => {
  const small = await startTarget({ port: 0, host: '127.0.0.1', maxConnections: 2, identity });
  const held = [await tcpConnect(small.port), await tcpConnect(small.port)];
  await delay(50);
  const extra = await tcpConnect(small.port);
  assert.ok(await within(readUntilClose(extra), 2000), 'the connection over the limit should be closed');
  for (const socket of held) socket.destroy();
  await delay(50);
  assert.equal((await httpRequest(small.port)).status, 200);
  await small.close(100);
});

test('close(): idle keep-alive connections are closed and close() returns promptly', async () => {
  const running = await startTarget({ port: 0, host: '127.0.0.1', identity });
  const socket = await tcpConnect(running.port);
  const reply = readUntilClose(socket);
  socket.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n');
  await delay(100);
  const started = Date.now();
  assert.deepEqual(await running.close(5000), { forced: 0 });
  assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
  assert.match(await reply, /^HTTP\/1\.1 200 OK/);
  assert.equal(running.requests, 1);
});

test('close(): a request in flight completes, with Connection: close, after the listener is gone', async () => {
  const running = await startTarget({ port: 0, host: '127.0.0.1', identity });
  const socket = await tcpConnect(running.port);
  const reply = readUntilClose(socket);
  socket.write('GET /healthz HTTP/1.1\r\nHost: t\r\n');
  await delay(100);
  const closing = running.close(5000);
  assert.ok(await waitUntilRefused(running.port), 'the listener should stop accepting');
  socket.write('\r\n');
  const text = await reply;
  assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(text, /\r\nConnection: close\r\n/i);
  assert.match(text, /"node":"worker-a"/);
  assert.deepEqual(await closing, { forced: 0 });
});

test('close(): a request that never completes is cut at the grace deadline', async () => {
  const running = await startTarget({ port: 0, host: '127.0.0.1', identity });
  const socket = await tcpConnect(running.port);
  const closedSocket = once(socket, 'close');
  socket.on('error', () => {});
  socket.write('GET / HTTP/1.1\r\nHost: t\r\n');
  await delay(100);
  const started = Date.now();
  assert.deepEqual(await running.close(300), { forced: 1 });
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 2000, `close took ${took} ms`);
  await closedSocket;
});

test('listenFirst falls back when an address is not available, and only then', async () => {
  assert.deepEqual(listenCandidates('::', 8080), [
    { host: '::', port: 8080, ipv6Only: false },
    { host: '0.0.0.0', port: 8080 },
  ]);
  assert.deepEqual(listenCandidates('127.0.0.1', 0), [{ host: '127.0.0.1', port: 0 }]);

  const server = createServer();
  // 192.0.2.1 (TEST-NET-1) is on no interface: EADDRNOTAVAIL, as `::` gives where IPv6 is disabled.
  const bound = await listenFirst(server, [
    { host: '192.0.2.1', port: 0 },
    { host: '127.0.0.1', port: 0 },
  ]);
  assert.equal(bound.host, '127.0.0.1');
  assert.equal(bound.dualStack, false);

  const busy = createServer();
  await assert.rejects(
    listenFirst(busy, [
      { host: '127.0.0.1', port: bound.port },
      { host: '127.0.0.1', port: 0 },
    ]),
    { code: 'EADDRINUSE' },
  );
  server.close();
});
