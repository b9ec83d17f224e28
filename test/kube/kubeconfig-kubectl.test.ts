// The operator commands read kubeconfigs as kubectl does (src/cli/kubeconfig.ts, through @kubernetes/client-node):
// real `p2pnc status` processes against a real TLS server that records what it was sent, a real CONNECT proxy, and
// exec plugins that are real programs. Where client-node differs from kubectl ($KUBECONFIG's current-context,
// tokenFile), kubectl's way is what is checked.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { runCli, startCli } from '../helpers/process.js';
import { createTestPki, opensslMissing, type TestPki } from '../probe/support/certs.js';

interface Seen {
  path: string;
  authorization: string | undefined;
  /** The client certificate's common name, when one was presented. */
  clientCn: string | undefined;
}

/** An HTTPS server that answers every request with an empty list and records who asked. */
async function listServer(pki: TestPki, host = '127.0.0.1'): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: false },
    (request, response) => {
      const peer = (request.socket as TLSSocket).getPeerCertificate();
      seen.push({
        path: request.url ?? '',
        authorization: request.headers.authorization,
        clientCn: (request.socket as TLSSocket).authorized ? (peer.subject?.CN as string | undefined) : undefined,
      });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, url: `https://${host}:${(server.address() as AddressInfo).port}`, seen };
}

/** A TLS server that refuses any connection without a client certificate its CA signed, as kube-apiserver can. */
async function certOnlyServer(pki: TestPki): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer(
    { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      seen.push({
        path: request.url ?? '',
        authorization: request.headers.authorization,
        clientCn: (request.socket as TLSSocket).getPeerCertificate().subject?.CN as string | undefined,
      });
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] }));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

/** An HTTP proxy that tunnels CONNECT, as squid or tinyproxy would, recording each tunnel asked for. */
async function connectProxy(): Promise<{
  server: HttpServer;
  url: string;
  tunnels: { target: string; auth?: string }[];
}> {
  const tunnels: { target: string; auth?: string }[] = [];
  const server = createHttpServer((_request, response) => response.writeHead(405).end());
  server.on('connect', (request, client, head) => {
    const target = request.url ?? '';
    tunnels.push({
      target,
      ...(request.headers['proxy-authorization'] ? { auth: request.headers['proxy-authorization'] } : {}),
    });
    const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tunnels };
}

const close = (server: Server | HttpServer) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let work: string;
let pki: TestPki;
let api: Awaited<ReturnType<typeof listServer>>;
const missing = opensslMissing();

/** Writes a one-context kubeconfig; `user` and `cluster` add to the entries. */
function kubeconfig(
  name: string,
  cluster: Record<string, unknown>,
  user: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): string {
  const file = join(work, name);
  writeFileSync(
    file,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      'current-context': 'ctx',
      contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u', namespace: 'p2pnc' } }],
      clusters: [
        {
          name: 'c',
          cluster: { 'certificate-authority-data': Buffer.from(pki.caCert).toString('base64'), ...cluster },
        },
      ],
      users: [{ name: 'u', user }],
      ...extra,
    }),
  );
  return file;
}

const status = (file: string, env: NodeJS.ProcessEnv = {}) =>
  runCli(['status', '--kubeconfig', file, '-o', 'json'], { NO_COLOR: '1', ...env });

