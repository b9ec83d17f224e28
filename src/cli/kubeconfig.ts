/**
 * Kubeconfigs as kubectl reads them, for the operator commands users run with their own kubeconfigs (status,
 * diagnose, report, import, prune). The files are merged and the context picked as kubectl does
 * (runtime/kube/kubeconfig-files.ts: the first file's current-context and entries win, missing files are skipped,
 * relative paths are relative to their file); @kubernetes/client-node's KubeConfig then resolves the credentials: exec
 * plugins (tokens and client certificates), basic auth, OIDC auth-provider id-tokens, certificate files and data. The
 * result feeds the lean KubeClient, so requests share one keep-alive agent. Two things client-node does differently
 * from kubectl are done kubectl's way here: `tokenFile` (client-node ignores it; it wins over `token`, as in client-go)
 * and $KUBECONFIG's merge (client-node lets a later file's current-context win and refuses duplicate names).
 *
 * client-node costs ~75 MiB of RSS and ~0.5 s to load, so it is imported only here, when a command runs; the
 * long-running `p2pnc source` keeps the lean loader (runtime/kube/config.ts) and never loads it.
 */
import { readFileSync } from 'node:fs';
import type { KubeConfig as ClientConfig } from '../runtime/kube/config.js';
import { selectKubeconfig, type RawUser, type SelectedKubeconfig } from '../runtime/kube/kubeconfig-files.js';
import { UserError } from '../util/errors.js';

/** What applyToHTTPSOptions fills in. */
interface ResolvedOptions {
  headers: Record<string, string>;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
  /** Basic auth, "username:password". */
  auth?: string;
}

export async function resolveKubeconfig(options: { kubeconfig?: string; context?: string }): Promise<ClientConfig> {
  const selected = selectKubeconfig(options.kubeconfig, options.context);
  const { cluster, user, shown } = selected;
  if (user.as || user['as-groups'])
    throw new UserError(`kubeconfig ${shown}: user "${selected.userName}" impersonates (as:), which p2pnc does not do`);
  for (const file of [cluster['certificate-authority'], user['client-certificate'], user['client-key']])
    if (file) readNamedFile(file, selected);
  const tokenFile = user.tokenFile ? readTokenFile(user.tokenFile, selected) : undefined;
  const { KubeConfig } = await import('@kubernetes/client-node');
  const config = new KubeConfig();
  const userName = selected.userName ?? 'none';
  try {
    config.loadFromString(
      JSON.stringify({
        clusters: [{ name: selected.clusterName, cluster }],
        users: [{ name: userName, user: forClientNode(user, tokenFile !== undefined) }],
        contexts: [{ name: selected.contextName, context: { cluster: selected.clusterName, user: userName } }],
        'current-context': selected.contextName,
      }),
    );
  } catch (error) {
    throw new UserError(`kubeconfig ${shown}: ${firstLine(error)}`);
  }
  const resolved: ResolvedOptions = { headers: {} };
  try {
    await config.applyToHTTPSOptions(resolved);
  } catch (error) {
    throw credentialError(error, selected);
  }
  const header = resolved.headers.Authorization ?? resolved.headers.authorization;
  const basic = resolved.auth ? `Basic ${Buffer.from(resolved.auth).toString('base64')}` : undefined;
  return {
    server: cluster.server.replace(/\/$/, ''),
    ...(resolved.ca ? { ca: Buffer.from(resolved.ca) } : {}),
    ...(resolved.cert ? { cert: Buffer.from(resolved.cert) } : {}),
    ...(resolved.key ? { key: Buffer.from(resolved.key) } : {}),
    insecureSkipTlsVerify: resolved.rejectUnauthorized === false,
    ...(resolved.servername ? { tlsServerName: resolved.servername } : {}),
    ...(tokenFile ? { token: tokenFile } : {}),
    ...(!tokenFile && (header ?? basic) ? { authorization: () => header ?? basic } : {}),
    ...(cluster['proxy-url'] ? { proxyUrl: cluster['proxy-url'] } : {}),
    namespace: selected.context.namespace,
  };
}

/** The user as client-node should see it: without the token a tokenFile overrides; exec plugins told, as kubectl tells them, that no one is there to answer a prompt. */
function forClientNode(user: RawUser, hasTokenFile: boolean): RawUser {
  const { token, tokenFile: _tokenFile, ...rest } = user;
  const exec = user.exec && {
    ...user.exec,
    env: [
      ...(user.exec.env ?? []),
      {
        name: 'KUBERNETES_EXEC_INFO',
        value: JSON.stringify({
          apiVersion: user.exec.apiVersion ?? 'client.authentication.k8s.io/v1',
          kind: 'ExecCredential',
          spec: { interactive: false },
        }),
      },
    ],
  };
  return { ...rest, ...(token && !hasTokenFile ? { token } : {}), ...(exec ? { exec } : {}) };
}

/** kubectl reads tokenFile again as it rotates; a command is short, so once, checked now. */
function readTokenFile(file: string, selected: SelectedKubeconfig): () => string {
  const token = readNamedFile(file, selected).trim();
  return () => token;
}

function readNamedFile(file: string, selected: SelectedKubeconfig): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UserError(`kubeconfig ${selected.shown} names ${file}, which cannot be read: ${firstLine(error)}`);
  }
}

function credentialError(error: unknown, selected: SelectedKubeconfig): UserError {
  const exec = selected.user.exec;
  const where = `kubeconfig ${selected.shown}, user "${selected.userName}"`;
  if (exec) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (error as { syscall?: string }).syscall?.startsWith('spawn')) {
      const hint = typeof exec.installHint === 'string' ? ` (${firstLine(exec.installHint)})` : '';
      return new UserError(`${where}: exec plugin "${exec.command}" not found${hint}; install it or fix exec.command`);
    }
    if (error instanceof SyntaxError)
      return new UserError(`${where}: exec plugin "${exec.command}" did not print an ExecCredential (JSON)`);
    const message = firstLine(error);
    return new UserError(
      `${where}: exec plugin "${exec.command}" failed${message ? `: ${message}` : ' (exited non-zero, printed nothing)'}`,
    );
  }
  return new UserError(`${where}: ${firstLine(error)}`);
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find(Boolean) ?? ''
  );
}
