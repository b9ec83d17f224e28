/**
 * What the node bed changes on the host, recorded as it goes in one state file so that teardown (the bed's own
 * stop(), or scripts/node/down.sh after a crashed run) can undo exactly that: processes by their ids, the sysctls
 * the kubelet and kube-proxy change, iptables chains, CNI network namespaces, mounts under the bed's directory, the
 * pod bridge.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const STATE_FILE = process.env['P2PNC_NODE_STATE'] ?? join(REPO_ROOT, '.cache/node-bed/state.json');

/** Global sysctls the kubelet (vm, kernel), kube-proxy (route_localnet) or the bed itself may change. */
export const WATCHED_SYSCTLS = [
  'vm.overcommit_memory',
  'vm.panic_on_oom',
  'kernel.panic',
  'kernel.panic_on_oops',
  'kernel.keys.root_maxkeys',
  'kernel.keys.root_maxbytes',
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv4.conf.all.route_localnet',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
];

/** Chains the bed's own rules live in. */
export const BED_CHAIN = 'P2PNC-NODE-BED';
/** Chain prefixes the kubelet and kube-proxy create (KUBE-FIREWALL, KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT survive `kube-proxy --cleanup`). */
const OWNED_CHAIN = /^(KUBE-|P2PNC-NODE-)/;

export interface HostState {
  /** The bed's working directory (configs, logs, containerd and kubelet state). */
  dir: string;
  /** Processes the bed started: name -> pid. */
  pids: Record<string, number>;
  /** Values of WATCHED_SYSCTLS before the bed started. */
  sysctls: Record<string, string>;
  /** Network namespaces that existed before (`ip netns list`); others named cni-* are the bed's. */
  netnsBefore: string[];
  bridge?: string;
  /** runc's state roots of the nodes' containerd runtimes, for killing containers whose shim is gone. */
  runcRoots?: string[];
  /** Network namespaces the bed created (one per extra node). */
  netns?: string[];
  /** Other directories to remove (the control plane's). */
  extraDirs?: string[];
  /** True when containerd's cgroup parent (k8s.io) did not exist before. */
  createdCgroupParent?: boolean;
  /** True when /var/log/containers did not exist before the kubelet made it. */
  createdContainerLogs?: boolean;
}

export function readState(): HostState | undefined {
  if (!existsSync(STATE_FILE)) return undefined;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as HostState;
}

export function writeState(state: HostState): void {
  mkdirSync(dirname(STATE_FILE), { recursive: true });
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(state, null, 2));
  execFileSync('mv', ['-f', `${STATE_FILE}.tmp`, STATE_FILE]);
}

export function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs a command and ignores its failure (teardown keeps going); returns whether it succeeded. */
export function tryRun(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export function readSysctl(name: string): string | undefined {
  const path = `/proc/sys/${name.replaceAll('.', '/')}`;
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

export function writeSysctl(name: string, value: string): void {
  writeFileSync(`/proc/sys/${name.replaceAll('.', '/')}`, value);
}

export function snapshotSysctls(): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of WATCHED_SYSCTLS) {
    const value = readSysctl(name);
    if (value !== undefined) values[name] = value;
  }
  return values;
}

export function netnsList(): string[] {
  return sh('ip', ['netns', 'list'])
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name !== '');
}

/** Alive and not a zombie (a child of ours that exited but was not reaped yet counts as gone). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after graceMs; returns when the process is gone (or is a zombie of ours). Synchronous, so it
 * also works in an 'exit' listener. */
export function stopPid(pid: number, graceMs = 10_000): void {
  if (!pidAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
    process.kill(pid, 'SIGCONT'); // a paused process (a test's fault) handles SIGTERM only once running
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (pidAlive(pid) && Date.now() < deadline) sleepSync(100);
  if (pidAlive(pid)) tryKill(pid, 'SIGKILL');
  const hard = Date.now() + 5_000;
  while (pidAlive(pid) && Date.now() < hard) sleepSync(50);
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
  }
}

