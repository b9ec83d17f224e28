/**
 * Where and how to reach the API server: in-cluster (the pod's ServiceAccount token, re-read as it rotates)
 * or a kubeconfig file (token, token file, client certificate, CA; exec credential plugins).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../util/errors.js';

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
 * Loads a kubeconfig as kubectl does: `file`, else every file of $KUBECONFIG (':'-separated; missing ones skipped),
 * else ~/.kube/config. Several files merge: the first to set current-context wins, and so does the first entry of
 * each cluster, user and context name. Relative paths (certificates, keys, token files) are relative to the file that
 * names them. `tls-server-name` is the name the server's certificate is checked against.
 */
export function kubeconfigFile(file?: string, contextName?: string): KubeConfig {
  const paths = file
    ? [file]
    : process.env.KUBECONFIG
      ? process.env.KUBECONFIG.split(delimiter).filter(Boolean)
      : [join(homedir(), '.kube', 'config')];
  const documents = paths.flatMap((path) => readKubeconfig(path, file !== undefined || paths.length === 1));
  const shown = paths.join(delimiter);
  if (documents.length === 0)
    throw new UserError(`cannot read kubeconfig ${shown}: no such file; pass --kubeconfig FILE`);
  const name = contextName ?? documents.find((document) => document.raw['current-context'])?.raw['current-context'];
  const context = first(documents, 'contexts', name);
  if (!context) throw new UserError(`kubeconfig ${shown} has no context "${name ?? ''}"; pass --context NAME`);
  const cluster = first(documents, 'clusters', context.entry.cluster);
  if (!cluster?.entry.server)
    throw new UserError(
      `kubeconfig ${shown}: context "${name}" names cluster "${context.entry.cluster}", which has no server`,
    );
  const user = first(documents, 'users', context.entry.user) ?? { entry: {}, dir: context.dir };
  const fromCluster = (value: string | undefined) => value && resolve(cluster.dir, value);
  const fromUser = (value: string | undefined) => value && resolve(user.dir, value);
  const { entry: u } = user;
  const { entry: c } = cluster;
  return {
    server: c.server.replace(/\/$/, ''),
    ca: dataOrFile(c['certificate-authority-data'], fromCluster(c['certificate-authority'])),
    cert: dataOrFile(u['client-certificate-data'], fromUser(u['client-certificate'])),
    key: dataOrFile(u['client-key-data'], fromUser(u['client-key'])),
    insecureSkipTlsVerify: c['insecure-skip-tls-verify'] === true,
    ...(c['tls-server-name'] ? { tlsServerName: c['tls-server-name'] } : {}),
    token: u.token
      ? () => u.token
      : u.tokenFile
        ? cachedFileReader(fromUser(u.tokenFile)!)
        : u.exec
          ? execCredential(u.exec)
          : undefined,
    namespace: context.entry.namespace,
  };
}

interface LoadedKubeconfig {
  raw: RawKubeconfig;
  /** The file's folder: relative paths in it are relative to this. */
  dir: string;
}

/** One file of the list; a missing file is skipped when others may stand in (as kubectl does with $KUBECONFIG). */
function readKubeconfig(path: string, required: boolean): LoadedKubeconfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (!required && (error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UserError(
      `cannot read kubeconfig ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file; pass --kubeconfig FILE' : (error as Error).message}`,
    );
  }
  try {
    return [{ raw: (parse(text) ?? {}) as RawKubeconfig, dir: dirname(resolve(path)) }];
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
}

type Section = 'contexts' | 'clusters' | 'users';
type EntryOf<S extends Section> = NonNullable<RawKubeconfig[S]>[number] extends { [key: string]: infer V }
  ? Exclude<V, string>
  : never;

/** The first entry of that name in any file, with the folder of the file it came from. */
function first<S extends Section>(
  documents: LoadedKubeconfig[],
  section: S,
  name: string | undefined,
): { entry: EntryOf<S>; dir: string } | undefined {
  if (name === undefined) return undefined;
  for (const { raw, dir } of documents) {
    const found = (raw[section] as { name: string }[] | undefined)?.find((item) => item.name === name) as
      Record<string, unknown> | undefined;
    if (found) {
      const key = section === 'contexts' ? 'context' : section === 'clusters' ? 'cluster' : 'user';
      return { entry: (found[key] ?? {}) as EntryOf<S>, dir };
    }
  }
  return undefined;
}

/** In the cluster when the pod has a ServiceAccount token, else the kubeconfig. */
export function loadKubeConfig(options: { kubeconfig?: string; context?: string } = {}): KubeConfig {
  if (!options.kubeconfig && !options.context && process.env.KUBERNETES_SERVICE_HOST && !process.env.KUBECONFIG)
    return inClusterConfig();
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
    const output = execFileSync(exec.command, exec.args ?? [], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
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
  clusters?: {
    name: string;
    cluster: {
      server: string;
      'certificate-authority-data'?: string;
      'certificate-authority'?: string;
      'insecure-skip-tls-verify'?: boolean;
      'tls-server-name'?: string;
    };
  }[];
  users?: {
    name: string;
    user: {
      token?: string;
      tokenFile?: string;
      'client-certificate-data'?: string;
      'client-certificate'?: string;
      'client-key-data'?: string;
      'client-key'?: string;
      exec?: RawExec;
    };
  }[];
}
