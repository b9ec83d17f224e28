/**
 * Kubeconfig files read and merged as kubectl reads them, then one context picked: `file`, else every file of
 * $KUBECONFIG (':'-separated; missing ones skipped), else ~/.kube/config. Several files merge: the first to set
 * current-context wins, and so does the first entry of each cluster, user and context name. Relative paths
 * (certificate-authority, client-certificate, client-key, tokenFile, and an exec command with a '/') are relative to
 * the file that names them. Both the lean loader (config.ts, for `p2pnc source`) and the kubectl-compatible one of the
 * operator commands (cli/kubeconfig.ts) start from here.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../../util/errors.js';

export interface RawExec {
  apiVersion?: string;
  command: string;
  args?: string[];
  env?: { name: string; value: string }[];
  [field: string]: unknown;
}

export interface RawCluster {
  server: string;
  'certificate-authority-data'?: string;
  'certificate-authority'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  [field: string]: unknown;
}

export interface RawUser {
  token?: string;
  tokenFile?: string;
  'client-certificate-data'?: string;
  'client-certificate'?: string;
  'client-key-data'?: string;
  'client-key'?: string;
  username?: string;
  password?: string;
  exec?: RawExec;
  'auth-provider'?: { name: string; config?: Record<string, string> };
  [field: string]: unknown;
}

export interface RawContext {
  cluster: string;
  user?: string;
  namespace?: string;
}

interface RawKubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: RawContext }[];
  clusters?: { name: string; cluster: RawCluster }[];
  users?: { name: string; user: RawUser }[];
}

/** The context a command runs in: its entries with paths made absolute. */
export interface SelectedKubeconfig {
  /** The files read, as given (for messages). */
  shown: string;
  contextName: string;
  context: RawContext;
  clusterName: string;
  cluster: RawCluster;
  userName: string | undefined;
  user: RawUser;
}

/** The files kubectl would read. */
export function kubeconfigPaths(file?: string): string[] {
  if (file) return [file];
  const list = process.env.KUBECONFIG?.split(delimiter).filter(Boolean) ?? [];
  return list.length > 0 ? list : [join(homedir(), '.kube', 'config')];
}

/** Reads and merges the files, and picks `contextName` (else the merged current-context) with its cluster and user. */
export function selectKubeconfig(file?: string, contextName?: string): SelectedKubeconfig {
  const paths = kubeconfigPaths(file);
  const shown = paths.join(delimiter);
  const documents = paths.flatMap((path) => readKubeconfig(path, file !== undefined || paths.length === 1));
  if (documents.length === 0)
    throw new UserError(`cannot read kubeconfig ${shown}: no such file; pass --kubeconfig FILE`);
  const name = contextName ?? documents.find((document) => document['current-context'])?.['current-context'];
  if (!name) throw new UserError(`kubeconfig ${shown} sets no current-context; pass --context NAME`);
  const context = first(documents, 'contexts', name);
  if (!context?.cluster) throw new UserError(`kubeconfig ${shown} has no context "${name}"; pass --context NAME`);
  const cluster = first(documents, 'clusters', context.cluster);
  if (!cluster?.server)
    throw new UserError(
      `kubeconfig ${shown}: context "${name}" names cluster "${context.cluster}", which has no server`,
    );
  const user = context.user ? first(documents, 'users', context.user) : {};
  if (!user)
    throw new UserError(`kubeconfig ${shown}: context "${name}" names user "${context.user}", which is not there`);
  return {
    shown,
    contextName: name,
    context,
    clusterName: context.cluster,
    cluster,
    userName: context.user,
    user,
  };
}

/** One file of the list, its paths made absolute; a missing file is skipped when others may stand in. */
function readKubeconfig(path: string, required: boolean): RawKubeconfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!required && code === 'ENOENT') return [];
    throw new UserError(
      `cannot read kubeconfig ${path}: ${code === 'ENOENT' ? 'no such file; pass --kubeconfig FILE' : (error as Error).message}`,
    );
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (error) {
    throw new UserError(`cannot read kubeconfig ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new UserError(
      `cannot read kubeconfig ${path}: not a kubeconfig (a YAML mapping with clusters, users, contexts)`,
    );
  return [absolutePaths(raw as RawKubeconfig, dirname(resolve(path)))];
}

function absolutePaths(raw: RawKubeconfig, dir: string): RawKubeconfig {
  const at = (value: unknown) => (typeof value === 'string' && value !== '' ? resolve(dir, value) : value);
  const list = <T>(value: T[] | undefined): T[] => (Array.isArray(value) ? value : []);
  return {
    ...raw,
    clusters: list(raw.clusters).map((entry) => ({
      ...entry,
      cluster: entry?.cluster && {
        ...entry.cluster,
        'certificate-authority': at(entry.cluster['certificate-authority']) as string | undefined,
      },
    })),
    users: list(raw.users).map((entry) => {
      const user = entry?.user;
      if (!user) return entry;
      const exec = user.exec;
      return {
        ...entry,
        user: {
          ...user,
          'client-certificate': at(user['client-certificate']) as string | undefined,
          'client-key': at(user['client-key']) as string | undefined,
          tokenFile: at(user.tokenFile) as string | undefined,
          // Like kubectl: a command with a path separator is a path; a bare name is looked up in $PATH.
          ...(exec?.command && exec.command.includes('/') && !isAbsolute(exec.command)
            ? { exec: { ...exec, command: resolve(dir, exec.command) } }
            : {}),
        },
      };
    }),
  };
}

type Section = 'contexts' | 'clusters' | 'users';
type EntryOf<S extends Section> = S extends 'contexts' ? RawContext : S extends 'clusters' ? RawCluster : RawUser;

/** The first entry of that name in any file. */
function first<S extends Section>(documents: RawKubeconfig[], section: S, name: string): EntryOf<S> | undefined {
  const key = section === 'contexts' ? 'context' : section === 'clusters' ? 'cluster' : 'user';
  for (const document of documents) {
    const found = (document[section] as { name?: string }[] | undefined)?.find((item) => item?.name === name) as
      Record<string, unknown> | undefined;
    if (found) return (found[key] ?? {}) as EntryOf<S>;
  }
  return undefined;
}