/** Pids of processes whose command line names the bed's directory (containerd's shims, given its socket path). */
function pidsNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Removes rules jumping to the bed's and Kubernetes' chains, then those chains, in every table of both families. */
export function removeOwnedChains(): void {
  for (const tool of ['iptables', 'ip6tables']) {
    for (const table of ['filter', 'nat', 'mangle', 'raw']) {
      let rules: string[];
      try {
        rules = sh(tool, ['-w', '-t', table, '-S']).split('\n');
      } catch {
        continue;
      }
      const chains = rules
        .filter((r) => r.startsWith('-N '))
        .map((r) => r.slice(3).trim())
        .filter((c) => OWNED_CHAIN.test(c));
      if (chains.length === 0) continue;
      for (const rule of rules) {
        const match = /^-A (\S+) (.*)$/.exec(rule);
        if (!match || OWNED_CHAIN.test(match[1]!)) continue;
        if (chains.some((chain) => rule.includes(`-j ${chain}`))) {
          tryRun(tool, ['-w', '-t', table, '-D', match[1]!, ...splitRule(match[2]!)]);
        }
      }
      for (const chain of chains) tryRun(tool, ['-w', '-t', table, '-F', chain]);
      for (const chain of chains) tryRun(tool, ['-w', '-t', table, '-X', chain]);
    }
  }
}

/** Splits an `iptables -S` rule into arguments, keeping quoted comments whole. */
function splitRule(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] !== undefined ? m[1] : m[2]!));
}

