/**
 * One node's own processes: containerd (with the images imported), the kubelet and kube-proxy. The first node runs
 * in the host's network namespace on the pod bridge; further nodes each run in a network namespace of their own
 * (entered with nsenter, so they share the host's mount namespace and the kubelet's volume mounts are the ones
 * containerd sees), joined to the pod bridge by a veth, with their own pod bridge and subnet inside.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../cluster/harness.js';
import { cniConfig, containerdConfig, kubeletConfig, paths, type BedLayout } from './configs.js';
import { sh, tryRun } from './host.js';

export interface NodeSpec {
  name: string;
  /** The node's InternalIP (on the host's pod bridge). */
  ip: string;
  /** This node's pods: bridge, subnet, the IPAM range and gateway. */
  pods: { bridge: string; subnet: string; gateway: string; rangeStart?: string; rangeEnd?: string };
  /** Network namespace the node runs in; undefined for the host's. */
  netns?: string;
  /** Suffix of its daemons' names and logs ('' for the first node). */
  suffix: string;
}

export interface AgentContext {
  /** The bed's directory; the node's own is a folder of it (the first node's is the bed's). */
  dir: string;
  clusterDomain: string;
  /** DNS server and API server address. */
  dnsIp: string;
  clusterCidr: string;
  cluster: Cluster;
  binDir: string;
  sandboxImage: string;
  /** Archives to import, and the names to tag the p2pnc image with. */
  archives: string[];
  builtImage: string;
  images: string[];
  ports: { kubelet: number; kubeletHealthz: number; proxyHealthz: number; proxyMetrics: number };
  startDaemon(name: string, bin: string, args: string[]): void;
  waitFor(name: string, ready: () => Promise<boolean> | boolean, timeoutMs?: number): Promise<void>;
}

export interface NodeAgent {
  spec: NodeSpec;
  dir: string;
  /** The runc root of its containerd, for teardown. */
  runcRoot: string;
  ctr(args: string[]): string;
  /** When its kubelet was started. */
  kubeletStarted: number;
}

/** The node's directory: the bed's for the first node, a folder of it for the others. */
export function nodeDir(ctx: { dir: string }, spec: NodeSpec): string {
  return spec.suffix === '' ? ctx.dir : join(ctx.dir, spec.name);
}

/** Starts containerd and imports the images; the kubelet and kube-proxy are started by startKubelet. */
export async function startRuntime(ctx: AgentContext, spec: NodeSpec): Promise<NodeAgent> {
  const dir = nodeDir(ctx, spec);
  const p = paths(dir);
  for (const sub of ['cni', 'pod-logs', 'volume-plugins', 'kubelet']) mkdirSync(join(dir, sub), { recursive: true });
  const layout: BedLayout = {
    dir,
    bridge: spec.pods.bridge,
    nodeIp: spec.pods.gateway,
    prefix: 24,
    podSubnet: spec.pods.subnet,
    clusterDomain: ctx.clusterDomain,
    ...(spec.pods.rangeStart ? { rangeStart: spec.pods.rangeStart, rangeEnd: spec.pods.rangeEnd } : {}),
  };
  writeFileSync(p.containerdConfig, containerdConfig(dir, ctx.sandboxImage));
  writeFileSync(join(p.cniConfDir, '10-p2pnc-node-bed.conflist'), cniConfig(layout));
  // A pull of an image the bed lacks goes to a proxy on a closed loopback port: it fails here, nothing leaves.
  ctx.startDaemon(
    `containerd${spec.suffix}`,
    ...inNetns(spec, 'env', [...NO_PULLS, 'containerd', '--config', p.containerdConfig]),
  );
  const ctr = (args: string[]): string => sh('ctr', ['-a', p.containerdSocket, '-n', 'k8s.io', ...args]);
  await ctx.waitFor(
    `containerd${spec.suffix}`,
    () => existsSync(p.containerdSocket) && tryRun('ctr', ['-a', p.containerdSocket, 'version']),
  );
  for (const archive of ctx.archives) ctr(['images', 'import', archive]);
  for (const image of ctx.images) {
    if (image !== ctx.builtImage) ctr(['images', 'tag', '--force', ctx.builtImage, image]);
  }
  return { spec, dir, runcRoot: p.runcRoot, ctr, kubeletStarted: 0 };
}

