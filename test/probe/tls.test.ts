import assert from 'node:assert/strict';
import { createServer as createHttpsServer } from 'node:https';
import { after, before, describe, test } from 'node:test';
import { type TLSSocket, createServer as createTlsServer } from 'node:tls';
import { probe } from '../../src/runtime/probe/index.js';
import type { ProbeTarget } from '../../src/runtime/types.js';
import { type TestPki, createTestPki, opensslMissing } from './support/certs.js';
import {
  type Running,
  closedPort,
  countProbeResources,
  leftoverResources,
  listen,
  silentServer,
} from './support/servers.js';

const TIMEOUT_MS = 2000;
const missing = opensslMissing();
// The brief: skip only when the tool is missing, and never silently in CI.
const skip = missing !== undefined && process.env.CI !== 'true' ? `${missing}; cannot make test certificates` : false;

describe('TLS probes', { skip }, () => {
  let pki: TestPki;
  /** Requires a client certificate signed by the test CA (TLS 1.3, OpenSSL's default). */
  let mtls: Running<ReturnType<typeof createTlsServer>>;
  /** The same, capped at TLS 1.2, where the server's verdict comes inside the handshake. */
  let mtls12: Running<ReturnType<typeof createTlsServer>>;
  let https: Running<ReturnType<typeof createHttpsServer>>;
  const serverNames: (string | false | null)[] = [];

  before(async () => {
    pki = createTestPki();
    const serverOptions = {
      key: pki.serverKey,
      cert: pki.serverCert,
      ca: pki.caCert,
      requestCert: true,
      rejectUnauthorized: true,
    };
    const mtlsServer = createTlsServer(serverOptions, (socket: TLSSocket) => {
      serverNames.push(socket.servername);
      // Hold the connection like a real server; the probe closes it.
      socket.on('error', () => {});
    });
    mtlsServer.on('tlsClientError', () => {});
    mtls = await listen(mtlsServer);
    const tls12Server = createTlsServer({ ...serverOptions, maxVersion: 'TLSv1.2' }, (socket) =>
      socket.on('error', () => {}),
    );
    tls12Server.on('tlsClientError', () => {});
    mtls12 = await listen(tls12Server);
    const httpsServer = createHttpsServer(serverOptions, (request, response) => {
      response.statusCode = request.url === '/healthz' ? 200 : 404;
      response.end();
    });
    httpsServer.on('tlsClientError', () => {});
    https = await listen(httpsServer);
  });

  after(async () => {
    await Promise.all([mtls?.close(), mtls12?.close(), https?.close()]);
    pki?.remove();
  });

  const target = (port: number, extra: Partial<ProbeTarget> = {}): ProbeTarget => ({
    label: 'etcd-server',
    host: '127.0.0.1',
    port,
    kind: 'tls',
    clientCert: { cert: pki.clientCert, key: pki.clientKey },
    ...extra,
  });

  test('with the client certificate: TLSHandshake, with TCP and TLS phases', async () => {
    const result = await probe(target(mtls.port), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, true, result.message);
    assert.equal(result.reason, 'TLSHandshake');
    assert.equal(result.message, `etcd-server: tls connection to 127.0.0.1:${mtls.port} succeeded`);
    assert.ok(result.phases?.connectMs !== undefined && result.phases.tlsMs !== undefined);
  });

  test("the server's session ticket confirms acceptance: no waiting out the TLS 1.3 verdict period", async () => {
    await probe(target(mtls.port), { timeoutMs: TIMEOUT_MS }); // warm
    const started = performance.now();
    const result = await probe(target(mtls.port), { timeoutMs: TIMEOUT_MS });
    const elapsed = performance.now() - started;
    assert.equal(result.success, true);
    assert.ok(elapsed < 200, `took ${elapsed} ms: the probe waited for a verdict it had already received`);
  });

  test('without the client certificate: TLSError, although TLS 1.3 lets the client finish first', async () => {
    const result = await probe(target(mtls.port, { clientCert: undefined }), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, false);
    assert.equal(result.failure, 'tls');
    assert.equal(result.reason, 'TLSError');
    assert.equal(
      result.message,
      `etcd-server: failed to complete a TLS handshake with 127.0.0.1:${mtls.port}: tlsv13 alert certificate required`,
    );
  });

  test('TLS 1.2: the same verdicts, given during the handshake', async () => {
    assert.equal((await probe(target(mtls12.port), { timeoutMs: TIMEOUT_MS })).success, true);
    const rejected = await probe(target(mtls12.port, { clientCert: undefined }), { timeoutMs: TIMEOUT_MS });
    assert.equal(rejected.failure, 'tls');
    assert.match(rejected.message, /failed to complete a TLS handshake with 127\.0\.0\.1:\d+: .*handshake failure/);
  });

  test('verification on: an unknown CA fails; off (the default) accepts it', async () => {
    const verified = await probe(target(mtls.port, { insecureSkipVerify: false }), { timeoutMs: TIMEOUT_MS });
    assert.equal(verified.failure, 'tls');
    assert.equal(
      verified.message,
      `etcd-server: failed to complete a TLS handshake with 127.0.0.1:${mtls.port}: self-signed certificate in certificate chain`,
    );
    const unverified = await probe(target(mtls.port, { insecureSkipVerify: true }), { timeoutMs: TIMEOUT_MS });
    assert.equal(unverified.success, true);
  });

  test('SNI: the host name, the server name when given, none for an IP address', async () => {
    serverNames.length = 0;
    const resolver = async (): Promise<string[]> => ['127.0.0.1'];
    await probe(target(mtls.port, { host: 'localhost' }), { timeoutMs: TIMEOUT_MS, resolver });
    await probe(target(mtls.port, { serverName: 'etcd.cluster.test' }), { timeoutMs: TIMEOUT_MS });
    await probe(target(mtls.port), { timeoutMs: TIMEOUT_MS });
    assert.deepEqual(serverNames, ['localhost', 'etcd.cluster.test', false]);
  });

  test('verification checks the server name against the certificate', async () => {
    const mismatch = await probe(target(mtls.port, { serverName: 'etcd.cluster.test', insecureSkipVerify: false }), {
      timeoutMs: TIMEOUT_MS,
    });
    assert.equal(mismatch.failure, 'tls');
    // The CA is unknown too; whichever check Node reports first, the handshake must not pass.
    assert.match(mismatch.message, /failed to complete a TLS handshake with 127\.0\.0\.1:\d+: /);
  });

  test('a server that never answers the ClientHello: a TLS timeout within the probe timeout', async () => {
    const silent = await silentServer();
    try {
      const started = performance.now();
      const result = await probe(target(silent.port), { timeoutMs: 300 });
      const elapsed = performance.now() - started;
      assert.equal(result.failure, 'tls');
      assert.equal(result.reason, 'TLSError');
      assert.equal(
        result.message,
        `etcd-server: failed to complete a TLS handshake with 127.0.0.1:${silent.port}: i/o timeout`,
      );
      assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms`);
    } finally {
      await silent.close();
    }
  });

  test('TCP failures of a tls probe keep the TCP message and reason', async () => {
    const port = await closedPort();
    const result = await probe(target(port), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.reason, 'TCPConnectError');
    assert.equal(result.failure, 'refused');
    assert.equal(result.phases?.tlsMs, undefined);
  });

  test('https with the client certificate: HTTPRequest with TCP, TLS and HTTP phases', async () => {
    const result = await probe(target(https.port, { kind: 'https', path: '/healthz' }), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, true, result.message);
    assert.equal(
      result.message,
      `etcd-server: http GET https://127.0.0.1:${https.port}/healthz succeeded with status 200`,
    );
    const { connectMs, tlsMs, httpMs } = result.phases ?? {};
    assert.ok(connectMs !== undefined && tlsMs !== undefined && httpMs !== undefined);

    const notFound = await probe(target(https.port, { kind: 'https', path: '/missing' }), { timeoutMs: TIMEOUT_MS });
    assert.equal(notFound.failure, 'http-status');
    assert.equal(
      notFound.message,
      `etcd-server: http GET https://127.0.0.1:${https.port}/missing returned status 404, expected 200-399`,
    );
  });

  test('no socket or timer outlives a tls or https probe', async () => {
    const silent = await silentServer();
    try {
      const baseline = countProbeResources();
      const long = { timeoutMs: 30_000 };
      const results = await Promise.all([
        probe(target(mtls.port), long),
        probe(target(mtls.port, { clientCert: undefined }), long),
        probe(target(mtls.port, { insecureSkipVerify: false }), long),
        probe(target(https.port, { kind: 'https', path: '/healthz' }), long),
        probe(target(https.port, { kind: 'https', clientCert: undefined }), long),
        probe(target(silent.port), { timeoutMs: 100 }),
      ]);
      assert.deepEqual(
        results.map((r) => r.success),
        [true, false, false, true, false, false],
      );
      assert.deepEqual(await leftoverResources(baseline), []);
    } finally {
      await silent.close();
    }
  });

  describe('a tcp check carrying a client certificate completes a TLS handshake, as OpenShift does', () => {
    const tcp = (port: number, extra: Partial<ProbeTarget> = {}) => target(port, { kind: 'tcp', ...extra });

    test('accepted: TLSHandshake, the tls message, TCP and TLS phases', async () => {
      const result = await probe(tcp(mtls.port), { timeoutMs: TIMEOUT_MS });
      assert.equal(result.success, true, result.message);
      assert.equal(result.reason, 'TLSHandshake');
      assert.equal(result.message, `etcd-server: tls connection to 127.0.0.1:${mtls.port} succeeded`);
      assert.ok(result.phases?.connectMs !== undefined && result.phases.tlsMs !== undefined);
    });

    test('a certificate the server does not trust: TLSError, although TCP connects (TLS 1.2)', async () => {
      const other = createTestPki();
      try {
        const result = await probe(tcp(mtls12.port, { clientCert: { cert: other.clientCert, key: other.clientKey } }), {
          timeoutMs: TIMEOUT_MS,
        });
        assert.equal(result.success, false);
        assert.equal(result.reason, 'TLSError');
        assert.equal(result.failure, 'tls');
        assert.match(result.message, /^etcd-server: failed to complete a TLS handshake with 127\.0\.0\.1:\d+: /);
      } finally {
        other.remove();
      }
    });

    test('a server that never answers the ClientHello: a TLS timeout at the deadline; without a certificate TCP only', async () => {
      const silent = await silentServer();
      try {
        const started = performance.now();
        const result = await probe(tcp(silent.port), { timeoutMs: 300 });
        const elapsed = performance.now() - started;
        assert.equal(result.reason, 'TLSError');
        assert.equal(
          result.message,
          `etcd-server: failed to complete a TLS handshake with 127.0.0.1:${silent.port}: i/o timeout`,
        );
        assert.ok(elapsed >= 290 && elapsed < 1000, `took ${elapsed} ms`);
        const plain = await probe(tcp(silent.port, { clientCert: undefined }), { timeoutMs: 300 });
        assert.equal(plain.reason, 'TCPConnect', plain.message);
      } finally {
        await silent.close();
      }
    });
  });

  test('https without the client certificate: the late TLS 1.3 rejection is a TLS failure', async () => {
    const result = await probe(target(https.port, { kind: 'https', clientCert: undefined }), { timeoutMs: TIMEOUT_MS });
    assert.equal(result.failure, 'tls');
    assert.equal(result.reason, 'TLSError');
    assert.equal(
      result.message,
      `etcd-server: failed to complete a TLS handshake with 127.0.0.1:${https.port}: tlsv13 alert certificate required`,
    );
  });
});
