/**
 * A second layer on a fabric (fabric.ts): behind every node a pod, as a CNI bridge plugin builds it. Each node gets a
 * bridge `cbr0` holding the gateway of its pod block (a /28), and a pod namespace whose `eth0` is a veth into that
 * bridge; nodes route each other's pod blocks via the peer node's fabric address, and the host's namespace routes
 * them too, so pods reach the test kube-apiserver. The node forwards between its bridge and the wire, as a node does.
 *
 *   node-a ns:  eth0 10.213.S.11 (fabric)   cbr0 10.214.S.1/28 ── veth ── pod ns: eth0 10.214.S.2  (default via .1)
 *   node-b ns:  eth0 10.213.S.12 (fabric)   cbr0 10.214.S.17/28 ── veth ── pod ns: eth0 10.214.S.18
 *
 * A pod-layer fault is one node's forwarding turned off: its pod is cut off while the node itself still answers.
 * The pod namespaces are named like the fabric's (`p2pnc-e2e-<pid>-<node>-pod`), so the fabric's leftover sweep
 * removes those of dead runs; destroy() removes them, and the host's routes go with the fabric's host link.
 */
import { execFileSync } from 'node:child_process';
import { ip, type Fabric } from './fabric.js';

const POD_BASE = '10.214';
const BLOCK = 16;

export interface PodLayerNode {
  node: string;
  netns: string;
  /** The pod's address (what the target pod's EndpointSlice lists). */
  address: string;
  gateway: string;
}

function sysctl(netns: string, setting: string): void {
  execFileSync('ip', ['netns', 'exec', netns, 'sysctl', '-q', '-w', setting], { stdio: ['ignore', 'pipe', 'pipe'] });
}

export class PodLayer {
  readonly pods: ReadonlyMap<string, PodLayerNode>;
  private destroyed = false;

  private constructor(
    private readonly fabric: Fabric,
    readonly subnet: string,
  ) {
    const tag = `p2pnc-e2e-${process.pid}`;
    this.pods = new Map(
      [...fabric.nodes.keys()].map((node, i) => [
        node,
        {
          node,
          netns: `${tag}-${node}-pod`,
          gateway: `${subnet}.${i * BLOCK + 1}`,
          address: `${subnet}.${i * BLOCK + 2}`,
        },
      ]),
    );
  }

  /** Builds the pod layer on every node of `fabric`; on a failure half-way it removes what it built. */
  static create(fabric: Fabric): PodLayer {
    if (fabric.nodes.size > 256 / BLOCK) throw new Error(`the pod layer takes at most ${256 / BLOCK} nodes`);
    const subnet = `${POD_BASE}.${fabric.subnet.split('.')[2]}`;
    if ((ip('-4', '-o', 'addr', 'show') + ip('-4', 'route', 'show')).includes(`${subnet}.`))
      throw new Error(`${subnet}.0/24 is in use in the host's namespace; the pod layer needs it`);
    const layer = new PodLayer(fabric, subnet);
    process.once('exit', () => layer.destroy());
    try {
      layer.build();
    } catch (error) {
      layer.destroy();
      throw error;
    }
    return layer;
  }

  pod(node: string): PodLayerNode {
    const pod = this.pods.get(node);
    if (!pod) throw new Error(`no pod layer on "${node}"`);
    return pod;
  }

  private build(): void {
    for (const pod of this.pods.values()) {
      const nodeNs = this.fabric.node(pod.node).netns;
      ip('netns', 'add', pod.netns);
      ip('-n', pod.netns, 'link', 'set', 'lo', 'up');
      ip('-n', nodeNs, 'link', 'add', 'cbr0', 'type', 'bridge');
      ip('-n', nodeNs, 'addr', 'add', `${pod.gateway}/28`, 'dev', 'cbr0');
      ip('-n', nodeNs, 'link', 'set', 'cbr0', 'up');
      ip('-n', nodeNs, 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns);
      ip('-n', nodeNs, 'link', 'set', 'veth0', 'master', 'cbr0', 'up');
      ip('-n', pod.netns, 'addr', 'add', `${pod.address}/28`, 'dev', 'eth0');
      ip('-n', pod.netns, 'link', 'set', 'eth0', 'up');
      ip('-n', pod.netns, 'route', 'add', 'default', 'via', pod.gateway);
      sysctl(nodeNs, 'net.ipv4.ip_forward=1');
      for (const scope of ['all', 'default', 'eth0', 'cbr0']) sysctl(nodeNs, `net.ipv4.conf.${scope}.rp_filter=0`);
      // The host reaches the pod block through the node (the test kube-apiserver answers the pods).
      ip('route', 'add', this.block(pod), 'via', this.fabric.node(pod.node).address);
    }
    for (const pod of this.pods.values())
      for (const peer of this.pods.values()) {
        if (peer === pod) continue;
        const via = this.fabric.node(peer.node).address;
        ip(
          '-n',
          this.fabric.node(pod.node).netns,
          'route',
          'add',
          this.block(peer),
          'via',
          via,
          'dev',
          'eth0',
          'onlink',
        );
      }
  }

  private block(pod: PodLayerNode): string {
    const last = Number(pod.gateway.split('.')[3]) - 1;
    return `${this.subnet}.${last}/28`;
  }

  /** The node stops forwarding between its pod bridge and the wire: its pod is cut off, the node still answers. */
  forwardingOff(node: string): void {
    sysctl(this.fabric.node(node).netns, 'net.ipv4.ip_forward=0');
  }

  forwardingOn(node: string): void {
    sysctl(this.fabric.node(node).netns, 'net.ipv4.ip_forward=1');
  }

  /** Removes the pod namespaces (killing what runs inside) and the host's routes; safe to call more than once. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const pod of this.pods.values()) {
      try {
        ip('route', 'del', this.block(pod));
      } catch {
        // not added, or gone with the fabric's host link
      }
      try {
        for (const pid of ip('netns', 'pids', pod.netns).split('\n').filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
        ip('netns', 'del', pod.netns);
      } catch {
        // not there
      }
    }
  }
}
