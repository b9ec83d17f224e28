/**
 * The udp and mtu probes against p2pnc's real target responder on loopback, and against servers that misbehave the
 * way broken paths and wrong targets do. ICMP needs a network namespace (the sysctl): test/e2e/probe-kinds.test.ts.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { probe } from '../../src/runtime/probe/index.js';
import { type RunningTarget, startTarget } from '../../src/runtime/target/index.js';
import type { ProbeTarget } from '../../src/runtime/types.js';
import { closedPort, hasIpv6Loopback, listen, type Running } from './support/servers.js';

let target: RunningTarget;
before(async () => {
  target = await startTarget({ port: 0, host: '127.0.0.1', identity: { node: 'n1', pod: 'p1' } });
});
after(async () => {
  await target.close(100);
});

const at = (port: number, extra: Partial<ProbeTarget>): ProbeTarget => ({
  label: 'peer',
  host: '127.0.0.1',
  port,
  kind: 'tcp',
  ...extra,
});

describe('udp', () => {
  test('a burst to the target: every datagram echoed, loss 0%, the mean round trip as latency', async () => {
    assert.equal(target.udpPort, target.port);
    const before = target.echoed;
    const result = await probe(at(target.port, { kind: 'udp', count: 25 }), { timeoutMs: 2000 });
    assert.equal(result.success, true, result.message);
    assert.equal(result.reason, 'UDPEcho');
    assert.match(
      result.message,
      new RegExp(
        `^peer: udp echo to 127\\.0\\.0\\.1:${target.port} succeeded: 25/25 echoed, 0% loss, rtt avg \\S+ max \\S+, jitter \\S+$`,
      ),
    );
    assert.equal(target.echoed - before, 25);
    // Latency is the datagrams' mean round trip, not the burst's length (24 gaps of 2 ms).
    assert.ok(result.latencyMs < 40, `latency ${result.latencyMs} ms`);
  });

  test('nothing listening: refused at once (ICMP port unreachable), not a loss', async () => {
    const port = await closedPort();
    const result = await probe(at(port, { kind: 'udp' }), { timeoutMs: 2000 });
    assert.equal(result.success, false);
    assert.equal(result.reason, 'UDPEchoError');
    assert.equal(result.failure, 'refused');
    assert.equal(
      result.message,
      `peer: failed to exchange UDP datagrams with 127.0.0.1:${port}: udp 127.0.0.1:${port}: connection refused`,
    );
    assert.ok(result.latencyMs < 1000);
  });

  test('a listener that never answers: 100% loss when the timeout ends the wait', async () => {
    const silent = createSocket('udp4');
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    try {
      const result = await probe(at(silent.address().port, { kind: 'udp', count: 3 }), { timeoutMs: 300 });
      assert.equal(result.success, false);
      assert.equal(result.failure, 'timeout');
      assert.match(result.message, /lost more than 20% of its datagrams: 0\/3 echoed, 100% loss$/);
    } finally {
      silent.close();
    }
  });

  test('a responder dropping every other datagram: 50% loss fails the default threshold and passes maxLossPercent 60', async () => {
    const lossy = createSocket('udp4');
    let seen = 0;
    lossy.on('message', (message, remote) => {
      if (seen++ % 2 === 0) lossy.send(message, remote.port, remote.address);
    });
    lossy.bind(0, '127.0.0.1');
    await once(lossy, 'listening');
    try {
      const port = lossy.address().port;
      const strict = await probe(at(port, { kind: 'udp', count: 10 }), { timeoutMs: 1000 });
      assert.equal(strict.success, false);
      assert.match(strict.message, /: 5\/10 echoed, 50% loss, rtt/);
      const lenient = await probe(at(port, { kind: 'udp', count: 10, maxLossPercent: 60 }), { timeoutMs: 1000 });
      assert.equal(lenient.success, true, lenient.message);
      // Lost datagrams are waited for briefly, not for the whole timeout.
      assert.ok(lenient.time.getTime() + 900 > Date.now(), 'the probe waited out its timeout');
    } finally {
      lossy.close();
    }
  });

  test('the echo answers only probe datagrams: no reflection of anything else', async () => {
    const client = createSocket('udp4');
    client.bind(0, '127.0.0.1');
    await once(client, 'listening');
    let replies = 0;
    client.on('message', () => replies++);
    try {
      client.send(Buffer.alloc(64, 1), target.port, '127.0.0.1');
      client.send(Buffer.concat([Buffer.from('p2pncUE1'), Buffer.alloc(2000)]), target.port, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(replies, 0);
    } finally {
      client.close();
    }
  });
});

describe('mtu', () => {
  test("the target's payload arrives whole: MTUTransfer", async () => {
    const result = await probe(at(target.port, { kind: 'mtu', size: 300_000 }), { timeoutMs: 2000 });
    assert.equal(result.success, true, result.message);
    assert.equal(result.reason, 'MTUTransfer');
    assert.equal(
      result.message,
      `peer: mtu transfer of 300000 bytes from http://127.0.0.1:${target.port}/payload?bytes=300000 succeeded`,
    );
  });

  test('headers arrive and the payload never does: MTUBlackHole, apart from a server that says nothing', async () => {
    const stalling: Running<ReturnType<typeof createHttpServer>> = await listen(
      createHttpServer({ noDelay: true }, (_request, response) => {
        response.writeHead(200, { 'Content-Length': 65536 });
        response.flushHeaders();
      }),
    );
    const mute: Running<ReturnType<typeof createHttpServer>> = await listen(createHttpServer(() => {}));
    try {
      const hole = await probe(at(stalling.port, { kind: 'mtu' }), { timeoutMs: 300 });
      assert.equal(hole.success, false);
      assert.equal(hole.reason, 'MTUBlackHole');
      assert.equal(hole.failure, 'mtu');
      assert.match(hole.message, /only 0 of 65536 payload bytes arrived within 300ms: small packets pass/);
      const hung = await probe(at(mute.port, { kind: 'mtu' }), { timeoutMs: 300 });
      assert.equal(hung.reason, 'HTTPError');
      assert.match(hung.message, /: http GET http:\/\/127\.0\.0\.1:\d+\/payload\?bytes=65536 failed: i\/o timeout$/);
    } finally {
      await Promise.all([stalling.close(), mute.close()]);
    }
  });

  test('a server that is no p2pnc target (404) or cuts the payload short fails as HTTPError, not as a black hole', async () => {
    const other = await listen(
      createHttpServer((request, response) => {
        if (request.url?.startsWith('/payload')) response.writeHead(404).end();
      }),
    );
    const short = await listen(
      createHttpServer((_request, response) => {
        response.writeHead(200);
        response.end(Buffer.alloc(1000));
      }),
    );
    try {
      const notFound = await probe(at(other.port, { kind: 'mtu' }), { timeoutMs: 1000 });
      assert.equal(notFound.reason, 'HTTPError');
      assert.equal(notFound.failure, 'http-status');
      assert.match(notFound.message, /returned status 404, expected 200 \(is the target a p2pnc target\?\)$/);
      const cut = await probe(at(short.port, { kind: 'mtu', size: 4096 }), { timeoutMs: 1000 });
      assert.equal(cut.reason, 'HTTPError');
      assert.match(cut.message, /ended after 1000 of 4096 bytes$/);
    } finally {
      await Promise.all([other.close(), short.close()]);
    }
  });

  test('the target refuses sizes it does not serve', async () => {
    const get = (query: string) => fetch(`http://127.0.0.1:${target.port}/payload${query}`);
    assert.equal((await get('?bytes=2000000')).status, 400);
    assert.equal((await get('?bytes=-1')).status, 400);
    const small = await get('?bytes=10');
    assert.equal(small.status, 200);
    assert.equal((await small.arrayBuffer()).byteLength, 10);
  });
});

test('out-of-range options are InvalidCheck results naming the option and its bounds', async () => {
  const cases: [Partial<ProbeTarget>, RegExp][] = [
    [{ kind: 'udp', count: 0 }, /invalid check: count 0 is not from 1 to 1000$/],
    [{ kind: 'udp', maxLossPercent: 100 }, /invalid check: maxLossPercent 100 is not from 0 to 99$/],
    [{ kind: 'mtu', size: 100 }, /invalid check: size 100 is not from 2048 to 1048576 bytes$/],
  ];
  for (const [extra, message] of cases) {
    const result = await probe(at(target.port, extra), { timeoutMs: 1000 });
    assert.equal(result.reason, 'InvalidCheck');
    assert.equal(result.failure, 'config');
    assert.match(result.message, message);
  }
  // icmp has no port: port 0 is fine there (and only there).
  const icmp = await probe(at(0, { kind: 'icmp' }), { timeoutMs: 100 });
  assert.notEqual(icmp.reason, 'InvalidCheck');
});

test('udp and mtu over IPv6 to a dual-stack target', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback here');
  const dual = await startTarget({ port: 0, host: '::', identity: { node: null, pod: null } });
  try {
    const udp = await probe({ label: 'v6', host: '::1', port: dual.port, kind: 'udp', count: 5 }, { timeoutMs: 2000 });
    assert.equal(udp.success, true, udp.message);
    assert.match(udp.message, new RegExp(`^v6: udp echo to \\[::1\\]:${dual.port} succeeded: 5/5 echoed`));
    const mtu = await probe(
      { label: 'v6', host: '::1', port: dual.port, kind: 'mtu', size: 4096 },
      { timeoutMs: 2000 },
    );
    assert.equal(mtu.success, true, mtu.message);
    // The same target answers IPv4 too (dual-stack TCP and UDP).
    const v4 = await probe(
      { label: 'v4', host: '127.0.0.1', port: dual.port, kind: 'udp', count: 2 },
      { timeoutMs: 2000 },
    );
    assert.equal(v4.success, true, v4.message);
  } finally {
    await dual.close(100);
  }
});
