// Through the real CLI: a warning leaves synth's exit code 0; a UTF-16 file is one short line and exit 1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const synth = (file: string, out: string) =>
  spawnSync(process.execPath, ['bin/p2pnc.js', 'synth', '-f', file, '-o', out], { encoding: 'utf8' });

test('p2pnc synth: a DaemonSet placed by role worker is synthesized, with a located warning on stderr', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-cli-input-'));
  try {
    const run = synth('examples/topologies/node-mesh.yaml', join(dir, 'dist'));
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stderr,
      /^warning: examples\/topologies\/node-mesh\.yaml:21: sources\[1\]\.roles\[0\]: role "worker" places the DaemonSet's pods on nodes labelled node-role\.kubernetes\.io\/worker, and kubeadm does not/,
    );
    assert.ok(existsSync(join(dir, 'dist', 'checks.yaml')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('p2pnc synth: a UTF-16 topology is one line saying so, exit 1, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-cli-input-'));
  try {
    const file = join(dir, 'topology.yaml');
    writeFileSync(
      file,
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(readFileSync('topology.yaml', 'utf8'), 'utf16le')]),
    );
    const run = synth(file, join(dir, 'dist'));
    assert.equal(run.status, 1);
    assert.equal(
      run.stderr,
      `error: invalid topology ${file} (1 problem); fix the file and run again:\n  ${file}:1: (file): the file is UTF-16; save it as UTF-8\n`,
    );
    assert.ok(!existsSync(join(dir, 'dist')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
