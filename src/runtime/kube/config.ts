/**
 * Where and how to reach the API server: in-cluster (the pod's ServiceAccount token, re-read as it rotates)
 * or a kubeconfig file (token, token file, client certificate, CA; exec credential plugins).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { parse } from 'yaml';
import { UserError } from '../../util/errors.js';

export interface KubeConfig {
  server: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecureSkipTlsVerify?: boolean;
  /** Returns the bearer token to send now (files and exec plugins are read again as credentials rotate). */
  token?: () => string | undefined;
  /** Namespace of the context, or of the pod in-cluster. */
  namespace?: string;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function inClusterConfig(dir = SERVICE_ACCOUNT_DIR): KubeConfig {
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new UserError('not running in a cluster (KUBERNETES_SERVICE_HOST is not set); pass --kubeconfig FILE');
  return {
    server: `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${dir}/ca.crt`),
    token: cachedFileReader(`${dir}/token`),
    namespace: readFileSync(`${dir}/namespace`, 'utf8').trim(),
  };
}

/** Loads `file` (default $KUBECONFIG, then ~/.kube/config) and its current or named context. */
export function kubeconfigFile(file?: string, contextName?: string): KubeConfig {
  const path = file ?? process.env.KUBECONFIG?.split(':')[0] ?? `${homedir()}/.kube/config`;
  let document: RawKubeconfig;
  try {
    document = parse(readFileSync(path, 'utf8')) as RawKubeconfig;
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
  }
  const name = contextName ?? document['current-context'];
  const context = document.contexts?.find((entry) => entry.name === name)?.context;
  if (!context) throw new UserError(`kubeconfig ${path} has no context "${name ?? ''}"; pass --context NAME`);
  const cluster = document.clusters?.find((entry) => entry.name === context.cluster)?.cluster;
  if (!cluster?.server) throw new UserError(`kubeconfig ${path}: context "${name}" names cluster "${context.cluster}", which has no server`);
  const user = document.users?.find((entry) => entry.name === context.user)?.user ?? {};
  return {
    server: cluster.server.replace(/\/$/, ''),
    ca: dataOrFile(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: dataOrFile(user['client-certificate-data'], user['client-certificate']),
    key: dataOrFile(user['client-key-data'], user['client-key']),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    token: user.token ? () => user.token : user.tokenFile ? cachedFileReader(user.tokenFile) : user.exec ? execCredential(user.exec) : undefined,
    namespace: context.namespace,
  };
}

/** In the cluster when the pod has a ServiceAccount token, else the kubeconfig. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string } = {}): KubeConfig {
  if (!options.kubeconfig && !options.context && process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG) return inClusterConfig();
  return kubeconfigFile(options.kubeconfig, options.context);
}

function dataOrFile(data: string | undefined, file: string | undefined): Buffer | undefined {
  if (data) return Buffer.from(data, 'base64');
  return file ? readFileSync(file) : undefined;
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
    const output = execFileSync(exec.command, exec.args ?? [], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const status = (JSON.parse(output) as { status?: { token?: string; expirationTimestamp?: string } }).status;
    token = status?.token;
    expires = status?.expirationTimestamp ? Date.parse(status.expirationTimestamp) - 30_000 : Date.now() + 60_000;
    return token;
  };
}

interface RawExec {
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
}

interface RawKubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority-data'?: string; 'certificate-authority'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users?: {
    name: string;
    user: { token?: string; tokenFile?: string; 'client-certificate-data'?: string; 'client-certificate'?: string; 'client-key-data'?: string; 'client-key'?: string; exec?: RawExec };
  }[];
}
