/**
 * A real Kubernetes node on this machine: the test bed's etcd and kube-apiserver (test/cluster/harness.ts) bound to
 * a pod bridge's address, kube-controller-manager, kube-scheduler, CoreDNS, containerd (runc, CNI bridge), kubelet and
 * kube-proxy; the pause and p2pnc images imported into containerd. See test/node/README.md.
 *
 * Everything it changes on the host is recorded in a state file as it goes (host.ts); stop() undoes it, and so does
 * scripts/node/down.sh after a crashed run.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { DEFAULT_IMAGE } from '../../src/api/constants.js';
import { startCluster, type Cluster } from '../cluster/harness.js';
import { AUDIT_POLICY, corefile, paths, type BedLayout } from './configs.js';
import { guardExit, lockMachine, releaseExitGuard } from './guard.js';
import { nodeDir, plumbNode, startKubelet, startRuntime, type AgentContext, type NodeSpec } from './node-agent.js';
import {
  BED_CHAIN,
  CGROUP_PARENT,
  cgroupDirs,
  REPO_ROOT,
  netnsList,
  pidAlive,
  readState,
  residue,
  sh,
  snapshotSysctls,
  stopPid,
  teardown,
  tryRun,
  writeState,
  writeSysctl,
  type HostState,
} from './host.js';

export const NODE_BIN_DIR = process.env['P2PNC_NODE_BIN_DIR'] ?? join(REPO_ROOT, '.cache/node-bin');
const BUILD_SCRIPT = join(REPO_ROOT, 'scripts/node/build.sh');
const BRIDGE = 'p2pncbr0';
const NODE_IP = '10.244.0.1';
const POD_SUBNET = '10.244.0.0/24';
/** The test control plane's --service-cluster-ip-range. */
const SERVICE_CIDR = '10.96.0.0/16';
const SERVICE_RULE = 'p2pnc node bed: Service IP without endpoints';
const OFF_MACHINE_RULE = 'p2pnc node bed: pod traffic leaving the machine';
/** Every node's pods: 10.244.<node>.0/24. */
const CLUSTER_CIDR = '10.244.0.0/16';
const K8S_BINARIES = ['kube-controller-manager', 'kube-scheduler', 'kubelet', 'kube-proxy', 'coredns'];
const HOST_TOOLS = [
  'containerd',
  'containerd-shim-runc-v2',
  'ctr',
  'runc',
  'iptables',
  'ip6tables',
  'ip',
  'nsenter',
  'flock',
];

export class NodeUnavailable extends Error {
  override readonly name = 'NodeUnavailable';
  constructor(readonly reason: string) {
    super(`node bed unavailable: ${reason}`);
  }
}

export interface NodeBedOptions {
  /** How many nodes: the first in the host's network namespace, the others each in one of their own. Default 1. */
  nodes?: number;
  /** Names the p2pnc image is imported under. Default the topology schema's default image. */
  images?: string[];
}

export interface BedNode {
  name: string;
  ip: string;
  /** `ctr -n k8s.io` against the node's containerd. */
  ctr(args: string[]): string;
}

export interface NodeBed {
  cluster: Cluster;
  /** The first node's name and address (the control plane's, on the pod bridge). */
  nodeName: string;
  nodeIp: string;
  nodes: BedNode[];
  /** Takes a further node's link to the pod bridge down (false) or up again (true). */
  setNodeLink(name: string, up: boolean): void;
  dir: string;
  /** Milliseconds from starting the kubelet to the Node's Ready condition (the slowest node's). */
  readyMs: number;
  /** `ctr -n k8s.io` against the first node's containerd. */
  ctr(args: string[]): string;
  stopCoreDns(): void;
  /** SIGSTOP / SIGCONT one of the bed's processes by name (kube-controller-manager, kubelet, ...): it stops acting. */
  pause(component: string): void;
  resume(component: string): void;
  /** Turns IPv4 forwarding on the pod bridge off or back on: traffic the node routes between pods (Services) stops. */
  setBridgeForwarding(on: boolean): void;
  /** Packets from pods that the confinement rule rejected as leaving the machine (Service IPs without endpoints aside). */
  rejectedPackets(): number;
  startCoreDns(): Promise<void>;
  /** Audit events of writes to p2pnc.io objects (user, verb, subresource, name). */
  auditEvents(): AuditEvent[];
  /** What stop() left on the host (as it was when stop() returned): empty when the machine is as it was found. */
  residue(): string[];
  /** The last lines of one component's log. */
  logTail(component: string, lines?: number): string;
  stop(): void;
}

