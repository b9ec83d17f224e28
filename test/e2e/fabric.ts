/**
 * A small data-centre network in network namespaces: one namespace per node, each with an `eth0` veth into a
 * bridge that lives in its own "switch" namespace (the host's firewall never sees the bridged traffic), and one
 * veth from the host's namespace into the same bridge, so processes on the nodes can reach a server on the host
 * (the test kube-apiserver binds the host's fabric address).
 *
 *   host ns   p2e<pid> 10.213.S.1/24 ─┐
 *   node-a    eth0 10.213.S.11  ──────┤ br0 in the switch ns (ports named after the nodes)
 *   node-b    eth0 10.213.S.12  ──────┤
 *   ...                               ┘
 *
 * Nodes hold their address without a prefix route and get one /32 route per peer, so a single peer's route can
 * be removed; their neighbour entries are static, so a link going down loses packets (a timeout) instead of
 * failing ARP after a few seconds (no route to host) depending on cache state. Name lookups on a node read only
 * /etc/netns/<ns>/hosts (nsswitch `hosts: files`), which the test edits to make a name unresolvable.
 *
 * Needs root and iproute2. Everything is named after the test process's pid; leftovers of dead runs are removed
 * on create, and the namespaces (with every process inside) go on destroy() or when the process exits.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'p2pnc-e2e-';
const HOST_LINK_PREFIX = 'p2e';
const SUBNET_BASE = '10.213';
const HOST_INDEX = 1;
const FIRST_NODE_INDEX = 11;

export interface FabricNode {
  name: string;
  /** Network namespace the node's processes run in. */
  netns: string;
  address: string;
}

export interface FabricOptions {
  /** Node names: lower-case letters, digits and '-', at most 15 characters (they name the switch ports). */
  nodes: string[];
}

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
}

/** Why network namespaces cannot be used here (not root, no iproute2), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer | string }).stderr ?? '').trim();
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the ip command (iproute2) is not installed'
        : stderr || String(error);
    return `network namespaces unavailable (needs root and iproute2): ${reason}`;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills every process in a namespace, deletes it (its veth ends go with it) and its /etc/netns directory. */
function deleteNamespace(netns: string): void {
  try {
    for (const pid of ip('netns', 'pids', netns).split('\n').filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
    ip('netns', 'del', netns);
  } catch {
    // not there
  }
  rmSync(join('/etc/netns', netns), { recursive: true, force: true });
}

/** Namespaces and host links left by runs whose process is gone (a crash, a SIGKILL). */
export function removeLeftovers(): string[] {
  const removed: string[] = [];
  const ownerOf = (name: string, prefix: string): number =>
    Number(/^(\d+)/.exec(name.slice(prefix.length))?.[1] ?? NaN);
  const dead = (owner: number) => Number.isInteger(owner) && owner !== process.pid && !alive(owner);
  for (const line of ip('netns', 'list').split('\n')) {
    const netns = line.split(' ')[0] ?? '';
    if (netns.startsWith(PREFIX) && dead(ownerOf(netns, PREFIX))) {
      deleteNamespace(netns);
      removed.push(netns);
    }
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const link = /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '';
    if (new RegExp(`^${HOST_LINK_PREFIX}\\d+$`).test(link) && dead(ownerOf(link, HOST_LINK_PREFIX))) {
      try {
        ip('link', 'del', link);
        removed.push(link);
      } catch {
        // its peer's namespace was just deleted, which takes the pair along
      }
    }
  }
  return removed;
}

/** A /24 under 10.213 that nothing in the host's namespace uses yet, starting from one derived from the pid. */
function freeSubnet(): string {
  const used = ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show');
  for (let i = 0; i < 254; i++) {
    const subnet = `${SUBNET_BASE}.${((process.pid + i) % 254) + 1}`;
    if (!used.includes(`${subnet}.`)) return subnet;
  }
  throw new Error(`no free /24 under ${SUBNET_BASE}.0.0/16 in the host's namespace`);
}

const live = new Set<Fabric>();
let exitHooksInstalled = false;

/** The namespaces must not outlive the test process, however it ends. */
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const fabric of live) fabric.destroy();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      for (const fabric of live) fabric.destroy();
      process.removeListener(signal, onSignal);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

export class Fabric {
  readonly nodes: ReadonlyMap<string, FabricNode>;
  /** The host namespace's address on the fabric. */
  readonly hostAddress: string;
  private readonly switchNs: string;
  private readonly hostLink: string;
  private readonly macs = new Map<string, string>();
  private readonly hosts = new Map<string, Map<string, string>>();
  private destroyed = false;

  private constructor(
    readonly subnet: string,
    names: readonly string[],
  ) {
    const tag = `${PREFIX}${process.pid}`;
    this.switchNs = `${tag}-switch`;
    this.hostLink = `${HOST_LINK_PREFIX}${process.pid}`;
    this.hostAddress = `${subnet}.${HOST_INDEX}`;
    this.nodes = new Map(
      names.map((name, i) => [name, { name, netns: `${tag}-${name}`, address: `${subnet}.${FIRST_NODE_INDEX + i}` }]),
    );
  }

