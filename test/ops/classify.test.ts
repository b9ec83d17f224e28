// Classification of recorded failures: the status keeps only reason and message, diagnose recovers the layer.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyFailure, dnsFailureCause, httpStatusOf, withoutLabel } from '../../src/ops/classify.js';
import { describeConnectFailure, describeDnsFailure, StepFailure } from '../../src/runtime/probe/failure.js';
import * as messages from '../../src/runtime/probe/messages.js';
import { probe } from '../../src/runtime/probe/probe.js';
import { toLogEntry } from '../../src/runtime/status/log-entries.js';
import type { ProbeResult, ProbeTarget } from '../../src/runtime/types.js';
import { acceptingServer, closedPort, garbageServer, silentServer, statusServer } from '../probe/support/servers.js';

/** What the status keeps of a result, classified; must be the kind the probe itself knew. */
function assertClassifiedAsProbed(result: ProbeResult): void {
  assert.equal(result.success, false, result.message);
  assert.equal(classifyFailure(toLogEntry(result)), result.failure, `${result.reason}: ${result.message}`);
}

const target = (port: number, overrides: Partial<ProbeTarget> = {}): ProbeTarget => ({
  label: 'web',
  host: '127.0.0.1',
  port,
  kind: 'tcp',
  ...overrides,
});

describe('failures of real probes on loopback classify as the probe classified them', () => {
  test('connection refused', async () => {
    const result = await probe(target(await closedPort()), { timeoutMs: 2000 });
    assertClassifiedAsProbed(result);
    assert.equal(result.failure, 'refused');
  });

  test('an unresolvable name is DNS', async () => {
    const result = await probe(target(80, { host: 'nowhere.p2pnc.invalid' }), { timeoutMs: 5000 });
    assertClassifiedAsProbed(result);
    assert.equal(result.failure, 'dns');
  });

  test('a TLS handshake with a server that is not TLS is TLS', async () => {
    const server = await garbageServer();
    try {
      const result = await probe(target(server.port, { kind: 'tls' }), { timeoutMs: 2000 });
      assertClassifiedAsProbed(result);
      assert.equal(result.failure, 'tls');
    } finally {
      await server.close();
    }
  });

  test('a TLS server that never answers times out as TLS, not as the network', async () => {
    const server = await silentServer();
    try {
      const result = await probe(target(server.port, { kind: 'tls' }), { timeoutMs: 300 });
      assertClassifiedAsProbed(result);
      assert.equal(result.failure, 'tls');
    } finally {
      await server.close();
    }
  });

  test('an unexpected HTTP status is HTTP status', async () => {
    const server = await statusServer();
    try {
      const result = await probe(target(server.port, { kind: 'http', path: '/status/503' }), { timeoutMs: 2000 });
      assertClassifiedAsProbed(result);
      assert.equal(result.failure, 'http-status');
      assert.equal(httpStatusOf(result.message), 503);
    } finally {
      await server.close();
    }
  });

  test('a broken HTTP exchange after connecting is HTTP', async () => {
    const server = await acceptingServer();
    try {
      const result = await probe(target(server.port, { kind: 'http' }), { timeoutMs: 2000 });
      assertClassifiedAsProbed(result);
      assert.equal(result.failure, 'http');
    } finally {
      await server.close();
    }
  });

  test('an invalid check is config', async () => {
    const result = await probe(target(0), { timeoutMs: 2000 });
    assertClassifiedAsProbed(result);
    assert.equal(result.failure, 'config');
  });
});

describe('every connect error text the runtime writes', () => {
  const codes = [
    'ECONNREFUSED',
    'EHOSTUNREACH',
    'ENETUNREACH',
    'EHOSTDOWN',
    'ENETDOWN',
    'ETIMEDOUT',
    'ECONNRESET',
    'EACCES',
    'EMFILE',
    'EWHATEVER',
  ];
  const failures = [
    ...codes.map((code) => ({
      name: code,
      failure: new StepFailure('error', Object.assign(new Error(`boom ${code}`), { code })),
    })),
    { name: 'probe timeout', failure: new StepFailure('timeout') },
    { name: 'canceled', failure: new StepFailure('canceled') },
  ];
  for (const { name, failure } of failures) {
    test(`${name} classifies as the kind describeConnectFailure gives`, () => {
      const { kind, text } = describeConnectFailure(failure);
      const message = messages.tcpFailed(
        'kubernetes-apiserver-endpoint-master-0',
        '10.0.0.4:6443',
        '10.0.0.4:6443',
        text,
      );
      assert.equal(classifyFailure({ reason: 'TCPConnectError', message }), kind);
    });
  }
});

