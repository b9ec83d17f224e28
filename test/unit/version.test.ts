/**
 * The version is written once, in package.json: `p2pnc --version`, the User-Agent the API server logs and the default
 * image tag agree with it, and no source file spells it a second time. (The bundle's and the image's: test/image.)
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_IMAGE } from '../../src/api/constants.js';
import { buildProgram } from '../../src/cli/main.js';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { createTestPki, opensslMissing } from '../probe/support/certs.js';

const ROOT = join(import.meta.dirname, '../..');
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

test('p2pnc --version prints package.json version', () => {
  assert.match(version, /^\d+\.\d+\.\d+/);
  assert.equal(buildProgram().version(), version);
});

test('the default image is tagged with the version', () => {
  assert.equal(DEFAULT_IMAGE, `ghcr.io/p2pnc/p2pnc:${version}`);
});

test('the API client sends User-Agent p2pnc/<version>', { skip: opensslMissing() ?? false }, async () => {
  const pki = createTestPki();
  const agents: (string | undefined)[] = [];
  const server = createServer({ cert: pki.serverCert, key: pki.serverKey }, (request, response) => {
    agents.push(request.headers['user-agent']);
    response.setHeader('Content-Type', 'application/json').end('{}');
  });
  try {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = new KubeClient({ server: `https://127.0.0.1:${port}`, ca: Buffer.from(pki.caCert) });
    await client.request('GET', '/version');
    assert.deepEqual(agents, [`p2pnc/${version}`]);
  } finally {
    server.closeAllConnections();
    server.close();
    pki.remove();
  }
});

test('no source file writes the version a second time', () => {
  const files = (dir: string): string[] =>
    readdirSync(join(ROOT, dir)).flatMap((entry) => {
      const path = join(dir, entry);
      return statSync(join(ROOT, path)).isDirectory() ? files(path) : /\.(ts|mjs|js|sh)$/.test(path) ? [path] : [];
    });
  const literal = new RegExp(
    `['"\`]${version.replaceAll('.', '\\.')}['"\`]|p2pnc[/:]${version.replaceAll('.', '\\.')}\\b`,
  );
  // formats.ts names an image reference as an example in its message, not p2pnc's version.
  const sources = ['src', 'charts', 'scripts', 'bin']
    .flatMap(files)
    .filter((file) => file !== 'src/topology/formats.ts');
  const spelled = [...sources, 'Dockerfile'].filter((file) => literal.test(readFileSync(join(ROOT, file), 'utf8')));
  assert.deepEqual(spelled, []);
});
