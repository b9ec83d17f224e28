/**
 * The esbuild bundle runs with plain node and no node_modules; the runtime commands never load the synth chunk, and
 * by the bundle's module graph they can load no zod and nothing of src/topology/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { httpRequest, spawnTarget } from '../target/support.js';
import { type Metafile, chainsTo, reachableInputs } from './bundle-graph.js';
import { REPO_ROOT, freePort, run } from './support.js';

let work: string;
let entry: string;
let synthChunks: string[];
let metafile: Metafile;

before(
  async () => {
    // Bundled straight into a temp folder (scripts/image/build.sh may be writing build/bundle/ meanwhile),
    // which has no node_modules above it: what the image has.
    work = mkdtempSync(join(tmpdir(), 'p2pnc-bundle-'));
    const bundleDir = join(work, 'app');
    const built = await run(process.execPath, [join(REPO_ROOT, 'scripts/image/bundle.mjs')], {
      env: { ...process.env, P2PNC_BUNDLE_DIR: bundleDir, P2PNC_BUNDLE_METAFILE: join(work, 'meta.json') },
    });
    assert.equal(built.code, 0, built.stderr);
    metafile = JSON.parse(readFileSync(join(work, 'meta.json'), 'utf8')) as Metafile;
    entry = join(bundleDir, 'p2pnc.mjs');
    // bundle.mjs names each file's role; the synth command's chunk is the one with cdk8s.
    synthChunks = [...built.stdout.matchAll(/^bundle: (\S+)\s.*on demand \(synth, cdk8s\)$/gm)].map((match) =>
      join(bundleDir, match[1]!),
    );
  },
  { timeout: 120_000 },
);
after(() => {
  rmSync(work, { recursive: true, force: true });
});

function cli(...args: string[]) {
  return run(process.execPath, [entry, ...args], { cwd: work });
}

test('one entry file plus chunks, one of them the synth chunk; no node_modules above', () => {
  // Native addons (icmp.node) sit beside the entry, which loads them by that path.
  const files = readdirSync(join(work, 'app')).filter((name) => !name.endsWith('.node'));
  assert.deepEqual(files.sort(), ['chunks', 'p2pnc.mjs']);
  assert.equal(synthChunks.length, 1, 'one on-demand chunk with cdk8s');
  assert.ok(existsSync(synthChunks[0]!), synthChunks[0]);
  for (let dir = work; dir !== '/'; dir = join(dir, '..'))
    assert.ok(!existsSync(join(dir, 'node_modules')), `${dir}/node_modules exists`);
});

const SCHEMA_CODE = /(^|\/)node_modules\/zod\/|^src\/topology\//;

test('p2pnc source, target and check can load no zod and nothing of src/topology/', (t) => {
  const reachable = reachableInputs(metafile, ['source', 'target', 'check']);
  assert.ok(reachable.has('src/runtime/source/run-source.ts'), "the source command's dynamic import is followed");
  assert.ok(reachable.has('src/runtime/target/server.ts'));
  assert.deepEqual(chainsTo(reachable, SCHEMA_CODE), []);
  t.diagnostic(`${reachable.size} modules`);
});

test('the graph shows zod where it is: p2pnc schema and synth reach it', () => {
  assert.notDeepEqual(chainsTo(reachableInputs(metafile, ['schema']), /(^|\/)node_modules\/zod\//), []);
  assert.notDeepEqual(chainsTo(reachableInputs(metafile, ['synth']), SCHEMA_CODE), []);
});

test('synth runs from the bundle (the on-demand chunk loads)', async () => {
  const synth = await cli('synth', '-f', join(REPO_ROOT, 'topology.yaml'), '-o', join(work, 'dist'));
  assert.equal(synth.code, 0, synth.stderr);
  assert.match(synth.stdout, /^wrote \d+ files with \d+ checks to /);
});

test('without the synth chunk: check and target still work, synth does not', async () => {
  for (const chunk of synthChunks) rmSync(chunk);

  const version = await cli('--version');
  assert.equal(version.code, 0, version.stderr);
  const packageJson = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
  assert.equal(version.stdout.trim(), packageJson.version, 'the bundle carries package.json version');

  const listener = createServer((socket) => socket.end()).listen(0, '127.0.0.1');
  await new Promise((resolve) => listener.once('listening', resolve));
  const { port } = listener.address() as { port: number };
  const reachable = await cli('check', 'tcp-endpoint', `127.0.0.1:${port}`);
  listener.close();
  assert.equal(reachable.code, 0, reachable.stderr);
  assert.match(reachable.stdout, new RegExp(`tcp connection to 127\\.0\\.0\\.1:${port} succeeded`));
  const refused = await cli('check', 'tcp-endpoint', `127.0.0.1:${await freePort()}`);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /connection refused/);

  const target = await spawnTarget(['--host', '127.0.0.1'], { entry, env: { P2PNC_NODE_NAME: 'bundle-node' } });
  const response = await httpRequest(target.port);
  assert.equal((JSON.parse(response.body) as { node: string }).node, 'bundle-node');
  target.child.kill('SIGTERM');
  assert.equal((await target.exited).code, 0, target.stderr());

  const synth = await cli('synth', '-f', join(REPO_ROOT, 'topology.yaml'), '-o', join(work, 'dist2'));
  assert.notEqual(synth.code, 0, 'synth needs the chunk that was removed');
});