describe('DNS causes', () => {
  const dnsMessage = (failure: StepFailure) => messages.dnsFailed('lb', 'api.example.com', describeDnsFailure(failure));
  const errno = (code: string) => new StepFailure('error', Object.assign(new Error(code), { code }));

  test('no such host says the name does not exist', () => {
    for (const code of ['ENOTFOUND', 'ENODATA', 'EAI_NONAME'])
      assert.equal(dnsFailureCause(dnsMessage(errno(code))), 'no-such-host', code);
  });

  test('timeouts, SERVFAIL and refused resolvers say the resolver is at fault', () => {
    for (const failure of [new StepFailure('timeout'), errno('ESERVFAIL'), errno('EAI_AGAIN'), errno('ECONNREFUSED')]) {
      const message = dnsMessage(failure);
      assert.equal(classifyFailure({ reason: 'DNSError', message }), 'dns');
      assert.equal(dnsFailureCause(message), 'resolver', message);
    }
  });
});

test("messages without a known reason (another writer's) are classified by their text", () => {
  assert.equal(classifyFailure({ message: messages.dnsFailed('x', 'a.example', 'no such host') }), 'dns');
  assert.equal(classifyFailure({ message: messages.tlsFailed('x', 'a:1', 'EOF') }), 'tls');
  assert.equal(classifyFailure({ message: messages.tcpFailed('x', 'a:1', '10.0.0.1:1', 'i/o timeout') }), 'timeout');
  assert.equal(classifyFailure({ message: messages.invalidCheck('x', 'no port') }), 'config');
  assert.equal(classifyFailure({ reason: 'Custom', message: 'something else' }), 'other');
});

test('withoutLabel drops the check label prefix only', () => {
  assert.equal(withoutLabel(messages.tcpSucceeded('lb', '10.0.0.1:6443')), 'tcp connection to 10.0.0.1:6443 succeeded');
});

describe('compact messages (no label, large clusters) read as the full ones do', () => {
  const failing = async (overrides: Partial<ProbeTarget>, port: number) => {
    const [full, compact] = await Promise.all([
      probe(target(port, overrides), { timeoutMs: 2000 }),
      probe(target(port, { ...overrides, label: '' }), { timeoutMs: 2000 }),
    ]);
    return { full, compact };
  };

  test('the same kind, the same HTTP status, and the same text once the label is dropped', async () => {
    const http = await statusServer();
    const garbage = await garbageServer();
    try {
      const pairs = [
        await failing({}, await closedPort()),
        await failing({ host: 'nowhere.p2pnc.invalid' }, 80),
        await failing({ kind: 'tls' }, garbage.port),
        await failing({ kind: 'http', path: '/status/503' }, http.port),
        await failing({}, 0),
      ];
      const kinds = pairs.map(({ full, compact }) => {
        assert.ok(full.message.startsWith('web: '), full.message);
        assert.ok(!compact.message.startsWith('web'), compact.message);
        assert.equal(withoutLabel(full.message), compact.message);
        assert.equal(withoutLabel(compact.message), compact.message, 'a compact message keeps all its text');
        assert.equal(httpStatusOf(compact.message), httpStatusOf(full.message));
        const kind = classifyFailure(toLogEntry(compact));
        assert.equal(kind, classifyFailure(toLogEntry(full)), compact.message);
        // Read without the reason too (another writer's entries): the text alone tells the layer.
        assert.equal(classifyFailure({ message: compact.message }), classifyFailure({ message: full.message }));
        return kind;
      });
      assert.deepEqual(kinds, ['refused', 'dns', 'tls', 'http-status', 'config']);
    } finally {
      await Promise.all([http.close(), garbage.close()]);
    }
  });

  test('a compact message is about a third shorter for a typical node target', () => {
    const label = 'kubernetes-apiserver-endpoint-node-00002-scale-example-com';
    const full = messages.tcpFailed(label, '10.16.0.2:6443', '10.16.0.2:6443', 'i/o timeout');
    const compact = messages.tcpFailed('', '10.16.0.2:6443', '10.16.0.2:6443', 'i/o timeout');
    assert.equal(
      compact,
      'failed to establish a TCP connection to 10.16.0.2:6443: dial tcp 10.16.0.2:6443: i/o timeout',
    );
    assert.ok(compact.length < full.length * 0.65, `${compact.length} vs ${full.length}`);
  });
});
