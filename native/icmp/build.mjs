#!/usr/bin/env node
// Builds native/icmp/icmp.c into build/native/icmp.node with the system's C compiler and the Node-API headers of the
// npm package node-api-headers (no node-gyp, no download). Skips the compile when the .node is newer than its source.
// Usage: node native/icmp/build.mjs [--force]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '../..');
const source = join(here, 'icmp.c');
export const ADDON_PATH = join(repoRoot, 'build/native/icmp.node');

/** Returns the addon's path; throws an Error saying what is missing when it cannot be built. */
export function buildIcmpAddon({ force = false } = {}) {
  if (!force && existsSync(ADDON_PATH) && statSync(ADDON_PATH).mtimeMs >= statSync(source).mtimeMs) return ADDON_PATH;
  let include;
  try {
    include = createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    throw new Error('native/icmp: the npm package node-api-headers is missing: run npm ci');
  }
  const cc = process.env.CC || 'gcc';
  mkdirSync(dirname(ADDON_PATH), { recursive: true });
  const partial = `${ADDON_PATH}.${process.pid}.tmp`;
  // Node-API symbols stay undefined in the shared object: node provides them when it loads the addon.
  const args = ['-O2', '-Wall', '-Wextra', '-Werror', '-fPIC', '-shared', '-s', '-I', include, '-o', partial, source];
  const run = spawnSync(cc, args, { encoding: 'utf8' });
  if (run.error || run.status !== 0) {
    const why = run.error ? `${cc} not found (install gcc)` : run.stderr.trim();
    throw new Error(`native/icmp: compiling ${source} failed: ${why}`);
  }
  renameSync(partial, ADDON_PATH);
  return ADDON_PATH;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const path = buildIcmpAddon({ force: process.argv.includes('--force') });
    console.log(`native/icmp: ${path} (${statSync(path).size} bytes)`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
