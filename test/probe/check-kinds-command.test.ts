/** `p2pnc check icmp`, `check udp` and `check tcp-endpoint --mtu`: exit codes and usage errors as for tcp-endpoint. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Command } from 'commander';
import { registerCheckCommand } from '../../src/cli/commands/check.js';
import { type RunningTarget, startTarget } from '../../src/runtime/target/index.js';
import { UsageError } from '../../src/util/errors.js';
import { runCli } from '../helpers/process.js';
import { closedPort } from './support/servers.js';

async function check(...args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
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
  await program.parseAsync(['check', ...args], { from: 'user' });
  return { stdout, exitCode };
}

let target: RunningTarget;
before(async () => {
  target = await startTarget({ port: 0, host: '127.0.0.1', identity: { node: null, pod: null } });
});
after(async () => {
  await target.close(100);
});

test('udp: exit 0 when echoed, 1 when refused; the log entry carries the loss figure', async () => {
  const ok = await check('udp', `127.0.0.1:${target.port}`, '--count', '3', '-o', 'json');
  assert.equal(ok.exitCode, 0);
  const entry = JSON.parse(ok.stdout) as { reason: string; message: string };
  assert.equal(entry.reason, 'UDPEcho');
  assert.match(entry.message, /3\/3 echoed, 0% loss/);
  const refused = await check('udp', `127.0.0.1:${await closedPort()}`);
  assert.equal(refused.exitCode, 1);
});

test('tcp-endpoint --mtu: exit 0 when the payload arrives', async () => {
  const { stdout, exitCode } = await check('tcp-endpoint', `127.0.0.1:${target.port}`, '--mtu', '4096');
  assert.equal(exitCode, 0);
  assert.match(stdout, /mtu transfer of 4096 bytes from http:\/\/127\.0\.0\.1:\d+\/payload\?bytes=4096 succeeded/);
});

test('icmp: an ICMP log entry whatever the outcome (exit 0 or 1), never a usage error', async () => {
  const { stdout, exitCode } = await check('icmp', '127.0.0.1', '--timeout', '1s', '-o', 'json');
  assert.ok(exitCode === 0 || exitCode === 1);
  assert.match((JSON.parse(stdout) as { reason: string }).reason, /^ICMPEcho(Error)?$/);
});

test('bad usage throws UsageError (exit 2) naming the flag and its range', async () => {
  const cases: [string[], RegExp][] = [
    [['icmp', 'not a host'], /^"not a host" is neither a host name nor an IP address$/],
    [['udp', '127.0.0.1'], /expected host:port/],
    [['udp', '127.0.0.1:9', '--count', '0'], /^--count takes a whole number from 1 to 1000, not "0"$/],
    [['udp', '127.0.0.1:9', '--max-loss', '100'], /^--max-loss takes a whole number from 0 to 99, not "100"$/],
    [['tcp-endpoint', '127.0.0.1:9', '--mtu', '1k'], /^--mtu takes a whole number from 2048 to 1048576, not "1k"$/],
    [['tcp-endpoint', '127.0.0.1:9', '--mtu', '4096', '--tls'], /^choose one of --tls, --http, --https and --mtu/],
  ];
  for (const [args, message] of cases) {
    await assert.rejects(check(...args), (error: unknown) => {
      assert.ok(error instanceof UsageError, `${args.join(' ')}: ${String(error)}`);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      return true;
    });
  }
});

test('icmp without the native addon: a failed log entry naming how to build it, not a stack trace', async () => {
  const run = await runCli(['check', 'icmp', '127.0.0.1', '-o', 'json'], {
    P2PNC_ICMP_ADDON: '/nonexistent/icmp.node',
  });
  assert.equal(run.code, 1, run.output);
  const entry = JSON.parse(run.output) as { reason: string; failure: string; message: string };
  assert.equal(entry.reason, 'ICMPEchoError');
  assert.equal(entry.failure, 'config');
  assert.equal(
    entry.message,
    '127.0.0.1: no icmp echo reply from 127.0.0.1: ICMP probes need the native addon icmp.node, not found (build it with: node native/icmp/build.mjs)',
  );
});
