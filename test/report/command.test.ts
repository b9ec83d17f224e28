import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { reportChecks } from './fixtures.js';

let directory: string;
let checksFile: string;

const report = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/p2pnc.js', 'report', ...args], { encoding: 'utf8' });

describe('p2pnc report', () => {
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'p2pnc-report-cli-'));
    checksFile = join(directory, 'checks.json');
    writeFileSync(checksFile, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: reportChecks(new Date()) }));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('--html FILE --from-file writes the page and says where', () => {
    const output = join(directory, 'report.html');
    writeFileSync(output, 'an older report');
    const run = report('--html', output, '--from-file', checksFile);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, `wrote ${output}: 16 checks; open it in a browser\n`);
    const html = readFileSync(output, 'utf8');
    assert.match(html, /^<!DOCTYPE html>\n/);
    assert.match(html, new RegExp(`<p class="summary">${checksFile.replace(/[.]/g, '\\.')} · as of `));
    assert.match(
      html,
      /data-source="network-check-source@worker-0" data-target="apiserver@master-1" data-state="unreachable"/,
    );
  });

  test('bad input leaves the existing report as it was and prints one line', () => {
    const output = join(directory, 'kept.html');
    writeFileSync(output, 'the previous report');
    const badChecks = join(directory, 'bad.json');
    writeFileSync(
      badChecks,
      JSON.stringify({
        kind: 'List',
        items: [{ kind: 'PodNetworkConnectivityCheck', metadata: { name: 'a' }, spec: { sourcePod: 'a' } }],
      }),
    );
    const run = report('--html', output, '--from-file', badChecks);
    assert.equal(run.status, 1);
    assert.equal(
      run.stderr,
      `error: ${badChecks}: items[0].spec.targetEndpoint: Invalid input: expected string, received undefined\n`,
    );
    assert.equal(readFileSync(output, 'utf8'), 'the previous report');
    assert.deepEqual(
      readdirSync(directory).filter((name) => name.endsWith('.tmp')),
      [],
      'no temporary file left behind',
    );
  });

  test('a path that cannot take the report is refused before anything is read', () => {
    const missing = report('--html', join(directory, 'no-such-dir', 'report.html'), '--from-file', checksFile);
    assert.equal(missing.status, 2);
    assert.equal(
      missing.stderr,
      `error: --html ${join(directory, 'no-such-dir', 'report.html')}: ${join(directory, 'no-such-dir')} does not exist; create it first\n`,
    );
    mkdirSync(join(directory, 'a-dir'));
    const isDirectory = report('--html', join(directory, 'a-dir'), '--from-file', join(directory, 'not-read.json'));
    assert.equal(isDirectory.status, 2);
    assert.equal(
      isDirectory.stderr,
      `error: --html ${join(directory, 'a-dir')} is a directory; give a file name such as ${join(directory, 'a-dir', 'report.html')}\n`,
    );
    const underFile = report('--html', join(checksFile, 'report.html'), '--from-file', checksFile);
    assert.equal(underFile.status, 2);
    assert.match(underFile.stderr, /^error: --html .*: .*checks\.json is not a directory\n$/);
  });

  test('without --html it says what is missing', () => {
    const run = report('--from-file', checksFile);
    assert.equal(run.status, 2);
    assert.match(run.stderr, /required option '--html <file>' not specified/);
  });
});