export interface AuditEvent {
  verb: string;
  user: { username: string };
  objectRef?: { resource?: string; subresource?: string; name?: string; namespace?: string };
  responseStatus?: { code?: number };
}

/** Why the bed cannot run here, or undefined when it can. */
export function nodeBedUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (containerd, kubelet, iptables, network namespaces)';
  const missing = HOST_TOOLS.filter((tool) => !onPath(tool));
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge');
  if (missing.length > 0) return `missing ${missing.join(', ')} (run scripts/ci/install-system-packages.sh)`;
  if (!onPath('go') && !K8S_BINARIES.every((b) => existsSync(join(NODE_BIN_DIR, b)))) {
    return `no node binaries in ${NODE_BIN_DIR} and no Go toolchain to build them`;
  }
  return undefined;
}

function onPath(name: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, name)));
}

/** Runs scripts/node/build.sh (a no-op when up to date); with the p2pnc image only when its archive is missing. */
function ensureBuilt(): void {
  if (!onPath('go')) return;
  const args = existsSync(join(NODE_BIN_DIR, 'p2pnc.oci.tar')) ? [] : ['--image'];
  const result = spawnSync('bash', [BUILD_SCRIPT, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) {
    throw new NodeUnavailable(
      `${BUILD_SCRIPT} failed (exit ${result.status}):\n${(result.stderr + result.stdout).trim().split('\n').slice(-30).join('\n')}`,
    );
  }
  if (!result.stdout.includes('up to date')) process.stderr.write(result.stdout);
}

export async function startNodeBed(opts: NodeBedOptions = {}): Promise<NodeBed> {
  const reason = nodeBedUnavailable();
  if (reason) throw new NodeUnavailable(reason);
  ensureBuilt();
  const unlock = await lockMachine();
  // Under the lock a state file can only be a dead run's.
  const leftover = readState();
  if (leftover) teardown(leftover, (line) => process.stderr.write(`node bed: leftover: ${line}\n`));

  const specs = nodeSpecs(opts.nodes ?? 1);
  const nodeName = specs[0]!.name;
  const dir = mkdtempSync('/tmp/p2pnc-node-');
  const layout: BedLayout = {
    dir,
    bridge: BRIDGE,
    nodeIp: NODE_IP,
    prefix: 24,
    podSubnet: POD_SUBNET,
    clusterDomain: 'cluster.local',
  };
  const p = paths(dir);
  const state: HostState = {
    dir,
    pids: {},
    sysctls: snapshotSysctls(),
    netnsBefore: netnsList(),
    runcRoots: specs.map((spec) => paths(nodeDir({ dir }, spec)).runcRoot),
    netns: specs.flatMap((spec) => (spec.netns ? [spec.netns] : [])),
    createdContainerLogs: !existsSync('/var/log/containers'),
    createdCgroupParent: cgroupDirs(CGROUP_PARENT).length === 0,
  };
  writeState(state);
  guardExit(state);
  const children = new Map<string, ChildProcess>();

  const startDaemon = (name: string, bin: string, args: string[]): ChildProcess => {
    const log = openSync(join(dir, `${name}.log`), 'a');
    try {
      const child = spawn(bin, args, { stdio: ['ignore', log, log], detached: true });
      children.set(name, child);
      if (child.pid !== undefined) state.pids[name] = child.pid;
      writeState(state);
      return child;
    } finally {
      closeSync(log);
    }
  };
  const logTail = (name: string, lines = 30): string => {
    const file = join(dir, `${name}.log`);
    return existsSync(file) ? readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)';
  };
  const waitFor = async (name: string, ready: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = children.get(name);
      if (child?.pid !== undefined && !pidAlive(child.pid))
        throw new Error(`${name} exited before it was ready; log tail:\n${logTail(name)}`);
      if (await Promise.resolve(ready()).catch(() => false)) return;
      await sleep(200);
    }
    throw new Error(`${name} not ready after ${timeoutMs} ms; log tail:\n${logTail(name)}`);
  };

  let cluster: Cluster | undefined;
  let stopped = false;
  let left: string[] | undefined;
  // Once only: after the lock is released, another bed may own the bridge, the chains and the CNI namespaces.
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    if (cluster) recordControlPlane(state, cluster);
    teardown(state);
    releaseExitGuard();
    // Taken while the lock is still held, so the next bed's bridge and chains are not counted as this one's.
    left = residue(state);
    unlock();
  };

  try {
    // The pod bridge, forwarding on it alone, and the rule that keeps pod traffic on the machine.
    sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    state.bridge = BRIDGE;
    writeState(state);
    sh('ip', ['addr', 'add', `${NODE_IP}/24`, 'dev', BRIDGE]);
    sh('ip', ['link', 'set', BRIDGE, 'up']);
    writeSysctl(`net.ipv4.conf.${BRIDGE}.forwarding`, '1');
    // Service traffic between pods on the bridge must pass conntrack (kube-proxy's DNAT), as on any kubenet node.
    writeSysctl('net.bridge.bridge-nf-call-iptables', '1');
    confinePods();

    for (const spec of specs.slice(1)) plumbNode(spec, BRIDGE, NODE_IP, hostLink(spec));
    writeFileSync(p.auditPolicy, AUDIT_POLICY);
    cluster = await startCluster({
      bindAddress: NODE_IP,
      disableAdmissionPlugins: [],
      extraApiServerArgs: [
        '--kubelet-preferred-address-types=InternalIP',
        `--audit-policy-file=${p.auditPolicy}`,
        `--audit-log-path=${p.auditLog}`,
      ],
    });
    state.extraDirs = cluster.dir ? [cluster.dir] : [];
    recordControlPlane(state, cluster);
    const clusterDir = cluster.dir!;
    const kubeconfig = cluster.kubeconfig;
    const bin = (name: string): string => join(NODE_BIN_DIR, name);

    // containerd on every node, with the images nothing could pull.
    const context = (ports: AgentContext['ports']): AgentContext => ({
      dir,
      clusterDomain: layout.clusterDomain,
      dnsIp: NODE_IP,
      clusterCidr: CLUSTER_CIDR,
      cluster: cluster!,
      binDir: NODE_BIN_DIR,
      sandboxImage: readFileSync(join(NODE_BIN_DIR, 'pause.name'), 'utf8').trim(),
      archives: [join(NODE_BIN_DIR, 'pause.oci.tar'), join(NODE_BIN_DIR, 'p2pnc.oci.tar')],
      builtImage: readFileSync(join(NODE_BIN_DIR, 'p2pnc.name'), 'utf8').trim(),
      images: opts.images ?? [DEFAULT_IMAGE],
      ports,
      startDaemon,
      waitFor,
    });
    const ports = await freePorts(2 + 4 * specs.length);
    const [cmPort, schedPort] = ports;
    const contexts = specs.map((_, i) => {
      const [kubelet, kubeletHealthz, proxyHealthz, proxyMetrics] = ports.slice(2 + 4 * i);
      return context({
        kubelet: kubelet!,
        kubeletHealthz: kubeletHealthz!,
        proxyHealthz: proxyHealthz!,
        proxyMetrics: proxyMetrics!,
      });
    });
    const agents = await Promise.all(specs.map((spec, i) => startRuntime(contexts[i]!, spec)));

    // Cluster DNS, controllers, scheduler.
    writeFileSync(p.corefile, corefile(layout, kubeconfig));
    const startCoreDns = async (): Promise<void> => {
      startDaemon('coredns', bin('coredns'), ['-conf', p.corefile]);
      const resolver = new Resolver({ timeout: 1_000, tries: 1 });
      resolver.setServers([NODE_IP]);
      await waitFor(
        'coredns',
        async () => (await resolver.resolve4(`kubernetes.default.svc.${layout.clusterDomain}`)).length > 0,
      );
    };
    startDaemon('kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      `--service-account-private-key-file=${join(clusterDir, 'sa.key')}`,
      `--root-ca-file=${join(clusterDir, 'certs/apiserver.crt')}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${cmPort}`,
    ]);
    startDaemon('kube-scheduler', bin('kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${schedPort}`,
    ]);
    await startCoreDns();

    // The kubelets: each node registers itself and turns Ready once its runtime and pod network are. They start a few
    // seconds apart: every kubelet on a host binds /var/lib/kubelet/device-plugins/kubelet.sock (a fixed path), and
    // two started together can both clear it and race for the bind, one then exiting with "address already in use".
    for (const [i, agent] of agents.entries()) {
      if (i > 0) await sleep(KUBELET_START_GAP_MS);
      startKubelet(contexts[i]!, agent);
    }
    const readyMs = Math.max(
      ...(await Promise.all(
        agents.map(async (agent) => {
          await waitFor(`kubelet${agent.spec.suffix}`, () => nodeReady(cluster!, agent.spec.name), 120_000);
          return Date.now() - agent.kubeletStarted;
        }),
      )),
    );
    // kubeadm labels its nodes so; `p2pnc import` then sees the API server on a control-plane node.
    await mustRun(cluster, ['label', 'node', nodeName, 'node-role.kubernetes.io/control-plane=', '--overwrite']);
    for (const spec of specs.slice(1))
      await mustRun(cluster, ['label', 'node', spec.name, 'node-role.kubernetes.io/worker=', '--overwrite']);
    await waitFor(
      'kube-controller-manager',
      async () => (await cluster!.kubectl(['get', 'serviceaccount', 'default', '-n', 'default'])).code === 0,
    );
    await waitFor('kube-proxy', () => sh('iptables', ['-w', '-t', 'nat', '-S']).includes('KUBE-SERVICES'));
    // kube-proxy and the kubelet put their jumps first in FORWARD: the bed's confinement goes back on top.
    confinePods();
    const ctr = agents[0]!.ctr;

    return {
      cluster,
      nodeName,
      nodeIp: NODE_IP,
      nodes: agents.map((agent) => ({ name: agent.spec.name, ip: agent.spec.ip, ctr: agent.ctr })),
      setNodeLink: (name, up) => {
        const spec = specs.find((candidate) => candidate.name === name && candidate.netns);
        if (!spec) throw new Error(`${name} is not a node with a link of its own`);
        sh('ip', ['link', 'set', hostLink(spec), up ? 'up' : 'down']);
      },
      dir,
      readyMs,
      ctr,
      stopCoreDns: () => {
        const pid = state.pids['coredns'];
        if (pid !== undefined) stopPid(pid);
      },
      startCoreDns,
      setBridgeForwarding: (on) => writeSysctl(`net.ipv4.conf.${BRIDGE}.forwarding`, on ? '1' : '0'),
      rejectedPackets: () => {
        const rule = sh('iptables', ['-w', '-L', BED_CHAIN, '-v', '-x', '-n'])
          .split('\n')
          .find((line) => line.includes(OFF_MACHINE_RULE));
        return Number(rule?.trim().split(/\s+/)[0] ?? NaN);
      },
      pause: (component) => process.kill(pidOf(state, component), 'SIGSTOP'),
      resume: (component) => process.kill(pidOf(state, component), 'SIGCONT'),
      auditEvents: () =>
        existsSync(p.auditLog)
          ? readFileSync(p.auditLog, 'utf8')
              .split('\n')
              .filter(Boolean)
              .map((line) => JSON.parse(line) as AuditEvent)
          : [],
      logTail,
      residue: () => left ?? residue(state),
      stop,
    };
  } catch (error) {
    stop();
    throw error;
  }
}

