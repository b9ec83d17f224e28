/**
 * The first hour with the CLI: every command's --help has examples and shows defaults the same way, in the unit the flag
 * takes; bare `p2pnc check` is a usage error; -o takes the same structured formats everywhere; `source` takes the
 * cluster flags the other commands take; diagnose's advice on saved checks names the namespace they came from.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { checksOf, openshiftTopology, refused, withStatuses } from '../ops/support.js';

const p2pnc = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/p2pnc.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

/** Every command that runs something (those with subcommands only dispatch). */
function leafCommands(command: Command, prefix: string[] = []): { path: string[]; command: Command }[] {
  return command.commands
    .filter((sub) => sub.name() !== 'help')
    .flatMap((sub) => {
      const path = [...prefix, sub.name()];
      return sub.commands.length > 0 ? leafCommands(sub, path) : [{ path, command: sub }];
    });
}

function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk), writeErr: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

const program = buildProgram();
const commands = leafCommands(program);

describe('--help', () => {
  test('the CLI has the commands the README documents', () => {
    assert.deepEqual(commands.map(({ path }) => path.join(' ')).sort(), [
      'check icmp',
      'check tcp-endpoint',
      'check udp',
      'diagnose',
      'import',
      'prune',
      'report',
      'schema',
      'source',
      'status',
      'synth',
      'target',
    ]);
  });

  for (const { path, command } of commands) {
    test(`p2pnc ${path.join(' ')} --help has examples that run this command`, () => {
      const help = helpOf(command);
      assert.match(help, /\nExamples:\n/);
      const examples = help
        .slice(help.indexOf('Examples:'))
        .split('\n')
        .filter((line) => line.startsWith('  p2pnc '));
      assert.ok(examples.length > 0, help);
      for (const example of examples) assert.ok(example.startsWith(`  p2pnc ${path.join(' ')}`), example);
    });

    test(`p2pnc ${path.join(' ')} shows every default as the flag takes it`, () => {
      const help = helpOf(command);
      assert.doesNotMatch(help, /\(default: "/, 'defaults are shown unquoted, as typed on the command line');
      for (const option of command.options) {
        if (option.long?.includes('duration') || !/<duration>/.test(option.flags) || option.defaultValue === undefined)
          continue;
        assert.match(
          option.defaultValueDescription ?? '',
          /^\d+(\.\d+)?(ms|s|m|h)$/,
          `${option.flags} shows its default as a duration`,
        );
      }
    });
  }

  test('target --shutdown-grace shows a duration, not milliseconds', () => {
    assert.match(
      helpOf(commands.find(({ path }) => path[0] === 'target')!.command).replace(/\s+/g, ' '),
      /SIGTERM, as a Go duration \(default: 5s, env: P2PNC_SHUTDOWN_GRACE\)/,
    );
  });

  test('the root --help lists commands and examples; the program version is printed by --version', () => {
    const run = p2pnc('--help');
    assert.equal(run.status, 0);
    assert.match(run.stdout, /Examples:\n {2}p2pnc import/);
    assert.match(p2pnc('--version').stdout, /^\d+\.\d+\.\d+\n$/);
  });
});

describe('usage errors exit 2', () => {
  test('bare `p2pnc check` names its kinds on stderr and exits 2', () => {
    const run = p2pnc('check');
    assert.equal(run.status, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /tcp-endpoint \[options\] <host:port>/);
  });

  test('bare `p2pnc` and an unknown command exit 2', () => {
    assert.equal(p2pnc().status, 2);
    const unknown = p2pnc('stauts');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown command 'stauts'\n\(Did you mean status\?\)/);
  });
});

describe('-o formats', () => {
  const formatted = commands.filter(({ command }) =>
    command.options.some((option) => option.long === '--output' && option.flags.includes('<format>')),
  );

  test('status, diagnose and check take -o as a format', () => {
    assert.deepEqual(formatted.map(({ path }) => path.join(' ')).sort(), [
      'check icmp',
      'check tcp-endpoint',
      'check udp',
      'diagnose',
      'status',
    ]);
  });

  for (const { path, command } of formatted) {
    test(`p2pnc ${path.join(' ')} -o takes json and yaml and refuses anything else with the choices`, () => {
      const help = helpOf(command);
      assert.match(help, /-o, --output <format>\s+output format: \w+(, \w+)*, json, yaml \(default: \w+\)/);
      const run = p2pnc(...path, ...(path[0] === 'check' ? ['127.0.0.1:1'] : []), '-o', 'xml');
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^error: -o "xml" is not an output format; use one of [\w, ]+json, yaml\n$/);
    });
  }

  test('check tcp-endpoint -o yaml prints the log entry as YAML', () => {
    const run = p2pnc('check', 'tcp-endpoint', '127.0.0.1:1', '--timeout', '2s', '-o', 'yaml');
    assert.equal(run.status, 1);
    assert.match(
      run.stdout,
      /^time: \S+Z\nsuccess: false\nreason: TCPConnectError\nmessage: .*connection refused.*\nlatency: \S+\nfailure: refused\n/,
    );
  });
});

describe('cluster flags', () => {
  test('source takes -n, --kubeconfig and --context as every cluster command does', () => {
    for (const name of ['source', 'status', 'diagnose', 'report', 'prune', 'import']) {
      const command = commands.find(({ path }) => path[0] === name)!.command;
      const flags = command.options.map((option) => option.flags);
      for (const flag of ['-n, --namespace <ns>', '--kubeconfig <file>', '--context <name>'])
        assert.ok(flags.includes(flag), `${name}: ${flag}`);
    }
  });

  test('source --context names a context of the kubeconfig, like kubectl', () => {
    const directory = mkdtempSync(join(tmpdir(), 'p2pnc-kubeconfig-'));
    try {
      const kubeconfig = join(directory, 'config');
      writeFileSync(
        kubeconfig,
        'apiVersion: v1\nkind: Config\ncurrent-context: a\ncontexts: [{ name: a, context: { cluster: a, user: a } }]\nclusters: [{ name: a, cluster: { server: "https://127.0.0.1:1" } }]\nusers: [{ name: a, user: {} }]\n',
      );
      const run = p2pnc(
        'source',
        '--source',
        'x',
        '--kubeconfig',
        kubeconfig,
        '--context',
        'prod',
        '--metrics-port',
        '0',
      );
      assert.equal(run.status, 1);
      assert.match(run.stderr, /has no context "prod"; pass --context NAME/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('diagnose --from-file', () => {
  test("advice names the saved checks' namespace, and -n still wins", () => {
    const directory = mkdtempSync(join(tmpdir(), 'p2pnc-from-file-ns-'));
    try {
      const checks = withStatuses(checksOf(openshiftTopology()), { 'network-check-target-master-1$': refused });
      for (const check of checks) check.metadata.namespace = 'netcheck';
      const saved = join(directory, 'pncc.json');
      writeFileSync(saved, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: checks }));
      const fromFile = p2pnc('diagnose', '--from-file', saved);
      assert.equal(fromFile.status, 3, fromFile.stderr);
      assert.match(fromFile.stdout, /kubectl -n netcheck /);
      assert.match(fromFile.stdout, /in namespace netcheck \(/);
      assert.doesNotMatch(fromFile.stdout, /-n p2pnc|namespace p2pnc/);
      const explicit = p2pnc('diagnose', '--from-file', saved, '-n', 'elsewhere');
      assert.match(explicit.stdout, /kubectl -n elsewhere /);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
