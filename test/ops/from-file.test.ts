// status, diagnose and report on saved checks (`kubectl get pncc -o json` in a must-gather): no cluster needed, and
// the file is read as of when it was saved, not as of today.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { capturedAt } from '../../src/ops/checks-file.js';
import { checksOf, NOW, openshiftTopology, refused, withStatuses } from './support.js';

const p2pnc = (...args: string[]) =>
  spawnSync(process.execPath, ['bin/p2pnc.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let directory: string;
let saved: string;

describe('--from-file', () => {
  before(() => {
    directory = mkdtempSync(join(tmpdir(), 'p2pnc-from-file-'));
    saved = join(directory, 'pncc.json');
    // Saved at NOW (2026-11-23T10:00Z), days before the test runs: kubernetes-apiserver-endpoint refuses on master-1.
    const checks = withStatuses(checksOf(openshiftTopology()), { 'kubernetes-apiserver-endpoint-master-1$': refused });
    writeFileSync(saved, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: checks }));
    writeFileSync(join(directory, 'pncc.yaml'), stringify({ apiVersion: 'v1', kind: 'List', items: checks }));
  });
  after(() => rmSync(directory, { recursive: true, force: true }));

  test('the time a file was saved is its newest entry', () => {
    const checks = withStatuses(checksOf(openshiftTopology()), {});
    assert.equal(capturedAt(checks)?.toISOString(), NOW.toISOString());
    assert.equal(capturedAt(checksOf(openshiftTopology())), undefined, 'checks never probed tell no time');
  });

  test('diagnose names the culprit as of the save, not "source not probing" for a file from days ago', () => {
    const run = p2pnc('diagnose', '--from-file', saved, '-o', 'json');
    assert.equal(run.status, 3, run.stderr);
    const diagnosis = JSON.parse(run.stdout);
    assert.equal(diagnosis.time, '2026-11-23T10:00:00Z');
    assert.deepEqual(
      diagnosis.findings.map((finding: { rule: string; culprit: string }) => `${finding.rule}: ${finding.culprit}`),
      ['target-on-node: kubernetes-apiserver-endpoint on master master-1'],
    );
  });

  test('status reads YAML too, with ages counted from the save', () => {
    const run = p2pnc('status', '--from-file', join(directory, 'pncc.yaml'), '--state', 'failing');
    assert.equal(run.status, 0, run.stderr);
    const [header, row, ...rest] = run.stdout.split('\n');
    assert.match(header!, /^SOURCE\s+SOURCE NODE\s+TARGET/);
    assert.match(
      row!,
      /^network-check-source\s+worker-b\s+kubernetes-apiserver-endpoint\s+master-1\s+unreachable\s+3\.5ms\s+0s\s+4m\s+open 4m\s+1\s*$/,
    );
    assert.match(rest.join('\n'), /^1 checks?: 1 unreachable/m);
  });

  test('--probe needs the cluster: a usage error, exit 2', () => {
    const run = p2pnc('status', '--from-file', saved, '--probe');
    assert.equal(run.status, 2);
    assert.equal(
      run.stderr,
      'error: --probe reads target pods and client certificates from the cluster; use it without --from-file\n',
    );
  });

  test('a file that is not there is one line and exit 1', () => {
    const missing = join(directory, 'missing.json');
    const run = p2pnc('diagnose', '--from-file', missing);
    assert.equal(run.status, 1);
    assert.equal(run.stderr, `error: cannot read ${missing}: no such file\n`);
  });
});