/**
 * Pods reach only the machine itself: packets from the pod bridge that would be forwarded anywhere but back onto
 * it are rejected, by a chain jumped to first in FORWARD.
 */
function confinePods(): void {
  if (!tryRun('iptables', ['-w', '-L', BED_CHAIN, '-n'])) {
    sh('iptables', ['-w', '-N', BED_CHAIN]);
    const leaving = ['-i', BRIDGE, '!', '-o', BRIDGE];
    const reject = ['-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited'];
    // Two rules, one count each: a Service IP with no endpoints at that moment is not DNATed and would follow the
    // default route (kube-proxy rejects it too, later in FORWARD); anything else is a pod aiming off the machine.
    sh('iptables', [
      '-w',
      '-A',
      BED_CHAIN,
      ...leaving,
      '-d',
      SERVICE_CIDR,
      '-m',
      'comment',
      '--comment',
      SERVICE_RULE,
      ...reject,
    ]);
    sh('iptables', ['-w', '-A', BED_CHAIN, ...leaving, '-m', 'comment', '--comment', OFF_MACHINE_RULE, ...reject]);
  }
  while (tryRun('iptables', ['-w', '-D', 'FORWARD', '-j', BED_CHAIN]));
  sh('iptables', ['-w', '-I', 'FORWARD', '1', '-j', BED_CHAIN]);
}

