/**
 * Where and how to reach the API server, for the lean KubeClient: in-cluster (the pod's ServiceAccount token, re-read
 * as it rotates) or a kubeconfig file (token, token file, client certificate, CA; exec credential plugins).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { UserError } from '../../util/errors.js';
import { selectKubeconfig, type RawExec } from './kubeconfig-files.js';

export interface KubeConfig {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** The name to check the server's certificate against, when it is not the server's host (kubeconfig tls-server-name). */
  tlsServerName?: string;
  /** Returns the bearer token to send now (files and exec plugins are read again as credentials rotate). */
  token?: () => string | undefined;
  /** The Authorization header to send when there is no bearer token (basic auth, resolved by cli/kubeconfig.ts). */
  authorization?: () => string | undefined;
  /** An http:// proxy to tunnel through with CONNECT (kubeconfig proxy-url). */
  proxyUrl?: string;
  /** Namespace of the context, or of the pod in-cluster. */
  namespace?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterConfig(dir = SERVICE_ACCOUNT_DIR): KubeConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host)
    throw new UserError('not running in a cluster (KUBERNETES_SERVICE_HOST is not set); pass --kubeconfig FILE');
  return {
    server: `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    token: cachedFileReader(`${dir}/token`),
    namespace: readFileSync(`${dir}/namespace`, 'utf8').trim(),
  };
}

/**
 * Loads a kubeconfig as kubectl does (see kubeconfig-files.ts: $KUBECONFIG merged, relative paths), with the
 * credentials this lean loader knows: token, tokenFile (re-read as it rotates; it wins over token, as in client-go),
 * client certificate and key, and exec plugins that return a token. `tls-server-name` is the name the server's
 * certificate is checked against. The operator commands resolve the rest (exec plugins that return certificates,
 * basic auth, OIDC, proxy-url) through @kubernetes/client-node: cli/kubeconfig.ts.
 */
export function kubeconfigFile(file?: string, contextName?: string): KubeConfig {
  const { cluster: c, user: u, context } = selectKubeconfig(file, contextName);
  return {
    server: c.server.replace(/\/$/, ''),
    ca: dataOrFile(c['certificate-authority-data'], c['certificate-authority']),
    cert: dataOrFile(u['client-certificate-data'], u['client-certificate']),
    key: dataOrFile(u['client-key-data'], u['client-key']),
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    ...(c['tls-server-name'] ? { tlsServerName: c['tls-server-name'] } : {}),
    token: u.tokenFile
      ? cachedFileReader(u.tokenFile)
      : u.token
        ? () => u.token
        : u.exec
          ? execCredential(u.exec)
          : undefined,
    namespace: context.namespace,
  };
}

/**
 * Configurations resolved ahead by the operator commands (cli/kubeconfig.ts, which is async: exec plugins), by the
 * options they were resolved for: loadKubeConfig returns them instead of loading the lean way. A resolution that
 * failed is kept as its error and thrown when the command reads the cluster, so its own usage errors come first.
 */
const resolvedAhead = new Map<string, KubeConfig | Error>();

function optionsKey(options: { kubeconfig?: string; context?: string }): string {
  return JSON.stringify([options.kubeconfig ?? null, options.context ?? null, process.env.KUBECONFIG ?? null]);
}

/** Makes loadKubeConfig(options) return `config`, or throw it (undefined: forget every one resolved ahead). */
export function useResolvedKubeConfig(
  options: { kubeconfig?: string; context?: string },
  config: KubeConfig | Error | undefined,
): void {
  resolvedAhead.clear();
  if (config) resolvedAhead.set(optionsKey(options), config);
}

/** In a pod, with no kubeconfig named: the ServiceAccount is used. */
export function usesInClusterConfig(options: { kubeconfig?: string; context?: string }): boolean {
  return !options.kubeconfig && !options.context && !!process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG;
}

/** In the cluster when the pod has a ServiceAccount token, else the kubeconfig. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string } = {}): KubeConfig {
  const ahead = resolvedAhead.get(optionsKey(options));
  if (ahead instanceof Error) throw ahead;
  if (ahead) return ahead;
  if (usesInClusterConfig(options)) return inClusterConfig();
  return kubeconfigFile(options.kubeconfig, options.context);
}

function dataOrFile(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UserError(`cannot read ${file}, which the kubeconfig names: ${(error as Error).message}`);
  }
}

/** Re-reads a token file at most once a minute: projected ServiceAccount tokens rotate. */
function cachedFileReader(file: string): () => string {
  let value = '';
  let readAt = 0;
  return () => {
    if (Date.now() - readAt > 60_000) {
      value = readFileSync(file, 'utf8').trim();
      readAt = Date.now();
    }
    return value;
  };
}

function execCredential(exec: RawExec): () => string | undefined {
  let token: string | undefined;
  let expires = 0;
  return () => {
    if (token && Date.now() < expires) return token;
    const env = { ...process.env, ...Object.fromEntries((exec.env ?? []).map((entry) => [entry.name, entry.value])) };
    let status: { token?: string; expirationTimestamp?: string } | undefined;
    try {
      const output = execFileSync(exec.command, exec.args ?? [], {
        env,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      status = (JSON.parse(output) as { status?: typeof status }).status;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new UserError(
        `kubeconfig exec plugin "${exec.command}" ${code === 'ENOENT' ? 'not found; install it or fix exec.command' : `failed: ${(error as Error).message.split('\n')[0]}`}`,
      );
    }
    token = status?.token;
    expires = status?.expirationTimestamp ? Date.parse(status.expirationTimestamp) - 30_000 : Date.now() + 60_000;
    return token;
  };
}