export function startKubelet(ctx: AgentContext, agent: NodeAgent): void {
  const { spec, dir } = agent;
  const p = paths(dir);
  const layout = {
    dir,
    bridge: spec.pods.bridge,
    nodeIp: spec.ip,
    prefix: 24,
    podSubnet: spec.pods.subnet,
    clusterDomain: ctx.clusterDomain,
  };
  writeFileSync(p.resolvConf, '# node bed: cluster DNS only, no host search domains\n');
  writeFileSync(
    p.kubeletConfig,
    kubeletConfig(layout, { port: ctx.ports.kubelet, healthzPort: ctx.ports.kubeletHealthz, dnsIp: ctx.dnsIp }),
  );
  agent.kubeletStarted = Date.now();
  ctx.startDaemon(
    `kubelet${spec.suffix}`,
    ...inNetns(spec, join(ctx.binDir, 'kubelet'), [
      `--config=${p.kubeletConfig}`,
      `--kubeconfig=${ctx.cluster.kubeconfig}`,
      `--root-dir=${p.kubeletRoot}`,
      `--cert-dir=${p.kubeletRoot}/pki`,
      `--hostname-override=${spec.name}`,
      `--node-ip=${spec.ip}`,
    ]),
  );
  ctx.startDaemon(
    `kube-proxy${spec.suffix}`,
    ...inNetns(spec, join(ctx.binDir, 'kube-proxy'), [
      `--kubeconfig=${ctx.cluster.kubeconfig}`,
      `--hostname-override=${spec.name}`,
      '--proxy-mode=iptables',
      `--cluster-cidr=${ctx.clusterCidr}`,
      '--conntrack-max-per-core=0',
      '--conntrack-tcp-timeout-established=0',
      '--conntrack-tcp-timeout-close-wait=0',
      '--iptables-localhost-nodeports=false',
      `--healthz-bind-address=127.0.0.1:${ctx.ports.proxyHealthz}`,
      `--metrics-bind-address=127.0.0.1:${ctx.ports.proxyMetrics}`,
    ]),
  );
}

/** Registry traffic through a proxy at 127.0.0.1:9 (discard; nothing listens there in the bed). */
const NO_PULLS = [
  'HTTP_PROXY=http://127.0.0.1:9',
  'HTTPS_PROXY=http://127.0.0.1:9',
  'NO_PROXY=',
  'http_proxy=',
  'https_proxy=',
  'no_proxy=',
];

function inNetns(spec: NodeSpec, bin: string, args: string[]): [string, string[]] {
  return spec.netns ? ['nsenter', [`--net=/run/netns/${spec.netns}`, '--', bin, ...args]] : [bin, args];
}

/**
 * A further node's network: its namespace, a veth from the host's pod bridge (host side `hostLink`), its address and
 * default route to the bridge's address, forwarding inside it, its own pod bridge; the host routes its pod subnet to
 * it. All of it goes when the namespace and the bridge are deleted.
 */
export function plumbNode(spec: NodeSpec, hostBridge: string, hostIp: string, hostLink: string): void {
  const ns = spec.netns!;
  sh('ip', ['netns', 'add', ns]);
  sh('ip', ['link', 'add', hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  sh('ip', ['link', 'set', hostLink, 'master', hostBridge, 'up']);
  const inside = (...args: string[]): string => sh('ip', ['-n', ns, ...args]);
  inside('link', 'set', 'lo', 'up');
  inside('addr', 'add', `${spec.ip}/24`, 'dev', 'eth0');
  inside('link', 'set', 'eth0', 'up');
  inside('route', 'add', 'default', 'via', hostIp);
  inside('link', 'add', spec.pods.bridge, 'type', 'bridge');
  inside('addr', 'add', `${spec.pods.gateway}/24`, 'dev', spec.pods.bridge);
  inside('link', 'set', spec.pods.bridge, 'up');
  // Per network namespace: forwarding between this node's pods and the bridge, and conntrack for bridged Service traffic.
  sh('nsenter', [
    `--net=/run/netns/${ns}`,
    '--',
    'sh',
    '-c',
    'echo 1 > /proc/sys/net/ipv4/ip_forward; [ ! -w /proc/sys/net/bridge/bridge-nf-call-iptables ] || echo 1 > /proc/sys/net/bridge/bridge-nf-call-iptables',
  ]);
  sh('ip', ['route', 'add', spec.pods.subnet, 'via', spec.ip, 'dev', hostBridge]);
}