/** Mount points under dir, deepest first. */
function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((path) => path.replace(/\\040/g, ' '))
    .filter((path) => path === dir || path.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Undoes everything the state records, in an order that lets nothing restart what was stopped: the kubelet and
 * the control plane first, then containers (runc), containerd's shims and containerd, network namespaces, mounts,
 * iptables chains, the bridge, sysctls; then removes the directory and the state file. Never throws.
 */
export function teardown(state: HostState, log: (line: string) => void = () => {}): void {
  const order = [
    'kubelet',
    'kube-proxy',
    'kube-scheduler',
    'kube-controller-manager',
    'coredns',
    'kube-apiserver',
    'etcd',
  ];
  const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
  const names = Object.keys(state.pids).sort((a, b) => rank(a) - rank(b));
  for (const name of names.filter((n) => !n.startsWith('containerd'))) {
    stopPid(state.pids[name]!);
  }
  const ids = removeContainers(state, log);
  for (const pid of pidsNaming(state.dir)) stopPid(pid, 3_000);
  for (const name of names.filter((n) => n.startsWith('containerd'))) stopPid(state.pids[name]!, 10_000);
  removeContainerCgroups(ids, state.createdCgroupParent ?? false);
  for (const name of netnsList().filter(
    (n) => (n.startsWith('cni-') && !state.netnsBefore.includes(n)) || state.netns?.includes(n),
  )) {
    tryRun('ip', ['netns', 'delete', name]);
  }
  for (const path of mountsUnder(state.dir)) tryRun('umount', ['-l', path]);
  removeOwnedChains();
  if (state.bridge) tryRun('ip', ['link', 'delete', state.bridge]);
  for (const [name, value] of Object.entries(state.sysctls)) {
    if (readSysctl(name) !== value) {
      try {
        writeSysctl(name, value);
        log(`restored ${name}=${value}`);
      } catch (error) {
        log(`cannot restore ${name}=${value}: ${String(error)}`);
      }
    }
  }
  removeContainerLogLinks(state);
  keepLogs([state.dir, ...(state.extraDirs ?? [])]);
  for (const dir of [state.dir, ...(state.extraDirs ?? [])]) {
    if (mountsUnder(dir).length === 0) rmSync(dir, { recursive: true, force: true });
    else log(`left ${dir}: mounts remain under it`);
  }
  rmSync(STATE_FILE, { force: true });
}

/** What the bed left behind after teardown (empty when the machine is as it was found). */
export function residue(state: HostState): string[] {
  const left: string[] = [];
  for (const [name, pid] of Object.entries(state.pids))
    if (pidAlive(pid)) left.push(`${name} (pid ${pid}) still running`);
  if (state.bridge && tryRun('ip', ['link', 'show', state.bridge])) left.push(`bridge ${state.bridge}`);
  const netns = netnsList().filter(
    (n) => (n.startsWith('cni-') && !state.netnsBefore.includes(n)) || state.netns?.includes(n),
  );
  if (netns.length > 0) left.push(`network namespaces ${netns.join(', ')}`);
  for (const tool of ['iptables', 'ip6tables']) {
    const chains =
      spawnSync(`${tool}-save`, [], { encoding: 'utf8' })
        .stdout?.split('\n')
        .filter((l) => /^:(KUBE-|P2PNC-NODE-)/.test(l)) ?? [];
    if (chains.length > 0) left.push(`${tool} chains ${chains.map((l) => l.slice(1).split(' ')[0]).join(', ')}`);
  }
  for (const [name, value] of Object.entries(state.sysctls)) {
    const now = readSysctl(name);
    if (now !== value) left.push(`sysctl ${name}=${now} (was ${value})`);
  }
  if (state.createdCgroupParent && cgroupDirs(CGROUP_PARENT).length > 0)
    left.push(`cgroups ${cgroupDirs(CGROUP_PARENT).join(', ')}`);
  for (const dir of [state.dir, ...(state.extraDirs ?? [])]) if (existsSync(dir)) left.push(`directory ${dir}`);
  if (state.createdContainerLogs && existsSync('/var/log/containers')) left.push('/var/log/containers');
  return left;
}

/** containerd's cgroup parent for pods when the kubelet makes no QoS cgroups (cgroupfs). */
export const CGROUP_PARENT = 'k8s.io';

/** The cgroup directories named `name` under every hierarchy (each v1 controller, or the one v2 tree). */
export function cgroupDirs(name: string): string[] {
  const root = '/sys/fs/cgroup';
  if (!existsSync(root)) return [];
  const hierarchies = existsSync(join(root, 'cgroup.controllers'))
    ? [root]
    : readdirSync(root).map((c) => join(root, c));
  return hierarchies.map((h) => join(h, name)).filter((dir) => existsSync(dir));
}

/**
 * Kills and deletes every container runc knows under the bed's runc root (one folder per containerd namespace);
 * returns their ids.
 */
function removeContainers(state: HostState, log: (line: string) => void): string[] {
  const ids: string[] = [];
  const roots = (state.runcRoots ?? []).filter((root) => existsSync(root));
  for (const root of roots.flatMap((runcRoot) => readdirSync(runcRoot).map((namespace) => join(runcRoot, namespace)))) {
    const listed =
      spawnSync('runc', ['--root', root, 'list', '-q'], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
    for (const id of listed) tryRun('runc', ['--root', root, 'delete', '--force', id]);
    ids.push(...listed);
  }
  if (ids.length > 0) log(`removed ${ids.length} containers`);
  return ids;
}

/** Whatever still runs in the bed's containers' cgroups is killed (by pid) and the cgroups removed; their parent too
 * when the bed created it. */
function removeContainerCgroups(ids: string[], parentCreated: boolean): void {
  const dirs = ids.flatMap((id) => cgroupDirs(`${CGROUP_PARENT}/${id}`));
  for (const dir of dirs) {
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
      tryKill(Number(pid), 'SIGKILL');
  }
  const deadline = Date.now() + 5_000;
  for (const dir of dirs) {
    while (existsSync(dir) && !tryRun('rmdir', [dir]) && Date.now() < deadline) sleepSync(100);
  }
  if (parentCreated) for (const dir of cgroupDirs(CGROUP_PARENT)) tryRun('rmdir', [dir]);
}

/** Where the last bed's component logs are kept after teardown, for a failure to be read afterwards. */
export const LAST_LOGS = join(dirname(STATE_FILE), 'last-logs');

function keepLogs(dirs: string[]): void {
  rmSync(LAST_LOGS, { recursive: true, force: true });
  mkdirSync(LAST_LOGS, { recursive: true });
  for (const dir of dirs.filter((d) => existsSync(d))) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
      try {
        copyFileSync(join(dir, file), join(LAST_LOGS, file));
      } catch {
        // unreadable: skip
      }
    }
  }
}

/** The kubelet links container logs into /var/log/containers (a fixed path): remove the bed's links, and the folder
 * when the bed created it. */
function removeContainerLogLinks(state: HostState): void {
  const logs = '/var/log/containers';
  if (!existsSync(logs)) return;
  for (const entry of readdirSync(logs)) {
    const path = join(logs, entry);
    try {
      if (readlinkSync(path).startsWith(state.dir)) rmSync(path, { force: true });
    } catch {
      // not a link
    }
  }
  if (state.createdContainerLogs && readdirSync(logs).length === 0) rmSync(logs, { recursive: true, force: true });
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}
