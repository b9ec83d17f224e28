import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { probe, runProbes } from '../../src/runtime/probe/index.js';
import type { ProbeResult, ProbeTarget } from '../../src/runtime/types.js';
import {
  type Running,
  acceptingServer,
  closedPort,
  countProbeResources,
  hasIpv6Loopback,
  leftoverResources,
  silentServer,
} from './support/servers.js';

const TIMEOUT_MS = 2000;
let listener: Running;
let refusedPort: number;

before(async () => {
  listener = await acceptingServer();
  refusedPort = await closedPort();
});
after(async () => {
  await listener.close();
});

function tcp(host: string, port: number, label = 'target'): ProbeTarget {
  return { label, host, port, kind: 'tcp' };
}

test('a listening port: success with the TCPConnect message, timing and start time', async () => {
  const before = Date.now();
  const result = await probe(tcp('127.0.0.1', listener.port, 'api-endpoint'), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.success, true);
  assert.equal(result.reason, 'TCPConnect');
  assert.equal(result.message, `api-endpoint: tcp connection to 127.0.0.1:${listener.port} succeeded`);
  assert.equal(result.failure, undefined);
  assert.ok(result.time.getTime() >= before && result.time.getTime() <= Date.now());
  assert.ok(result.latencyMs > 0 && result.latencyMs < TIMEOUT_MS);
  assert.ok(result.phases?.connectMs !== undefined && result.phases.connectMs <= result.latencyMs);
  assert.equal(result.phases?.dnsMs, undefined, 'no DNS step for an IP address');
});

test('a closed port: refused, with Go dial error text', async () => {
  const result = await probe(tcp('127.0.0.1', refusedPort), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.success, false);
  assert.equal(result.failure, 'refused');
  assert.equal(result.reason, 'TCPConnectError');
  assert.equal(
    result.message,
    `target: failed to establish a TCP connection to 127.0.0.1:${refusedPort}: dial tcp 127.0.0.1:${refusedPort}: connect: connection refused`,
  );
});

test('an unresolvable name: DNSError, no connect attempted', async () => {
  const result = await probe(tcp('p2pnc-probe-test.invalid', 443), { timeoutMs: TIMEOUT_MS });
  assert.equal(result.success, false);
  assert.equal(result.failure, 'dns');
  assert.equal(result.reason, 'DNSError');
  assert.equal(
    result.message,
    'target: failure looking up host p2pnc-probe-test.invalid: lookup p2pnc-probe-test.invalid: no such host',
  );
  assert.ok(result.phases?.dnsMs !== undefined);
  assert.equal(result.phases?.connectMs, undefined);
});

test('a name: resolved by the resolver, reported by name, dialed by address', async () => {
  const resolved: string[] = [];
  const resolver = async (host: string): Promise<string[]> => {
    resolved.push(host);
    return ['127.0.0.1'];
  };
  const ok = await probe(tcp('api.cluster.test', listener.port), { timeoutMs: TIMEOUT_MS, resolver });
  assert.equal(ok.message, `target: tcp connection to api.cluster.test:${listener.port} succeeded`);
  assert.deepEqual(resolved, ['api.cluster.test']);
  assert.ok(ok.phases?.dnsMs !== undefined && ok.phases.connectMs !== undefined);

  const refused = await probe(tcp('api.cluster.test', refusedPort), { timeoutMs: TIMEOUT_MS, resolver });
  assert.equal(
    refused.message,
    `target: failed to establish a TCP connection to api.cluster.test:${refusedPort}: dial tcp 127.0.0.1:${refusedPort}: connect: connection refused`,
  );
});

test('the system resolver: localhost resolves and connects', async () => {
  const result = await probe(tcp('localhost', listener.port), { timeoutMs: TIMEOUT_MS });
  // localhost may resolve to ::1 first while the listener is IPv4-only: the next address is tried.
  assert.equal(result.success, true, result.message);
});

test('several addresses: the next is tried after a refusal; all refused reports the first', async () => {
  const fallback = await probe(tcp('multi.test', listener.port), {
    timeoutMs: TIMEOUT_MS,
    resolver: async () => ['127.0.0.2', '127.0.0.1'],
  });
  assert.equal(fallback.success, true, fallback.message);

  const port = await closedPort();
  const allRefused = await probe(tcp('multi.test', port), {
    timeoutMs: TIMEOUT_MS,
    resolver: async () => ['127.0.0.2', '127.0.0.3'],
  });
  assert.equal(allRefused.failure, 'refused');
  assert.match(allRefused.message, new RegExp(`dial tcp 127\\.0\\.0\\.2:${port}: connect: connection refused$`));
});

test('resolver failures: its error text, an empty answer, a hang bounded by the timeout', async () => {
  const failing = await probe(tcp('broken.test', 80), {
    timeoutMs: TIMEOUT_MS,
    resolver: async () => {
      throw new Error('server misbehaving');
    },
  });
  assert.equal(failing.message, 'target: failure looking up host broken.test: lookup broken.test: server misbehaving');

  const empty = await probe(tcp('empty.test', 80), { timeoutMs: TIMEOUT_MS, resolver: async () => [] });
  assert.equal(empty.message, 'target: failure looking up host empty.test: lookup empty.test: no such host');

  const started = performance.now();
  const hanging = await probe(tcp('slow.test', 80), { timeoutMs: 200, resolver: () => new Promise(() => {}) });
  const elapsed = performance.now() - started;
  assert.equal(hanging.failure, 'dns');
  assert.equal(hanging.message, 'target: failure looking up host slow.test: lookup slow.test: i/o timeout');
  assert.ok(elapsed >= 190 && elapsed < 1000, `took ${elapsed} ms`);
});

