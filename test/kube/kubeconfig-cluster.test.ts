// The operator commands' kubeconfig (src/cli/kubeconfig.ts) against the real kube-apiserver bed: a client certificate
// an exec plugin returns, and a tokenFile, each authenticating a real `p2pnc status`.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { deployChecks } from '../cluster/source-fixtures.js';
import { mustKubectl, startOrSkip } from '../cluster/support.js';
import { runCli } from '../helpers/process.js';
import { createTestPki, opensslMissing } from '../probe/support/certs.js';

test(
  'status authenticates with an exec plugin’s client certificate and with a tokenFile',
  { skip: opensslMissing() ?? false },
  async (t) => {
    const pki = createTestPki();
    const work = mkdtempSync(join(tmpdir(), 'p2pnc-kubeconfig-bed-'));
    t.after(() => {
      pki.remove();
      rmSync(work, { recursive: true, force: true });
    });
    const cluster = await startOrSkip(t, { extraApiServerArgs: [`--client-ca-file=${pki.files.caCert}`] });
    if (!cluster) return;
    try {
      await deployChecks(cluster, {
        cluster: 'kubeconfig',
        nodes: [{ name: 'node-a', addresses: ['127.0.0.1'] }],
        sources: [{ name: 'prober', kind: 'Deployment' }],
        targets: [{ name: 'api', kind: 'endpoint', host: '127.0.0.1', port: 6443 }],
      });
      // The certificate's CN is the user name the API server sees.
      await mustKubectl(cluster, [
        'create',
        'clusterrolebinding',
        'probe-admin',
        '--clusterrole=cluster-admin',
        '--user=p2pnc-probe',
      ]);
      const ca = Buffer.from(
        (
          await mustKubectl(cluster, [
            'config',
            'view',
            '--raw',
            '-o',
            'jsonpath={.clusters[0].cluster.certificate-authority-data}',
          ])
        ).trim(),
        'base64',
      ).toString();
      writeFileSync(join(work, 'ca.crt'), ca);
      writeFileSync(
        join(work, 'credential.json'),
        JSON.stringify({
          apiVersion: 'client.authentication.k8s.io/v1',
          kind: 'ExecCredential',
          status: { clientCertificateData: pki.clientCert, clientKeyData: pki.clientKey },
        }),
      );
      writeFileSync(join(work, 'plugin'), `#!/bin/sh\ncat "${join(work, 'credential.json')}"\n`);
      chmodSync(join(work, 'plugin'), 0o755);
      writeFileSync(join(work, 'token'), `${cluster.token}\n`);
      const kubeconfig = (name: string, user: Record<string, unknown>) => {
        const file = join(work, name);
        writeFileSync(
          file,
          stringify({
            'current-context': 'bed',
            contexts: [{ name: 'bed', context: { cluster: 'bed', user: 'me', namespace: 'p2pnc' } }],
            clusters: [{ name: 'bed', cluster: { server: cluster.server, 'certificate-authority': 'ca.crt' } }],
            users: [{ name: 'me', user }],
          }),
        );
        return file;
      };
      const names = async (file: string) => {
        const run = await runCli(['status', '--kubeconfig', file, '-o', 'json']);
        assert.equal(run.code, 0, run.output);
        return JSON.stringify(JSON.parse(run.output)).match(/prober-to-api/g)?.length ?? 0;
      };
      assert.ok(
        (await names(
          kubeconfig('exec-cert', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: './plugin' } }),
        )) > 0,
        'the checks, read as p2pnc-probe',
      );
      assert.ok((await names(kubeconfig('token-file', { tokenFile: 'token', token: 'not-a-valid-token' }))) > 0);
      const rejected = await runCli([
        'status',
        '--kubeconfig',
        kubeconfig('bad-token', { token: 'not-a-valid-token' }),
      ]);
      assert.equal(rejected.code, 1, 'the bed does reject a bad token, so the two above authenticated');
    } finally {
      await cluster.stop();
    }
  },
);
