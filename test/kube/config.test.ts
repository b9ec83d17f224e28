// Kubeconfigs as kubectl reads them: $KUBECONFIG with several files merged (first wins), relative paths relative to
// the file that names them, tls-server-name checked against a real TLS server's certificate.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { KubeClient } from '../../src/runtime/kube/client.js';
import { kubeconfigFile } from '../../src/runtime/kube/config.js';
import { createTestPki, opensslMissing, type TestPki } from '../probe/support/certs.js';

let work: string;
before(() => {
  work = mkdtempSync(join(tmpdir(), 'p2pnc-kubeconfig-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

function withKubeconfigEnv<T>(value: string | undefined, run: () => T): T {
  const saved = process.env.KUBECONFIG;
  if (value === undefined) delete process.env.KUBECONFIG;
  else process.env.KUBECONFIG = value;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = saved;
  }
}

const cluster = (name: string, server: string, extra: Record<string, unknown> = {}) => ({
  name,
  cluster: { server, ...extra },
});
const context = (name: string, clusterName: string, user: string, namespace?: string) => ({
  name,
  context: { cluster: clusterName, user, ...(namespace ? { namespace } : {}) },
});

/** Writes a kubeconfig whose one context `a` joins cluster `c` (at `server`) and user `u`; returns its path. */
function writeOneContext(
  file: string,
  server: string,
  clusterExtra: Record<string, unknown> = {},
  user?: Record<string, unknown>,
): string {
  writeFileSync(
    file,
    stringify({
      'current-context': 'a',
      contexts: [context('a', 'c', 'u')],
      clusters: [cluster('c', server, clusterExtra)],
      ...(user ? { users: [{ name: 'u', user }] } : {}),
    }),
  );
  return file;
}

describe('kubeconfig files', () => {
  test('relative certificate, key and token paths are relative to the kubeconfig, not the working directory', () => {
    const dir = join(work, 'relative');
    mkdirSync(join(dir, 'pki'), { recursive: true });
    writeFileSync(join(dir, 'pki', 'ca.crt'), 'CA');
    writeFileSync(join(dir, 'pki', 'client.crt'), 'CERT');
    writeFileSync(join(dir, 'pki', 'client.key'), 'KEY');
    writeFileSync(join(dir, 'token'), 'secret-token\n');
    const file = writeOneContext(
      join(dir, 'config'),
      'https://127.0.0.1:6443',
      { 'certificate-authority': 'pki/ca.crt' },
      { 'client-certificate': 'pki/client.crt', 'client-key': './pki/client.key', tokenFile: 'token' },
    );
    const config = kubeconfigFile(file);
    assert.equal(config.ca?.toString(), 'CA');
    assert.equal(config.cert?.toString(), 'CERT');
    assert.equal(config.key?.toString(), 'KEY');
    assert.equal(config.token?.(), 'secret-token');
  });

  test('$KUBECONFIG with several files: merged, the first to set a value wins, missing files skipped', () => {
    const first = join(work, 'first');
    const second = join(work, 'second');
    writeFileSync(
      first,
      stringify({
        'current-context': 'prod',
        clusters: [cluster('shared', 'https://first.example:6443')],
        users: [{ name: 'me', user: { token: 'first-token' } }],
      }),
    );
    writeFileSync(
      second,
      stringify({
        'current-context': 'dev',
        contexts: [context('prod', 'shared', 'me', 'p2pnc-prod'), context('dev', 'shared', 'me')],
        clusters: [cluster('shared', 'https://second.example:6443')],
        users: [{ name: 'me', user: { token: 'second-token' } }],
      }),
    );
    const config = withKubeconfigEnv([first, join(work, 'missing'), second].join(':'), () => kubeconfigFile());
    assert.equal(config.server, 'https://first.example:6443', 'the first file that names the cluster wins');
    assert.equal(config.token?.(), 'first-token');
    assert.equal(config.namespace, 'p2pnc-prod', 'current-context comes from the first file that sets it');
    const dev = withKubeconfigEnv([first, second].join(':'), () => kubeconfigFile(undefined, 'dev'));
    assert.equal(dev.namespace, undefined);
  });

  test('errors name the files and what to pass', () => {
    assert.throws(
      () => withKubeconfigEnv(join(work, 'nope'), () => kubeconfigFile()),
      /cannot read kubeconfig .*nope: no such file; pass --kubeconfig FILE/,
    );
    assert.throws(() => kubeconfigFile(join(work, 'nope')), /cannot read kubeconfig .*nope: no such file/);
    const file = writeOneContext(join(work, 'one-context'), 'https://x:1');
    assert.throws(() => kubeconfigFile(file, 'b'), /has no context "b"; pass --context NAME/);
  });
});

const missing = opensslMissing();
describe('tls-server-name', { skip: missing !== undefined && process.env.CI !== 'true' ? missing : false }, () => {
  let pki: TestPki;
  let port: number;
  let server: ReturnType<typeof createServer>;
  before(async () => {
    pki = createTestPki();
    // The certificate names localhost and 127.0.0.1; the server is reached at 127.0.0.2, a name it does not carry.
    server = createServer({ key: pki.serverKey, cert: pki.serverCert }, (_req, res) => res.end('{"kind":"Status"}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  const reach = async (extra: Record<string, unknown>) => {
    const file = writeOneContext(
      join(work, `tls-${Object.keys(extra).join('-') || 'plain'}`),
      `https://127.0.0.2:${port}`,
      { 'certificate-authority-data': Buffer.from(pki.caCert).toString('base64'), ...extra },
      {},
    );
    const client = new KubeClient(kubeconfigFile(file));
    try {
      return await client.get<{ kind: string }>('/version', { timeoutMs: 5000 });
    } finally {
      client.close();
    }
  };

  test('the server certificate is checked against tls-server-name when the kubeconfig sets it', async () => {
    await assert.rejects(reach({}), /127\.0\.0\.2|altnames|IP/);
    assert.deepEqual(await reach({ 'tls-server-name': 'localhost' }), { kind: 'Status' });
  });
});

describe('kubeconfig credentials that are not PEM', () => {
  test('a client key or CA that cannot be parsed is refused when the client is made, naming what to fix', () => {
    const file = writeOneContext(
      join(work, 'bad-key'),
      'https://127.0.0.1:1',
      { 'certificate-authority-data': Buffer.from('not a certificate').toString('base64') },
      { 'client-key-data': Buffer.from('not a key').toString('base64') },
    );
    assert.throws(
      () => new KubeClient(kubeconfigFile(file)),
      (error: Error) =>
        error.name === 'UserError' &&
        /certificate-authority, client-certificate or client-key could not be loaded .*PEM/.test(error.message),
    );
  });
});