  /** Builds the fabric (removing leftovers of dead runs first); on a failure half-way it removes what it built. */
  static create(options: FabricOptions): Fabric {
    for (const name of options.nodes) {
      if (!/^[a-z0-9-]{1,15}$/.test(name) || name === 'host')
        throw new Error(`fabric node name "${name}": use 1-15 of [a-z0-9-], not "host"`);
    }
    removeLeftovers();
    installExitHooks();
    const fabric = new Fabric(freeSubnet(), options.nodes);
    live.add(fabric);
    try {
      fabric.build();
    } catch (error) {
      fabric.destroy();
      throw error;
    }
    return fabric;
  }

  node(name: string): FabricNode {
    const node = this.nodes.get(name);
    if (!node) throw new Error(`no fabric node "${name}" (nodes: ${[...this.nodes.keys()].join(', ')})`);
    return node;
  }

  private mac(index: number): string {
    const subnetOctet = Number(this.subnet.split('.')[2]);
    return ['02', 'e2', 'e0', subnetOctet, 0, index]
      .map((part) => (typeof part === 'number' ? part.toString(16).padStart(2, '0') : part))
      .join(':');
  }

  private build(): void {
    const sw = this.switchNs;
    ip('netns', 'add', sw);
    ip('-n', sw, 'link', 'set', 'lo', 'up');
    ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', sw, 'link', 'set', 'br0', 'up');

    const hostMac = this.mac(HOST_INDEX);
    ip('link', 'add', this.hostLink, 'address', hostMac, 'type', 'veth', 'peer', 'name', 'host', 'netns', sw);
    ip('-n', sw, 'link', 'set', 'host', 'master', 'br0', 'up');
    ip('addr', 'add', `${this.hostAddress}/24`, 'dev', this.hostLink);
    ip('link', 'set', this.hostLink, 'up');

    const endpoints = [{ address: this.hostAddress, mac: hostMac }];
    [...this.nodes.values()].forEach((node, i) => {
      const mac = this.mac(FIRST_NODE_INDEX + i);
      this.macs.set(node.name, mac);
      endpoints.push({ address: node.address, mac });
      ip('netns', 'add', node.netns);
      ip('-n', node.netns, 'link', 'set', 'lo', 'up');
      ip(
        'link',
        'add',
        'eth0',
        'netns',
        node.netns,
        'address',
        mac,
        'type',
        'veth',
        'peer',
        'name',
        node.name,
        'netns',
        sw,
      );
      ip('-n', sw, 'link', 'set', node.name, 'master', 'br0', 'up');
      ip('-n', node.netns, 'addr', 'add', `${node.address}/24`, 'dev', 'eth0', 'noprefixroute');
      ip('-n', node.netns, 'link', 'set', 'eth0', 'up');
      this.writeResolverFiles(node);
    });
    for (const node of this.nodes.values()) {
      for (const peer of endpoints.filter((endpoint) => endpoint.address !== node.address)) {
        ip('-n', node.netns, 'route', 'add', `${peer.address}/32`, 'dev', 'eth0');
        ip('-n', node.netns, 'neigh', 'replace', peer.address, 'lladdr', peer.mac, 'dev', 'eth0', 'nud', 'permanent');
      }
    }
  }

  /** `ip netns exec` bind-mounts these over /etc/hosts and /etc/nsswitch.conf for processes on the node. */
  private writeResolverFiles(node: FabricNode): void {
    const dir = join('/etc/netns', node.netns);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n');
    this.hosts.set(node.name, new Map());
    this.writeHosts(node.name);
  }

  private writeHosts(nodeName: string): void {
    const node = this.node(nodeName);
    const entries = [...(this.hosts.get(nodeName) ?? [])].map(([name, address]) => `${address} ${name}\n`).join('');
    // Rewritten in place (same inode): the bind mount of a running process sees the new content.
    writeFileSync(join('/etc/netns', node.netns, 'hosts'), `127.0.0.1 localhost\n::1 localhost\n${entries}`);
  }

  /** Makes `name` resolve to `address` for processes on `nodeName`. */
  addHost(nodeName: string, name: string, address: string): void {
    this.hosts.get(this.node(nodeName).name)!.set(name, address);
    this.writeHosts(nodeName);
  }

  /** Makes `name` unresolvable on `nodeName` (no DNS server is consulted). */
  removeHost(nodeName: string, name: string): void {
    this.hosts.get(this.node(nodeName).name)!.delete(name);
    this.writeHosts(nodeName);
  }

  /** The node's cable is pulled at the switch: its port goes down, frames to it are lost (probes time out). */
  linkDown(nodeName: string): void {
    ip('-n', this.switchNs, 'link', 'set', this.node(nodeName).name, 'down');
  }

  linkUp(nodeName: string): void {
    ip('-n', this.switchNs, 'link', 'set', this.node(nodeName).name, 'up');
  }

  /** Deletes the route on `fromNode` to `toNode`: with no other route, connects fail with ENETUNREACH. */
  removeRoute(fromNode: string, toNode: string): void {
    ip('-n', this.node(fromNode).netns, 'route', 'del', `${this.node(toNode).address}/32`, 'dev', 'eth0');
  }

  restoreRoute(fromNode: string, toNode: string): void {
    ip('-n', this.node(fromNode).netns, 'route', 'add', `${this.node(toNode).address}/32`, 'dev', 'eth0');
  }

  /** Removes every namespace (killing what runs inside) and the host's link; safe to call more than once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const node of this.nodes.values()) deleteNamespace(node.netns);
    deleteNamespace(this.switchNs);
    try {
      ip('link', 'del', this.hostLink);
    } catch {
      // went with the switch namespace
    }
  }
}
