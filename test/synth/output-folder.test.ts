/**
 * synth never deletes what it did not write: every refusal leaves every byte of the named path as it was, through the
 * real CLI (`bin/p2pnc.js synth`), and only missing, empty or p2pnc-written folders are (re)placed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { smallTopology } from '../helpers/topologies.js';

const cli = resolve('bin/p2pnc.js');

/** A workspace as a user has it: the topology next to other files, a git folder, a notes file. */
function workspace(): string {
  const work = mkdtempSync(join(tmpdir(), 'p2pnc-out-'));
  writeFileSync(join(work, 'topology.yaml'), stringify(smallTopology()));
  writeFileSync(join(work, 'notes.md'), '# my notes\n');
  mkdirSync(join(work, '.git', 'objects'), { recursive: true });
  writeFileSync(join(work, '.git', 'HEAD'), 'ref: refs/heads/main\n');
  return work;
}

function synth(cwd: string, output: string, file = 'topology.yaml') {
  const run = spawnSync(process.execPath, [cli, 'synth', '-f', file, '-o', output], { cwd, encoding: 'utf8' });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** Every entry under `root` (hidden ones too) with its type, mode and content hash or link target. */
function tree(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (path: string, rel: string) => {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) out.set(rel, `link ${readlinkSync(path)}`);
    else if (stats.isDirectory()) {
      out.set(rel, `dir ${stats.mode}`);
      for (const entry of readdirSync(path).sort()) walk(join(path, entry), `${rel}/${entry}`);
    } else out.set(rel, `file ${stats.mode} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`);
  };
  walk(root, '.');
  return out;
}

function assertRefused(result: ReturnType<typeof synth>, pattern: RegExp): void {
  assert.equal(result.code, 1, `exit 1 expected:\n${result.stderr}`);
  assert.match(result.stderr, /^error: refusing to write to /m);
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at |looks like a bug/);
  assert.equal(result.stdout, '');
}

describe('synth refuses folders it did not write, leaving every byte in place', () => {
  test('-o . (the folder holding the topology and .git)', () => {
    const work = workspace();
    const before = tree(work);
    assertRefused(synth(work, '.'), /holds files p2pnc did not write \(\.git\/, notes\.md, topology\.yaml\)/);
    assert.deepEqual(tree(work), before);
  });

  test('-o .. and -o naming the parent of the topology', () => {
    const work = workspace();
    const inner = join(work, 'config');
    mkdirSync(inner);
    writeFileSync(join(inner, 'topology.yaml'), stringify(smallTopology()));
    const before = tree(work);
    assertRefused(synth(inner, '..'), /did not write/);
    assertRefused(synth(inner, work), /did not write/);
    assert.deepEqual(tree(work), before);
  });

  test('-o naming a file', () => {
    const work = workspace();
    const before = tree(work);
    assertRefused(synth(work, 'notes.md'), /is a file, not a folder/);
    assertRefused(synth(work, 'topology.yaml'), /is a file, not a folder/);
    assert.deepEqual(tree(work), before);
  });

  test('a p2pnc folder with one file of the user added, or a subfolder per cluster', () => {
    const work = workspace();
    assert.equal(synth(work, 'dist').code, 0);
    writeFileSync(join(work, 'dist', 'README.md'), 'hand-written\n');
    let before = tree(work);
    assertRefused(synth(work, 'dist'), /\(README\.md\)/);
    assert.deepEqual(tree(work), before);

    const perCluster = join(work, 'clusters');
    assert.equal(synth(work, 'clusters/prod').code, 0);
    before = tree(work);
    assertRefused(synth(work, 'clusters'), /\(prod\/\)/);
    assert.deepEqual(tree(work), before);
    assert.ok(existsSync(join(perCluster, 'prod', 'kustomization.yaml')));
  });

  test("files with p2pnc's names but no p2pnc marker are someone else's", () => {
    const work = workspace();
    mkdirSync(join(work, 'manifests'));
    writeFileSync(join(work, 'manifests', 'checks.yaml'), 'apiVersion: v1\nkind: ConfigMap\n');
    writeFileSync(join(work, 'manifests', 'kustomization.yaml'), 'resources: [checks.yaml]\n');
    const before = tree(work);
    assertRefused(synth(work, 'manifests'), /kustomization\.yaml is missing or was not written by p2pnc/);
    assert.deepEqual(tree(work), before);
  });

  test('a long list of foreign entries is cut, and control characters in names are not echoed', () => {
    const work = workspace();
    const folder = join(work, 'full');
    mkdirSync(folder);
    for (let i = 0; i < 40; i++) writeFileSync(join(folder, `file-${String(i).padStart(2, '0')}`), `${i}`);
    writeFileSync(join(folder, 'evil\u001b[2Jname'), '');
    const before = tree(work);
    const result = synth(work, 'full');
    assertRefused(result, /and 36 more\)/);
    assert.doesNotMatch(result.stderr, /\u001b/);
    const error = result.stderr.split('\n').find((line) => line.startsWith('error:')) ?? '';
    assert.ok(error.length < 400, error);
    assert.deepEqual(tree(work), before);
  });

  test('a path through a file is a clear error, not a stack trace', () => {
    const work = workspace();
    const before = tree(work);
    const result = synth(work, 'notes.md/dist');
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^error: cannot write the output folder notes\.md\/dist: a part of the path is a file, not a folder/m,
    );
    assert.deepEqual(tree(work), before);
  });

  test('an invalid topology with -o . changes nothing either', () => {
    const work = workspace();
    writeFileSync(join(work, 'topology.yaml'), 'cluster: [broken\n');
    const before = tree(work);
    const result = synth(work, '.');
    assert.equal(result.code, 1);
    assert.deepEqual(tree(work), before);
  });
});

describe('synth writes where it may', () => {
  test('a missing folder (and its parents) is created; an empty one is filled', () => {
    const work = workspace();
    assert.equal(synth(work, 'out/prod').code, 0);
    assert.ok(existsSync(join(work, 'out', 'prod', 'checks.yaml')));
    mkdirSync(join(work, 'empty'));
    assert.equal(synth(work, 'empty').code, 0);
    assert.ok(existsSync(join(work, 'empty', 'kustomization.yaml')));
    assert.deepEqual(
      readdirSync(work).filter((entry) => entry.includes('staging')),
      [],
      'no staging folder left behind',
    );
  });

  test('its own earlier output is replaced whole', () => {
    const work = workspace();
    assert.equal(synth(work, 'dist').code, 0);
    writeFileSync(join(work, 'dist', 'monitoring.yaml'), '# left from a topology with monitoring\n');
    assert.equal(synth(work, 'dist').code, 0);
    assert.ok(!existsSync(join(work, 'dist', 'monitoring.yaml')), 'a chart that is gone leaves no file');
  });

  test('a symbolic link to its output folder is followed and stays a link', () => {
    const work = workspace();
    assert.equal(synth(work, 'real-dist').code, 0);
    symlinkSync('real-dist', join(work, 'dist'));
    assert.equal(synth(work, 'dist').code, 0);
    assert.ok(lstatSync(join(work, 'dist')).isSymbolicLink());
    assert.ok(existsSync(join(work, 'real-dist', 'checks.yaml')));
    symlinkSync('notes.md', join(work, 'to-notes'));
    const before = tree(work);
    assertRefused(synth(work, 'to-notes'), /is a file, not a folder/);
    assert.deepEqual(tree(work), before);
  });
});
