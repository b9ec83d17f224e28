import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer as createTlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Command, CommanderError } from 'commander';
import { registerCheckCommand } from '../../src/cli/commands/check.js';
import { UsageError } from '../../src/util/errors.js';
import { type TestPki, createTestPki, opensslMissing } from './support/certs.js';
import {
  type HttpRecorder,
  type Running,
  acceptingServer,
  closedPort,
  hasIpv6Loopback,
  listen,
  statusServer,
} from './support/servers.js';

const GO_DURATION = '[0-9.]+(?:ns|µs|ms|s)';
const RFC3339 = '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z';

interface Outcome {
  stdout: string;
  exitCode: number | undefined;
}

/** Runs `p2pnc <args>` in-process with only the check command registered. */
async function check(...args: string[]): Promise<Outcome> {
  let stdout = '';
  let exitCode: number | undefined;
  const program = new Command('p2pnc').exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  registerCheckCommand(program, {
    writeOut: (text) => {
      stdout += text;
    },
    setExitCode: (code) => {
      exitCode = code;
    },
  });
  await program.parseAsync(['check', 'tcp-endpoint', ...args], { from: 'user' });
  return { stdout, exitCode };
}

let listener: Running;
let web: HttpRecorder;
let refusedPort: number;

before(async () => {
  [listener, web, refusedPort] = await Promise.all([acceptingServer(), statusServer(), closedPort()]);
});
after(async () => {
  await Promise.all([listener.close(), web.close()]);
});

test('reachable: one log line (time, message, Go latency), exit 0; the label is the endpoint', async () => {
  const { stdout, exitCode } = await check(`127.0.0.1:${listener.port}`);
  assert.equal(exitCode, 0);
  const endpoint = `127.0.0.1:${listener.port}`;
  assert.match(
    stdout,
    new RegExp(`^${RFC3339} ${endpoint}: tcp connection to ${endpoint} succeeded \\(${GO_DURATION}\\)\\n$`),
  );
});

test('refused, as JSON: a log entry with a Go duration latency, exit 1', async () => {
  const { stdout, exitCode } = await check(`127.0.0.1:${refusedPort}`, '-o', 'json');
  assert.equal(exitCode, 1);
  const entry = JSON.parse(stdout) as Record<string, unknown>;
  assert.deepEqual(Object.keys(entry), ['time', 'success', 'reason', 'message', 'latency', 'failure', 'phases']);
  assert.match(String(entry.time), new RegExp(`^${RFC3339}$`));
  assert.equal(entry.success, false);
  assert.equal(entry.reason, 'TCPConnectError');
  assert.equal(entry.failure, 'refused');
  assert.equal(
    entry.message,
    `127.0.0.1:${refusedPort}: failed to establish a TCP connection to 127.0.0.1:${refusedPort}: dial tcp 127.0.0.1:${refusedPort}: connect: connection refused`,
  );
  assert.match(String(entry.latency), new RegExp(`^${GO_DURATION}$`));
  assert.match(String((entry.phases as Record<string, string>).connect), new RegExp(`^${GO_DURATION}$`));
});