/** The error output is one line starting with "error:", and no stack trace. */
function assertOneLineError(output: string, pattern: RegExp): void {
  const lines = output.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got:\n${output}`);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, pattern);
}

describe('kubeconfig as kubectl reads it, in the operator commands', { skip: missing ?? false }, () => {
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'p2pnc-kubectl-config-'));
    pki = createTestPki();
    api = await listServer(pki);
  });
  after(async () => {
    await close(api.server);
    pki.remove();
    rmSync(work, { recursive: true, force: true });
  });

  test('an exec plugin that returns a client certificate reaches a server that requires one', async () => {
    const server = await certOnlyServer(pki);
    try {
      const credential = join(work, 'credential.json');
      writeFileSync(
        credential,
        JSON.stringify({
          apiVersion: 'client.authentication.k8s.io/v1',
          kind: 'ExecCredential',
          status: { clientCertificateData: pki.clientCert, clientKeyData: pki.clientKey },
        }),
      );
      const plugin = join(work, 'bin', 'cert-plugin');
      mkdirSync(join(work, 'bin'), { recursive: true });
      // kubectl tells the plugin what it wants in KUBERNETES_EXEC_INFO; the plugin records it.
      writeFileSync(
        plugin,
        `#!/bin/sh\nprintf '%s' "$KUBERNETES_EXEC_INFO" > "${work}/exec-info"\ncat "${credential}"\n`,
      );
      chmodSync(plugin, 0o755);
      // A command with a '/' is relative to the kubeconfig's folder, as in kubectl.
      const file = kubeconfig(
        'exec-cert',
        { server: server.url },
        { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './bin/cert-plugin' } },
      );
      const run = await status(file);
      assert.equal(run.code, 0, run.output);
      assert.ok(server.seen.length > 0, 'the server answered');
      assert.ok(server.seen.every((seen) => seen.clientCn === 'p2pnc-probe'));
      // The check shards first (namespaces labelled as the namespace's), then the checks.
      assert.ok(
        server.seen.some((seen) => /\/namespaces\/p2pnc\/podnetworkconnectivitychecks/.test(seen.path)),
        server.seen.map((seen) => seen.path).join('\n'),
      );
    } finally {
      await close(server.server);
    }
  });

  test('proxy-url: requests go through the proxy in a CONNECT tunnel, TLS end to end', async () => {
    const proxy = await connectProxy();
    const server = await listServer(pki);
    try {
      const port = new URL(server.url).port;
      const file = kubeconfig(
        'proxied',
        { server: `https://localhost:${port}`, 'proxy-url': proxy.url.replace('http://', 'http://me:s%40cret@') },
        { token: 'through-the-proxy' },
      );
      const run = await status(file);
      assert.equal(run.code, 0, run.output);
      assert.ok(proxy.tunnels.length > 0, 'the proxy was asked for a tunnel');
      assert.deepEqual(proxy.tunnels[0], {
        target: `localhost:${port}`,
        auth: `Basic ${Buffer.from('me:s@cret').toString('base64')}`,
      });
      assert.equal(server.seen[0]?.authorization, 'Bearer through-the-proxy');
      const tunnels = proxy.tunnels.length;
      const direct = await status(kubeconfig('unproxied', { server: server.url }, { token: 't' }));
      assert.equal(direct.code, 0, direct.output);
      assert.equal(proxy.tunnels.length, tunnels, 'without proxy-url, no tunnel');
    } finally {
      await close(server.server);
      await close(proxy.server);
    }
  });

  test('a proxy that refuses the tunnel is one clear error', async () => {
    const refusing = createHttpServer();
    refusing.on('connect', (_request, socket) => socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`;
      const run = await status(kubeconfig('refused-proxy', { server: api.url, 'proxy-url': proxyUrl }, { token: 't' }));
      assert.equal(run.code, 1);
      assertOneLineError(run.output, /refused CONNECT 127\.0\.0\.1:\d+: HTTP 403/);
    } finally {
      await close(refusing);
    }
  });

  test('tokenFile is read, relative to the kubeconfig, and wins over token (client-node ignores it)', async () => {
    mkdirSync(join(work, 'tokens'), { recursive: true });
    writeFileSync(join(work, 'tokens', 'sa'), 'from-the-file\n');
    const file = kubeconfig('token-file', { server: api.url }, { token: 'inline', tokenFile: 'tokens/sa' });
    const before = api.seen.length;
    const run = await status(file);
    assert.equal(run.code, 0, run.output);
    assert.equal(api.seen[before]?.authorization, 'Bearer from-the-file');
  });

  test('$KUBECONFIG with several files: the first file’s current-context wins (client-node takes the last)', async () => {
    const other = await listServer(pki);
    try {
      const first = kubeconfig('first', { server: api.url }, { token: 'first' });
      const second = join(work, 'second');
      writeFileSync(
        second,
        stringify({
          'current-context': 'other',
          contexts: [{ name: 'other', context: { cluster: 'o', user: 'o' } }],
          clusters: [
            {
              name: 'o',
              cluster: { server: other.url, 'certificate-authority-data': Buffer.from(pki.caCert).toString('base64') },
            },
            { name: 'c', cluster: { server: 'https://127.0.0.1:1' } },
          ],
          users: [{ name: 'o', user: { token: 'second' } }],
        }),
      );
      const before = api.seen.length;
      const run = await runCli(['status', '-o', 'json'], { KUBECONFIG: `${first}:${join(work, 'absent')}:${second}` });
      assert.equal(run.code, 0, run.output);
      assert.equal(api.seen[before]?.authorization, 'Bearer first');
      assert.equal(
        other.seen.length,
        0,
        'the second file’s current-context and its duplicate cluster "c" are not used',
      );
      const chosen = await runCli(['status', '-o', 'json', '--context', 'other'], { KUBECONFIG: `${first}:${second}` });
      assert.equal(chosen.code, 0, chosen.output);
      assert.equal(other.seen[0]?.authorization, 'Bearer second');
    } finally {
      await close(other.server);
    }
  });

  test('basic auth and an OIDC auth-provider id-token are sent as kubectl sends them', async () => {
    let before = api.seen.length;
    const basic = await status(kubeconfig('basic', { server: api.url }, { username: 'admin', password: 'pa:ss' }));
    assert.equal(basic.code, 0, basic.output);
    assert.equal(api.seen[before]?.authorization, `Basic ${Buffer.from('admin:pa:ss').toString('base64')}`);

    const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const idToken = `${segment({ alg: 'RS256' })}.${segment({ iss: 'https://idp.example', exp: 4_102_444_800 })}.c2ln`;
    before = api.seen.length;
    const oidc = await status(
      kubeconfig(
        'oidc',
        { server: api.url },
        {
          'auth-provider': {
            name: 'oidc',
            config: { 'client-id': 'kubectl', 'id-token': idToken, 'idp-issuer-url': 'https://idp.example' },
          },
        },
      ),
    );
    assert.equal(oidc.code, 0, oidc.output);
    assert.equal(api.seen[before]?.authorization, `Bearer ${idToken}`);
  });

  test('a missing plugin, a plugin that fails and a broken file are each one line, exit 1', async () => {
    const notFound = await status(
      kubeconfig(
        'no-plugin',
        { server: api.url },
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'p2pnc-test-no-such-plugin',
            installHint: 'Install it with: apt install p2pnc-auth',
          },
        },
      ),
    );
    assert.equal(notFound.code, 1);
    assertOneLineError(
      notFound.output,
      /user "u": exec plugin "p2pnc-test-no-such-plugin" not found \(Install it with: apt install p2pnc-auth\)/,
    );

    const failing = await status(
      kubeconfig(
        'failing-plugin',
        { server: api.url },
        {
          exec: {
            apiVersion: 'client.authentication.k8s.io/v1',
            command: 'sh',
            args: ['-c', 'echo "session expired: run login" >&2; exit 3'],
          },
        },
      ),
    );
    assert.equal(failing.code, 1);
    assertOneLineError(failing.output, /exec plugin "sh" failed: session expired: run login/);

    const broken = join(work, 'broken');
    writeFileSync(broken, 'clusters: [\n');
    const bad = await status(broken);
    assert.equal(bad.code, 1);
    assertOneLineError(bad.output, /cannot read kubeconfig .*broken: /);

    const noCa = await status(kubeconfig('no-ca', { server: api.url, 'certificate-authority': 'missing/ca.crt' }, {}));
    assert.equal(noCa.code, 1);
    assertOneLineError(noCa.output, /names .*missing\/ca\.crt, which cannot be read/);
  });

  test('p2pnc source never loads @kubernetes/client-node; the operator commands do', async () => {
    // A loader hook that refuses client-node: the source runs on regardless, status cannot.
    const hook = join(work, 'refuse-client-node.mjs');
    writeFileSync(
      hook,
      `export async function resolve(specifier, context, next) {\n` +
        `  if (specifier.startsWith('@kubernetes/client-node')) throw new Error('client-node was loaded');\n` +
        `  return next(specifier, context);\n}\n`,
    );
    const register = join(work, 'register.mjs');
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hook}`)});\n`,
    );
    const env = { NODE_OPTIONS: `--import=${register}` };
    const file = kubeconfig('closed', { server: 'https://127.0.0.1:1' }, { token: 't' });
    const refused = await status(file, env);
    assert.match(refused.output, /client-node was loaded/, 'the hook works');
    const source = startCli(
      ['source', '--source', 'x', '--kubeconfig', file, '--metrics-port', '0', '--no-leader-elect'],
      env,
    );
    const deadline = Date.now() + 30_000;
    while (!/source started/.test(source.output()) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const code = await source.stop();
    assert.doesNotMatch(source.output(), /client-node was loaded/);
    assert.match(source.output(), /source started/);
    assert.equal(code, 0, source.output());
  });
});
