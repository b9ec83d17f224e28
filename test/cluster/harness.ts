// A real Kubernetes control plane (etcd + kube-apiserver, no kubelet or controllers) on
// loopback for tests, or an external cluster when P2PNC_TEST_KUBECONFIG is set. See README.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPair, randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/cluster/build.sh');
const BINARIES = ['kube-apiserver', 'etcd', 'kubectl'] as const;
const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export class ClusterUnavailable extends Error {
  override readonly name = 'ClusterUnavailable';
  constructor(readonly reason: string) {
    super(`test cluster unavailable: ${reason}`);
  }
}

export interface StartClusterOptions {
  /** Where the binaries live; default $P2PNC_CLUSTER_BIN_DIR or .cache/cluster-bin. */
  binDir?: string;
  /** Run scripts/cluster/build.sh when Go is on PATH (a no-op when up to date). Default true. */
  build?: boolean;
  /** How long etcd and kube-apiserver each get to become ready. Default 60 s. */
  readyTimeoutMs?: number;
  /**
   * Admission plugins to turn off. Default ['ServiceAccount']: with no controller-manager no
   * namespace gets its `default` ServiceAccount, and that plugin would reject every Pod without one.
   */
  disableAdmissionPlugins?: string[];
  /** Appended to the kube-apiserver command line. */
  extraApiServerArgs?: string[];
  /**
   * IPv4 address kube-apiserver binds to, advertises and is reached at (its self-signed certificate names it).
   * Default 127.0.0.1; an address on a test bridge lets processes in network namespaces reach it.
   */
  bindAddress?: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin. */
  input?: string;
  /** Act as this bearer token (e.g. from tokenFor) instead of the admin. */
  token?: string;
  /** Kill kubectl after this long. Default 60 s. */
  timeoutMs?: number;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Cluster {
  /** Admin kubeconfig. */
  kubeconfig: string;
  server: string;
  /** Admin bearer token ('' for an external cluster whose kubeconfig uses no token). */
  token: string;
  /** Directory of the built binaries (undefined for an external cluster with no local build). */
  binDir: string | undefined;
  /** True when P2PNC_TEST_KUBECONFIG chose the cluster: stop() leaves it running. */
  external: boolean;
  /** The local control plane's directory (certs/apiserver.crt, sa.key, logs); undefined for an external cluster. */
  dir: string | undefined;
  /** Process ids of the local etcd and kube-apiserver while they run (none for an external cluster). */
  pids(): number[];
  /** Runs kubectl against the cluster; never throws on a non-zero exit. */
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  /** A TokenRequest token for a ServiceAccount (no controller-manager creates Secrets for them). */
  tokenFor(namespace: string, serviceAccount: string, durationSeconds?: number): Promise<string>;
  /** A kubeconfig that authenticates with the given token. */
  kubeconfigFor(token: string): Promise<string>;
  /** Kills kube-apiserver (a control-plane outage); etcd keeps the data. */
  stopApiServer(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same etcd, and waits until ready. */
  startApiServer(): Promise<void>;
  stop(): Promise<void>;
}

type BaseCluster = Omit<Cluster, 'tokenFor'>;

interface ClusterEntry {
  server: string;
  caData?: string;
  insecure?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Availability and binaries

export function defaultBinDir(): string {
  return process.env['P2PNC_CLUSTER_BIN_DIR'] ?? join(REPO_ROOT, '.cache/cluster-bin');
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

function hasBinaries(binDir: string): boolean {
  return BINARIES.every((name) => existsSync(join(binDir, name)));
}

export async function clusterAvailable(): Promise<{ ok: boolean; reason?: string }> {
  const external = process.env['P2PNC_TEST_KUBECONFIG'];
  if (external) {
    return existsSync(external)
      ? { ok: true }
      : { ok: false, reason: `P2PNC_TEST_KUBECONFIG=${external} does not exist` };
  }
  if (hasBinaries(defaultBinDir()) || findOnPath('go')) return { ok: true };
  return { ok: false, reason: `no binaries in ${defaultBinDir()} and no Go toolchain on PATH to build them` };
}

async function ensureBinaries(binDir: string, build: boolean): Promise<void> {
  if (build && findOnPath('go')) return runBuild(binDir);
  if (hasBinaries(binDir)) return;
  throw new ClusterUnavailable(
    build
      ? `no binaries in ${binDir} and no Go toolchain on PATH to build them (see test/cluster/README.md)`
      : `no binaries in ${binDir} and building is disabled`,
  );
}

async function runBuild(binDir: string): Promise<void> {
  const env = { ...process.env, P2PNC_CLUSTER_BIN_DIR: binDir };
  const child = spawn('bash', [BUILD_SCRIPT], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const { code, stdout, stderr } = await collect(child);
  if (code !== 0) {
    throw new ClusterUnavailable(`${BUILD_SCRIPT} failed (exit ${code}):\n${tail(stderr + stdout, 30)}`);
  }
  // Say so only when it did something: a cold build takes minutes.
  if (!stdout.includes('up to date')) process.stderr.write(stdout);
}

// ---------------------------------------------------------------------------------------------
// Processes

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

// Synchronous: the only kind of work an 'exit' listener can do.
function killEverything(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', killEverything);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killEverything();
      process.removeListener(signal, onSignal);
      // Re-raise so the default action (or another listener) still runs.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

class Daemon {
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);

  constructor(
    private readonly bin: string,
    private readonly args: string[],
    readonly logFile: string,
  ) {}

  start(): void {
    const log = openSync(this.logFile, 'a');
    try {
      const child = spawn(this.bin, this.args, { stdio: ['ignore', log, log] });
      this.child = child;
      live.add(child);
      this.exit = new Promise((resolveExit) => {
        child.once('exit', (code) => {
          live.delete(child);
          resolveExit(code);
        });
        child.once('error', () => resolveExit(-1));
      });
    } finally {
      closeSync(log);
    }
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the exit code if the process dies first. */
  exited(): Promise<number | null> {
    return this.exit;
  }

  async stop(graceMs = 10_000): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exit;
    clearTimeout(timer);
  }

  logTail(lines = 40): string {
    return existsSync(this.logFile) ? tail(readFileSync(this.logFile, 'utf8'), lines) : '(no log)';
  }
}

async function waitReady(
  daemon: Daemon,
  name: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let died: number | null | undefined;
  void daemon.exited().then((code) => (died = code));
  while (Date.now() < deadline) {
    if (died !== undefined) {
      throw new Error(`${name} exited with code ${died} before it was ready; log tail:\n${daemon.logTail()}`);
    }
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms; log (${daemon.logFile}) tail:\n${daemon.logTail()}`);
}

// ---------------------------------------------------------------------------------------------
// The local control plane

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

async function writeServiceAccountKey(path: string): Promise<void> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  await writeFile(path, privateKey, { mode: 0o600 });
}

function etcdDaemon(binDir: string, dir: string, clientPort: number, peerPort: number): Daemon {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return new Daemon(
    join(binDir, 'etcd'),
    [
      '--name=test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=test=${peer}`,
      // Test data is disposable; fsync dominates etcd latency on slow CI disks.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    join(dir, 'etcd.log'),
  );
}

interface ApiServerConfig {
  binDir: string;
  dir: string;
  etcdPort: number;
  port: number;
  bindAddress: string;
  disableAdmissionPlugins: string[];
  extraArgs: string[];
}

function apiServerDaemon(c: ApiServerConfig): Daemon {
  const saKey = join(c.dir, 'sa.key');
  return new Daemon(
    join(c.binDir, 'kube-apiserver'),
    [
      `--etcd-servers=http://127.0.0.1:${c.etcdPort}`,
      `--secure-port=${c.port}`,
      `--bind-address=${c.bindAddress}`,
      `--advertise-address=${c.bindAddress}`,
      // Self-signed serving cert, generated on first start and reused on restarts.
      `--cert-dir=${join(c.dir, 'certs')}`,
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      `--token-auth-file=${join(c.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      '--enable-admission-plugins=PodSecurity',
      `--disable-admission-plugins=${c.disableAdmissionPlugins.join(',')}`,
      // Otherwise API validation refuses privileged pods before PodSecurity ever sees them.
      '--allow-privileged=true',
      '--service-cluster-ip-range=10.96.0.0/16',
      ...c.extraArgs,
    ],
    join(c.dir, 'kube-apiserver.log'),
  );
}

function httpsStatus(url: string, token: string): Promise<number> {
  return new Promise((resolveStatus, reject) => {
    const req = request(
      url,
      { headers: { authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: 2_000 },
      (res) => {
        res.resume();
        resolveStatus(res.statusCode ?? 0);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function etcdHealthy(port: number): Promise<boolean> {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) });
  return res.ok && ((await res.json()) as { health?: string }).health === 'true';
}

async function startLocal(opts: StartClusterOptions): Promise<BaseCluster> {
  const binDir = resolve(opts.binDir ?? defaultBinDir());
  await ensureBinaries(binDir, opts.build ?? true);
  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), 'p2pnc-cluster-'));
  tempDirs.add(dir);
  const readyTimeoutMs = opts.readyTimeoutMs ?? 60_000;
  const token = randomBytes(24).toString('hex');
  const [etcdPort, peerPort, port] = await distinctPorts();
  const bindAddress = opts.bindAddress ?? '127.0.0.1';
  const server = `https://${bindAddress}:${port}`;

  await writeFile(join(dir, 'tokens.csv'), `${token},admin,admin,"system:masters"\n`, { mode: 0o600 });
  await writeServiceAccountKey(join(dir, 'sa.key'));

  const etcd = etcdDaemon(binDir, dir, etcdPort, peerPort);
  const apiServer = apiServerDaemon({
    binDir,
    dir,
    etcdPort,
    port,
    bindAddress,
    disableAdmissionPlugins: opts.disableAdmissionPlugins ?? ['ServiceAccount'],
    extraArgs: opts.extraApiServerArgs ?? [],
  });
  const startApiServer = async (): Promise<void> => {
    if (apiServer.running) return;
    apiServer.start();
    await waitReady(
      apiServer,
      'kube-apiserver',
      async () => (await httpsStatus(`${server}/readyz`, token)) === 200,
      readyTimeoutMs,
    );
  };
  const stop = async (): Promise<void> => {
    await apiServer.stop();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };

  try {
    etcd.start();
    await waitReady(etcd, 'etcd', () => etcdHealthy(etcdPort), readyTimeoutMs);
    await startApiServer();
    const caData = readFileSync(join(dir, 'certs/apiserver.crt')).toString('base64');
    const tools = clusterTools({ server, caData }, join(binDir, 'kubectl'), dir);
    const kubeconfig = await tools.kubeconfigFor(token);
    return {
      kubeconfig,
      server,
      token,
      binDir,
      external: false,
      dir,
      pids: () => [etcd.pid, apiServer.pid].filter((pid) => pid !== undefined),
      kubeconfigFor: tools.kubeconfigFor,
      kubectl: (args, kubectlOpts) => tools.kubectl(kubeconfig, args, kubectlOpts),
      stopApiServer: () => apiServer.stop(),
      startApiServer,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function distinctPorts(): Promise<[number, number, number]> {
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await freePort());
  const [a = 0, b = 0, c = 0] = ports;
  return [a, b, c];
}

// ---------------------------------------------------------------------------------------------
// kubectl and kubeconfigs, shared by the local and the external cluster

function clusterTools(entry: ClusterEntry, kubectlBin: string, dir: string) {
  const kubeconfigs = new Map<string, string>();

  const kubeconfigFor = async (token: string): Promise<string> => {
    const known = kubeconfigs.get(token);
    if (known) return known;
    const path = join(dir, `kubeconfig-${kubeconfigs.size}.json`);
    await writeFile(path, JSON.stringify(kubeconfigDoc(entry, token), null, 2), { mode: 0o600 });
    kubeconfigs.set(token, path);
    return path;
  };

  const kubectl = async (kubeconfig: string, args: string[], opts: KubectlOptions = {}): Promise<KubectlResult> => {
    const config = opts.token === undefined ? kubeconfig : await kubeconfigFor(opts.token);
    return runKubectl(kubectlBin, [`--kubeconfig=${config}`, ...args], opts);
  };

  return { kubectl, kubeconfigFor };
}

function kubeconfigDoc(entry: ClusterEntry, token: string): object {
  const cluster: Record<string, unknown> = { server: entry.server };
  if (entry.caData) cluster['certificate-authority-data'] = entry.caData;
  if (entry.insecure) cluster['insecure-skip-tls-verify'] = true;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'test', cluster }],
    users: [{ name: 'test', user: { token } }],
    contexts: [{ name: 'test', context: { cluster: 'test', user: 'test' } }],
    'current-context': 'test',
  };
}

async function runKubectl(bin: string, args: string[], opts: KubectlOptions): Promise<KubectlResult> {
  const child = spawn(bin, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 60_000,
  });
  child.stdin?.end(opts.input ?? '');
  return collect(child);
}

async function tokenFor(
  kubectl: BaseCluster['kubectl'],
  namespace: string,
  serviceAccount: string,
  durationSeconds = 3600,
): Promise<string> {
  const res = await kubectl(['create', 'token', serviceAccount, '-n', namespace, `--duration=${durationSeconds}s`]);
  if (res.code !== 0) throw new Error(`kubectl create token ${namespace}/${serviceAccount} failed: ${res.stderr}`);
  return res.stdout.trim();
}

// ---------------------------------------------------------------------------------------------
// An external cluster

async function startExternal(kubeconfig: string, opts: StartClusterOptions): Promise<BaseCluster> {
  const binDir = resolve(opts.binDir ?? defaultBinDir());
  const localKubectl = join(binDir, 'kubectl');
  const kubectlBin = existsSync(localKubectl) ? localKubectl : findOnPath('kubectl');
  if (!kubectlBin) throw new ClusterUnavailable(`no kubectl in ${binDir} or on PATH for P2PNC_TEST_KUBECONFIG`);

  const view = await runKubectl(
    kubectlBin,
    [`--kubeconfig=${kubeconfig}`, 'config', 'view', '--raw', '--minify', '--flatten', '-o', 'json'],
    {},
  );
  if (view.code !== 0) throw new ClusterUnavailable(`cannot read ${kubeconfig}: ${view.stderr.trim()}`);
  const { entry, token } = parseKubeconfigView(view.stdout);

  installExitHooks();
  const dir = await mkdtemp(join(tmpdir(), 'p2pnc-cluster-'));
  tempDirs.add(dir);
  const tools = clusterTools(entry, kubectlBin, dir);
  const unsupported = (): Promise<void> =>
    Promise.reject(new Error('control-plane outages cannot be simulated on an external cluster'));
  return {
    kubeconfig,
    server: entry.server,
    token,
    binDir: existsSync(localKubectl) ? binDir : undefined,
    external: true,
    dir: undefined,
    pids: () => [],
    kubeconfigFor: tools.kubeconfigFor,
    kubectl: (args, kubectlOpts) => tools.kubectl(kubeconfig, args, kubectlOpts),
    stopApiServer: unsupported,
    startApiServer: unsupported,
    stop: async () => {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

interface KubeconfigView {
  clusters?: {
    cluster?: { server?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean };
  }[];
  users?: { user?: { token?: string } }[];
}

function parseKubeconfigView(json: string): { entry: ClusterEntry; token: string } {
  const view = JSON.parse(json) as KubeconfigView;
  const cluster = view.clusters?.[0]?.cluster;
  if (!cluster?.server) throw new ClusterUnavailable('P2PNC_TEST_KUBECONFIG has no cluster server');
  const entry: ClusterEntry = { server: cluster.server };
  if (cluster['certificate-authority-data']) entry.caData = cluster['certificate-authority-data'];
  if (cluster['insecure-skip-tls-verify']) entry.insecure = true;
  return { entry, token: view.users?.[0]?.user?.token ?? '' };
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Starts a throwaway control plane, or wraps the cluster named by P2PNC_TEST_KUBECONFIG. */
export async function startCluster(opts: StartClusterOptions = {}): Promise<Cluster> {
  const external = process.env['P2PNC_TEST_KUBECONFIG'];
  const base = external ? await startExternal(resolve(external), opts) : await startLocal(opts);
  return { ...base, tokenFor: (ns, sa, seconds) => tokenFor(base.kubectl, ns, sa, seconds) };
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function collect(child: ChildProcess): Promise<KubectlResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolveResult) => {
    child.once('error', (err) => resolveResult({ code: -1, stdout, stderr: stderr + String(err) }));
    child.once('close', (code, signal) => resolveResult({ code: code ?? (signal ? 128 : -1), stdout, stderr }));
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}
