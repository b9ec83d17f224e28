import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { probe } from '../../src/runtime/probe/index.js';
import type { ProbeTarget } from '../../src/runtime/types.js';
import {
  type HttpRecorder,
  closedPort,
  countProbeResources,
  garbageServer,
  hasIpv6Loopback,
  leftoverResources,
  listen,
  silentServer,
  statusServer,
} from './support/servers.js';

const TIMEOUT_MS = 2000;
let server: HttpRecorder;

before(async () => {
  server = await statusServer();
});
after(async () => {
  await server.close();
});

function http(path: string | undefined, extra: Partial<ProbeTarget> = {}): ProbeTarget {
  return { label: 'network-check-target', host: '127.0.0.1', port: server.port, kind: 'http', path, ...extra };
}

test('200: HTTPRequest success, GET of the path with Host and Connection: close', async () => {
  server.requests.length = 0;
  const result = await probe(http('/healthz'), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.success, true, result.message);
  assert.equal(result.reason, 'HTTPRequest');
  assert.equal(
    result.message,
    `network-check-target: http GET http://127.0.0.1:${server.port}/healthz succeeded with status 200`,
  );
  assert.ok(result.phases?.connectMs !== undefined && result.phases.httpMs !== undefined);
  assert.equal(result.phases?.tlsMs, undefined);
  assert.equal(server.requests.length, 1);
  assert.equal(server.requests[0]!.path, '/healthz');
  assert.equal(server.requests[0]!.headers.host, `127.0.0.1:${server.port}`);
  assert.equal(server.requests[0]!.headers.connection, 'close');
});

test('the path defaults to /', async () => {
  server.requests.length = 0;
  const result = await probe(http(undefined), { timeoutMs: TIMEOUT_MS });
  assert.equal(
    result.message,
    `network-check-target: http GET http://127.0.0.1:${server.port}/ succeeded with status 200`,
  );
  assert.equal(server.requests[0]!.path, '/');
});

test('500 with the default expectation (200-399): http-status failure', async () => {
  const result = await probe(http('/status/500'), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.success, false);
  assert.equal(result.failure, 'http-status');
  assert.equal(result.reason, 'HTTPError');
  assert.equal(
    result.message,
    `network-check-target: http GET http://127.0.0.1:${server.port}/status/500 returned status 500, expected 200-399`,
  );
});

test('expected statuses: listed codes pass, others fail and are listed in the message', async () => {
  const cases: [string, number[] | undefined, boolean, string?][] = [
    ['/status/302', undefined, true],
    ['/status/399', undefined, true],
    ['/status/404', undefined, false, '200-399'],
    ['/status/500', [500, 503], true],
    ['/status/200', [204], false, '204'],
    ['/status/200', [201, 202, 203, 204, 301], false, '201-204,301'],
  ];
  for (const [path, expectedStatus, success, expected] of cases) {
    const result = await probe(http(path, { expectedStatus }), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, success, `${path} expecting ${expectedStatus}: ${result.message}`);
    if (expected) assert.ok(result.message.endsWith(`, expected ${expected}`), result.message);
  }
});

test('a response that is not HTTP: http failure', async () => {
  const garbage = await garbageServer();
  try {
    const result = await probe(http('/', { port: garbage.port }), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.failure, 'http');
    assert.equal(result.reason, 'HTTPError');
    assert.match(
      result.message,
      new RegExp(`^network-check-target: http GET http://127\\.0\\.0\\.1:${garbage.port}/ failed: Parse Error`),
    );
  } finally {
    await garbage.close();
  }
});

test('a connection closed without a response: http failure', async () => {
  const hangup = await listen(createServer((request) => request.socket.destroy()));
  try {
    const result = await probe(http('/'), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, true, 'sanity: the status server answers');
    const closed = await probe(http('/', { port: hangup.port }), { timeoutMs: TIMEOUT_MS });
    assert.equal(closed.failure, 'http');
    assert.match(closed.message, /failed: socket hang up$/);
  } finally {
    await hangup.close();
  }
});

test('a server that never answers: an HTTP timeout within the probe timeout', async () => {
  const silent = await silentServer();
  try {
    const started = performance.now();
    const result = await probe(http('/', { port: silent.port }), { timeoutMs: 300 });
    const elapsed = performance.now() - started;
    assert.equal(result.failure, 'http');
    assert.equal(result.message, `network-check-target: http GET http://127.0.0.1:${silent.port}/ failed: i/o timeout`);
    assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms`);
    assert.ok(result.phases?.httpMs !== undefined);
  } finally {
    await silent.close();
  }
});

test('TCP failures of an http probe keep the TCP message and reason', async () => {
  const port = await closedPort();
  const result = await probe(http('/', { port }), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.reason, 'TCPConnectError');
  assert.equal(result.failure, 'refused');
  assert.match(result.message, /connect: connection refused$/);
});

test('no socket or timer outlives an http probe', async () => {
  const [garbage, silent] = await Promise.all([garbageServer(), silentServer()]);
  try {
    const baseline = countProbeResources();
    const long = { timeoutMs: 30_000 };
    const results = await Promise.all([
      probe(http('/'), long),
      probe(http('/status/500'), long),
      probe(http('/', { port: garbage.port }), long),
      probe(http('/', { port: silent.port }), { timeoutMs: 100 }),
    ]);
    assert.deepEqual(
      results.map((r) => r.failure),
      [undefined, 'http-status', 'http', 'http'],
    );
    assert.deepEqual(await leftoverResources(baseline), []);
  } finally {
    await Promise.all([garbage.close(), silent.close()]);
  }
});

test('IPv6: bracketed URL and Host header', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback (::1) on this machine');
  const v6 = await statusServer6();
  try {
    const result = await probe(http('/status/204', { host: '::1', port: v6.port }), { timeoutMs: TIMEOUT_MS });
    assert.equal(
      result.message,
      `network-check-target: http GET http://[::1]:${v6.port}/status/204 succeeded with status 204`,
    );
    assert.equal(v6.requests[0]!.headers.host, `[::1]:${v6.port}`);
  } finally {
    await v6.close();
  }
});

async function statusServer6(): Promise<HttpRecorder> {
  const requests: HttpRecorder['requests'] = [];
  const v6 = createServer((request, response) => {
    requests.push({ path: request.url ?? '', headers: request.headers });
    response.statusCode = 204;
    response.end();
  });
  return Object.assign(await listen(v6, '::1'), { requests });
}