test('--http with --expect-status', async () => {
  const ok = await check(`127.0.0.1:${web.port}`, '--http', '/status/204', '--expect-status', '200,204');
  assert.equal(ok.exitCode, 0);
  assert.match(ok.stdout, /http GET http:\/\/127\.0\.0\.1:\d+\/status\/204 succeeded with status 204/);
  const bad = await check(`127.0.0.1:${web.port}`, '--http', '/status/503', '--expect-status', '200-299');
  assert.equal(bad.exitCode, 1);
  assert.match(bad.stdout, /returned status 503, expected 200-299 \(/);
});

test('IPv6 endpoints in brackets', async (t) => {
  if (!(await hasIpv6Loopback())) return t.skip('no IPv6 loopback (::1) on this machine');
  const v6 = await acceptingServer('::1');
  try {
    const { stdout, exitCode } = await check(`[::1]:${v6.port}`);
    assert.equal(exitCode, 0);
    assert.ok(stdout.includes(`[::1]:${v6.port}: tcp connection to [::1]:${v6.port} succeeded`), stdout);
  } finally {
    await v6.close();
  }
});

test('bad usage throws UsageError with a one-line message', async () => {
  const cases: [string[], RegExp][] = [
    [['10.0.0.1'], /invalid endpoint "10\.0\.0\.1": expected host:port/],
    [['fd00::1:6443'], /write IPv6 addresses in brackets/],
    [['host:99999'], /port must be a number from 1 to 65535/],
    [['127.0.0.1:80', '--timeout', '10'], /--timeout takes a positive Go duration/],
    [['127.0.0.1:80', '--timeout', '0s'], /--timeout takes a positive Go duration/],
    [['127.0.0.1:80', '--tls', '--http', '/'], /choose one of --tls, --http, --https and --mtu, not --tls and --http/],
    [['127.0.0.1:80', '--verify'], /--verify needs --tls or --https/],
    [['127.0.0.1:80', '--tls', '--cert', 'c.pem'], /--cert and --key go together/],
    [['127.0.0.1:80', '--expect-status', '200'], /--expect-status needs --http or --https/],
    [['127.0.0.1:80', '--http', '/', '--expect-status', 'ok'], /--expect-status takes HTTP codes/],
    [['127.0.0.1:80', '--http', 'healthz'], /the HTTP path must start with \//],
    [
      ['127.0.0.1:80', '--tls', '--cert', '/nonexistent/c.pem', '--key', '/nonexistent/k.pem'],
      /cannot read --cert file "\/nonexistent\/c\.pem" \(ENOENT\)/,
    ],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(check(...args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(' ')}: ${String(error)}`);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
  }
});

test('unknown flags and missing arguments are commander usage errors; a bad -o names the formats', async () => {
  for (const [args, code] of [
    [['127.0.0.1:80', '--bogus'], 'commander.unknownOption'],
    [[], 'commander.missingArgument'],
  ] as const) {
    await assert.rejects(check(...args), (error: unknown) => error instanceof CommanderError && error.code === code);
  }
  await assert.rejects(
    check('127.0.0.1:80', '-o', 'xml'),
    (error: unknown) => error instanceof UsageError && /use one of text, json, yaml$/.test(error.message),
  );
});

const missing = opensslMissing();
describe(
  'TLS and the spawned CLI',
  { skip: missing !== undefined && process.env.CI !== 'true' ? missing : false },
  () => {
    let pki: TestPki;
    let mtls: Running<ReturnType<typeof createTlsServer>>;

    before(async () => {
      pki = createTestPki();
      const server = createTlsServer(
        { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
        (socket) => socket.on('error', () => {}),
      );
      server.on('tlsClientError', () => {});
      mtls = await listen(server);
    });
    after(async () => {
      await mtls?.close();
      pki?.remove();
    });

    test('--tls with --cert/--key succeeds; without them the server refuses, exit 1', async () => {
      const endpoint = `127.0.0.1:${mtls.port}`;
      const ok = await check(endpoint, '--tls', '--cert', pki.files.clientCert, '--key', pki.files.clientKey);
      assert.equal(ok.exitCode, 0, ok.stdout);
      assert.ok(ok.stdout.includes(`${endpoint}: tls connection to ${endpoint} succeeded`));
      const refused = await check(endpoint, '--tls');
      assert.equal(refused.exitCode, 1);
      assert.ok(refused.stdout.includes('certificate required'), refused.stdout);
      const verified = await check(
        endpoint,
        '--tls',
        '--verify',
        '--cert',
        pki.files.clientCert,
        '--key',
        pki.files.clientKey,
      );
      assert.equal(verified.exitCode, 1, 'the test CA is not trusted in this process');
    });

    test('spawned: exit 0 when reachable (verified against a CA from NODE_EXTRA_CA_CERTS), 1 when not, 2 on bad usage', async () => {
      const entry = fileURLToPath(new URL('./fixtures/check-cli.ts', import.meta.url));
      const spawnCheck = async (
        args: string[],
        env: NodeJS.ProcessEnv = {},
      ): Promise<{ code: number; stdout: string; stderr: string }> => {
        const argv = ['--import', import.meta.resolve('tsx'), entry, 'check', 'tcp-endpoint', ...args];
        try {
          const { stdout, stderr } = await promisify(execFile)(process.execPath, argv, {
            env: { ...process.env, ...env },
          });
          return { code: 0, stdout, stderr };
        } catch (error) {
          const failed = error as { code: number; stdout: string; stderr: string };
          return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
        }
      };
      const endpoint = `127.0.0.1:${mtls.port}`;
      const [reachable, unreachable, usage] = await Promise.all([
        spawnCheck(
          [endpoint, '--tls', '--verify', '--cert', pki.files.clientCert, '--key', pki.files.clientKey, '-o', 'json'],
          {
            NODE_EXTRA_CA_CERTS: pki.files.caCert,
          },
        ),
        spawnCheck([`127.0.0.1:${refusedPort}`, '--timeout', '2s']),
        spawnCheck(['fd00::1:6443']),
      ]);

      assert.equal(reachable.code, 0, reachable.stdout + reachable.stderr);
      const logEntry = JSON.parse(reachable.stdout) as { success: boolean; reason: string; message: string };
      assert.equal(logEntry.success, true);
      assert.equal(logEntry.reason, 'TLSHandshake');
      assert.equal(logEntry.message, `${endpoint}: tls connection to ${endpoint} succeeded`);

      assert.equal(unreachable.code, 1);
      assert.match(unreachable.stdout, /connect: connection refused \([0-9.]+(?:ns|µs|ms|s)\)\n$/);
      assert.equal(unreachable.stderr, '');

      assert.equal(usage.code, 2);
      assert.equal(usage.stdout, '');
      assert.equal(
        usage.stderr,
        'error: invalid endpoint "fd00::1:6443": write IPv6 addresses in brackets, e.g. [fd00::1]:6443\n',
      );
    });
  },
);