test('IPv6 loopback: bracketed in messages', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback (::1) on this machine');
  const v6 = await acceptingServer('::1');
  try {
    const ok = await probe(tcp('::1', v6.port), { timeoutMs: TIMEOUT_MS });
    assert.equal(ok.message, `target: tcp connection to [::1]:${v6.port} succeeded`);
    const bracketed = await probe(tcp('[::1]', v6.port), { timeoutMs: TIMEOUT_MS });
    assert.equal(bracketed.success, true);

    const port = await closedPort('::1');
    const refused = await probe(tcp('::1', port), { timeoutMs: TIMEOUT_MS });
    assert.equal(
      refused.message,
      `target: failed to establish a TCP connection to [::1]:${port}: dial tcp [::1]:${port}: connect: connection refused`,
    );
  } finally {
    await v6.close();
  }
});

test('malformed targets become InvalidCheck results instead of throwing', async () => {
  const cases: [ProbeTarget, RegExp][] = [
    [tcp('not a host', 80), /is neither a host name nor an IP address/],
    [tcp('127.0.0.1', 0), /port 0 is not from 1 to 65535/],
    [tcp('127.0.0.1', 70000), /port 70000/],
    [{ ...tcp('127.0.0.1', 80), kind: 'sctp' as ProbeTarget['kind'] }, /unknown probe kind "sctp"/],
    [{ ...tcp('127.0.0.1', 80), kind: 'http', path: 'no-slash' }, /HTTP path "no-slash" must start with \//],
    [
      { ...tcp('127.0.0.1', 80), kind: 'tls', clientCert: { cert: 'not PEM', key: 'not PEM' } },
      /invalid TLS client certificate or key/,
    ],
  ];
  for (const [target, message] of cases) {
    const result = await probe(target, { timeoutMs: TIMEOUT_MS });
    assert.equal(result.success, false);
    assert.equal(result.failure, 'config');
    assert.equal(result.reason, 'InvalidCheck');
    assert.match(result.message, message);
  }
  const badTimeout = await probe(tcp('127.0.0.1', 80), { timeoutMs: Number.NaN });
  assert.equal(badTimeout.failure, 'config');
});

test('an aborted signal cancels the probe', async () => {
  const aborted = await probe(tcp('127.0.0.1', listener.port), { timeoutMs: TIMEOUT_MS, signal: AbortSignal.abort() });
  assert.equal(aborted.success, false);
  assert.equal(aborted.failure, 'other');
  assert.match(aborted.message, /dial tcp 127\.0\.0\.1:\d+: operation was canceled$/);

  const controller = new AbortController();
  const pending = probe(tcp('slow.test', 80), {
    timeoutMs: TIMEOUT_MS,
    signal: controller.signal,
    resolver: () => new Promise(() => {}),
  });
  controller.abort();
  const canceled = await pending;
  assert.equal(canceled.message, 'target: failure looking up host slow.test: lookup slow.test: operation was canceled');
});

test('runProbes: bounded concurrency, every result delivered with its target and index', async () => {
  const targets = Array.from({ length: 60 }, (_, i) =>
    tcp('127.0.0.1', i % 3 === 0 ? refusedPort : listener.port, `t${i}`),
  );
  const seen: [ProbeResult, ProbeTarget, number][] = [];
  const summary = await runProbes(targets, { concurrency: 7, timeoutMs: TIMEOUT_MS }, (result, target, index) => {
    seen.push([result, target, index]);
  });
  assert.deepEqual(summary, { probed: 60, succeeded: 40, failed: 20 });
  assert.deepEqual(
    seen.map(([, , index]) => index).sort((a, b) => a - b),
    [...Array(60).keys()],
  );
  for (const [result, target, index] of seen) {
    assert.equal(target, targets[index]);
    assert.ok(result.message.startsWith(`t${index}: `));
    assert.equal(result.success, index % 3 !== 0);
  }
});

test('runProbes: never more than `concurrency` probes in flight', async () => {
  let inFlight = 0;
  let peak = 0;
  const resolver = async (): Promise<string[]> => {
    peak = Math.max(peak, ++inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    inFlight--;
    return ['127.0.0.1'];
  };
  const targets = Array.from({ length: 40 }, () => tcp('counted.test', listener.port));
  await runProbes(targets, { concurrency: 4, timeoutMs: TIMEOUT_MS, resolver }, () => {});
  assert.equal(peak, 4);
});

test('runProbes: an onResult error is rethrown once in-flight probes settle', async () => {
  const targets = Array.from({ length: 20 }, () => tcp('127.0.0.1', listener.port));
  let calls = 0;
  await assert.rejects(
    runProbes(targets, { concurrency: 2, timeoutMs: TIMEOUT_MS }, () => {
      calls++;
      throw new Error('sink failed');
    }),
    /sink failed/,
  );
  assert.ok(calls <= 2, `probing stopped after the error (${calls} results delivered)`);
});

test('no socket or timer outlives its probe', async () => {
  // A server that keeps connections open and a long timeout: a leaked socket or deadline timer would still be there.
  const holding = await silentServer();
  try {
    const baseline = countProbeResources();
    const targets: ProbeTarget[] = [];
    for (let i = 0; i < 50; i++) targets.push(tcp('127.0.0.1', holding.port), tcp('127.0.0.1', refusedPort));
    const summary = await runProbes(targets, { concurrency: 32, timeoutMs: 30_000 }, () => {});
    assert.deepEqual(summary, { probed: 100, succeeded: 50, failed: 50 });

    const hanging = Array.from({ length: 20 }, () => tcp('hang.test', 80));
    await runProbes(hanging, { concurrency: 32, timeoutMs: 50, resolver: () => new Promise(() => {}) }, () => {});
    assert.deepEqual(await leftoverResources(baseline, 500), []);
  } finally {
    await holding.close();
  }
});
