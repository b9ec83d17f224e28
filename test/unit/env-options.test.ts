/**
 * Every flag of the commands a pod runs (`p2pnc source`, `p2pnc target`) also reads an environment variable, named by
 * one rule and declared with the flag: a pod spec can set any of them, and `--help` and the README say which.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Command } from 'commander';
import { ENV } from '../../src/api/constants.js';
import { envVarOf } from '../../src/cli/env-options.js';
import { buildProgram } from '../../src/cli/main.js';
import { runCli, startCli, eventually } from '../helpers/process.js';

const command = (name: string): Command => buildProgram().commands.find((sub) => sub.name() === name)!;
/** As kubectl reads them: `--kubeconfig` defaults to $KUBECONFIG, `--context` has none; `--no-x` negates `--x`. */
const KUBECTL_FLAGS = ['--kubeconfig', '--context'];
const DOWNWARD_API: Record<string, string> = { '--node': ENV.nodeName, '--namespace': ENV.namespace };

for (const name of ['source', 'target']) {
  test(`p2pnc ${name}: every flag reads P2PNC_<FLAG>, named in --help`, () => {
    const sub = command(name);
    let help = '';
    sub.configureOutput({ writeOut: (text) => (help += text) });
    sub.outputHelp();
    const flags = sub.options.filter((option) => !option.negate && !KUBECTL_FLAGS.includes(option.long!));
    assert.ok(flags.length >= (name === 'source' ? 20 : 4), `${flags.length} flags`);
    for (const option of flags) {
      const expected = DOWNWARD_API[option.long!] ?? envVarOf(option.flags);
      assert.equal(option.envVar, expected, `${option.long} reads ${expected}`);
      assert.ok(help.replace(/\s+/g, ' ').includes(`env: ${expected}`), `--help names ${expected}`);
    }
  });
}

test('the README lists every flag of p2pnc source and p2pnc target with its variable and default', () => {
  const readme = readFileSync('README.md', 'utf8');
  for (const name of ['source', 'target'])
    for (const option of command(name).options.filter((candidate) => candidate.envVar)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${option.long}`));
      assert.ok(row, `README: a row for ${option.long}`);
      assert.ok(row.includes(`\`${option.envVar}\``), `README: ${option.long} reads ${option.envVar}`);
      const shown = option.defaultValueDescription ?? option.defaultValue;
      if (shown !== undefined)
        assert.ok(row.includes(`\`${String(shown)}\``), `README: ${option.long} defaults to ${shown}`);
    }
});

test('a bad value from a variable is a usage error naming the variable and its flag; the flag wins over it', async () => {
  const args = ['source', '--source', 'x', '--kubeconfig', '/nonexistent'];
  const bad = await runCli(args, { P2PNC_CONCURRENCY: '0' });
  assert.equal(bad.code, 2);
  assert.match(bad.output, /error: P2PNC_CONCURRENCY \(--concurrency\) must be a whole number above 0, got "0"/);
  assert.doesNotMatch(bad.output, /\n\s+at /, 'no stack trace');
  const flagWins = await runCli([...args, '--concurrency', '8'], { P2PNC_CONCURRENCY: '0' });
  assert.equal(flagWins.code, 1, flagWins.output);
  assert.match(flagWins.output, /cannot read kubeconfig \/nonexistent/);
  const source = await runCli(['source', '--kubeconfig', '/nonexistent'], { P2PNC_SOURCE: 'x' });
  assert.match(source.output, /cannot read kubeconfig \/nonexistent/, 'P2PNC_SOURCE stands for --source');
});

test('a switch is read as true or false, not by the presence of its variable', async () => {
  const args = ['source', '--source', 'x', '--kubeconfig', '/nonexistent'];
  const off = await runCli(args, { P2PNC_PER_NODE: 'false', [ENV.nodeName]: '' });
  assert.match(off.output, /cannot read kubeconfig/, 'P2PNC_PER_NODE=false: not per node');
  const on = await runCli(args, { P2PNC_PER_NODE: 'true', [ENV.nodeName]: '' });
  assert.equal(on.code, 2);
  assert.match(on.output, /P2PNC_PER_NODE \(--per-node\) needs --node/);
  const bare = await runCli([...args, '--per-node'], { [ENV.nodeName]: '' });
  assert.match(bare.output, /error: --per-node needs --node/, 'bare --per-node is true');
  const typo = await runCli(args, { P2PNC_PER_CHECK_METRICS: 'yes' });
  assert.equal(typo.code, 2);
  assert.match(
    typo.output,
    /--per-check-metrics takes true or false, got "yes" \(from the flag or P2PNC_PER_CHECK_METRICS\)/,
  );
});

test('p2pnc target listens where its variables say', async (t) => {
  const target = startCli(['target'], { P2PNC_PORT: '0', P2PNC_HOST: '127.0.0.1', P2PNC_SHUTDOWN_GRACE: '1s' });
  t.after(() => target.stop());
  const line = await eventually(
    async () =>
      target
        .output()
        .split('\n')
        .find((text) => text.includes('target listening')),
    10_000,
    'the start log line',
  );
  const started = JSON.parse(line) as { host: string; port: number };
  assert.equal(started.host, '127.0.0.1');
  assert.ok(started.port > 0);
  const bad = await runCli(['target'], { P2PNC_PORT: '70000' });
  assert.equal(bad.code, 2);
  assert.match(bad.output, /P2PNC_PORT/);
});