/**
 * bed-0 on the pod bridge itself (10.244.0.1, its pods 10.244.0.10-199); bed-N at 10.244.0.(250-N+1)... in a
 * network namespace of its own with pods on 10.244.N.0/24.
 */
function nodeSpecs(count: number): NodeSpec[] {
  return Array.from({ length: count }, (_, i) =>
    i === 0
      ? {
          name: 'bed-0',
          ip: NODE_IP,
          suffix: '',
          pods: {
            bridge: BRIDGE,
            subnet: POD_SUBNET,
            gateway: NODE_IP,
            rangeStart: '10.244.0.10',
            rangeEnd: '10.244.0.199',
          },
        }
      : {
          name: `bed-${i}`,
          ip: `10.244.0.${251 - i}`,
          suffix: `-bed-${i}`,
          netns: `p2pnc-bed-${i}`,
          pods: { bridge: `p2pncbr${i}`, subnet: `10.244.${i}.0/24`, gateway: `10.244.${i}.1` },
        },
  );
}

/** The host side of a further node's veth. */
function hostLink(spec: NodeSpec): string {
  return `p2pncv${spec.name.replace('bed-', '')}`;
}

function pidOf(state: HostState, component: string): number {
  const pid = state.pids[component];
  if (pid === undefined) throw new Error(`no ${component} in the bed (${Object.keys(state.pids).join(', ')})`);
  return pid;
}

/** The harness starts etcd, then kube-apiserver. */
function recordControlPlane(state: HostState, cluster: Cluster): void {
  const [etcd, apiServer] = cluster.pids();
  if (etcd !== undefined) state.pids['etcd'] = etcd;
  if (apiServer !== undefined) state.pids['kube-apiserver'] = apiServer;
  writeState(state);
}

async function nodeReady(cluster: Cluster, node: string): Promise<boolean> {
  const res = await cluster.kubectl([
    'get',
    'node',
    node,
    '-o',
    'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
  ]);
  return res.code === 0 && res.stdout.trim() === 'True';
}

async function mustRun(cluster: Cluster, args: string[]): Promise<string> {
  const res = await cluster.kubectl(args);
  if (res.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${res.stderr}`);
  return res.stdout;
}

async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

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

/** Between two kubelets' starts: past the first's device-plugin socket bind, about a second after it starts. */
const KUBELET_START_GAP_MS = 3000;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
