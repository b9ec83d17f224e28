/**
 * The icmp, udp and mtu probes against real faults in network namespaces, through `p2pnc check` run on a node:
 *
 *   fabric (fabric.ts): node src and node dst on one bridge; `p2pnc target` on dst (TCP and UDP :8080)
 *     - dst's firewall drops ICMP echo requests while TCP answers, and the reverse
 *     - src's net.ipv4.ping_group_range excludes the prober's group: ping sockets refused, with the fix named
 *     - dst's firewall drops a random share of UDP datagrams (iptables -m statistic): the loss figure
 *   routed path (built here): src ns -- router ns -- dst ns, the router's link towards src with a smaller MTU and
 *     its ICMP "fragmentation needed" dropped: TCP connects, the mtu probe names the black hole
 *
 * Needs root, iproute2, iptables and gcc (the ping-socket addon). Skipped with the reason when unavailable, except
 * with CI=true, where it must run.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { eventually, startCli, type RunningProcess } from '../helpers/process.js';
import { ensureIcmpAddon } from '../probe/support/icmp-addon.js';
import { Fabric, ip, netnsUnavailable } from './fabric.js';

const PORT = 8080;
const ALL_GROUPS = '0 2147483647';

function iptablesUnavailable(): string | undefined {
  try {
    execFileSync('iptables', ['-V'], { stdio: 'pipe' });
    return undefined;
  } catch {
    return 'iptables is not installed';
  }
}

const unavailable = netnsUnavailable() ?? iptablesUnavailable();
const skip = unavailable !== undefined && process.env.CI !== 'true' ? unavailable : false;

function inNetns(netns: string, ...command: string[]): string {
  return execFileSync('ip', ['netns', 'exec', netns, ...command], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
}

function iptables(netns: string, ...rule: string[]): void {
  inNetns(netns, 'iptables', '-w', ...rule);
}

function setPingGroups(netns: string, range: string): void {
  inNetns(netns, 'sysctl', '-qw', `net.ipv4.ping_group_range=${range}`);
}

interface Entry {
  success: boolean;
  reason: string;
  message: string;
  latency: string;
  failure?: string;
}

/** `p2pnc check <args> -o json` inside `netns`: its exit code and log entry. */
async function check(netns: string, ...args: string[]): Promise<{ code: number | null; entry: Entry }> {
  const run = startCli(['check', ...args, '-o', 'json'], {}, { netns });
  const [code] = (await once(run.child, 'close')) as [number | null];
  try {
    return { code, entry: JSON.parse(run.output()) as Entry };
  } catch {
    throw new Error(`p2pnc check ${args.join(' ')} printed no log entry (exit ${code}):\n${run.output()}`);
  }
}

async function startTarget(netns: string): Promise<RunningProcess> {
  const target = startCli(['target', '--port', String(PORT), '--host', '0.0.0.0'], {}, { netns });
  await eventually(
    async () =>
      target.output().includes('"msg":"target listening"')
        ? true
        : target.child.exitCode !== null
          ? Promise.reject(new Error(target.output()))
          : undefined,
    20_000,
    'the target to listen',
  );
  return target;
}

/** "37/100 echoed, 63% loss, ..." -> 63 */
function lossOf(message: string): number {
  const match = /(\d+)\/(\d+) echoed, ([\d.]+)% loss/.exec(message);
  assert.ok(match, `no loss figure in: ${message}`);
  return Number(match[3]);
}

describe('probe kinds across a fabric', { skip }, () => {
  let fabric: Fabric;
  let target: RunningProcess;
  let src: string;
  let dst: string;
  let dstAddress: string;

  before(async () => {
    if (unavailable) throw new Error(`CI=true requires the network namespace tests to run, but ${unavailable}`);
    ensureIcmpAddon();
    fabric = Fabric.create({ nodes: ['src', 'dst'] });
    src = fabric.node('src').netns;
    dst = fabric.node('dst').netns;
    dstAddress = fabric.node('dst').address;
    setPingGroups(src, ALL_GROUPS);
    target = await startTarget(dst);
  });
  after(async () => {
    await target?.stop();
    fabric?.destroy();
  });

  test('a healthy path: icmp, tcp, udp and mtu all succeed, icmp and udp with a round trip as latency', async () => {
    const icmp = await check(src, 'icmp', dstAddress, '--timeout', '2s');
    assert.equal(icmp.code, 0, icmp.entry.message);
    assert.equal(icmp.entry.reason, 'ICMPEcho');
    assert.equal(icmp.entry.message, `${dstAddress}: icmp echo to ${dstAddress} succeeded in ${icmp.entry.latency}`);
    const udp = await check(src, 'udp', `${dstAddress}:${PORT}`, '--count', '20');
    assert.equal(udp.code, 0, udp.entry.message);
    assert.equal(udp.entry.reason, 'UDPEcho');
    assert.match(udp.entry.message, /succeeded: 20\/20 echoed, 0% loss, rtt avg \S+ max \S+, jitter \S+$/);
    const mtu = await check(src, 'tcp-endpoint', `${dstAddress}:${PORT}`, '--mtu', '200000', '--timeout', '3s');
    assert.equal(mtu.code, 0, mtu.entry.message);
    assert.equal(mtu.entry.reason, 'MTUTransfer');
  });

  test('ICMP dropped by a firewall while TCP answers: icmp fails (timeout), tcp succeeds', async () => {
    const rule = ['INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP'];
    iptables(dst, '-A', ...rule);
    try {
      const icmp = await check(src, 'icmp', dstAddress, '--timeout', '1s');
      assert.equal(icmp.code, 1);
      assert.equal(icmp.entry.reason, 'ICMPEchoError');
      assert.equal(icmp.entry.failure, 'timeout');
      assert.equal(icmp.entry.message, `${dstAddress}: no icmp echo reply from ${dstAddress}: i/o timeout`);
      const tcp = await check(src, 'tcp-endpoint', `${dstAddress}:${PORT}`, '--timeout', '1s');
      assert.equal(tcp.code, 0, tcp.entry.message);
    } finally {
      iptables(dst, '-D', ...rule);
    }
  });

  test('the reverse: the port filtered while the host answers ping: tcp times out, icmp succeeds', async () => {
    const rule = ['INPUT', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP'];
    iptables(dst, '-A', ...rule);
    try {
      const tcp = await check(src, 'tcp-endpoint', `${dstAddress}:${PORT}`, '--timeout', '1s');
      assert.equal(tcp.code, 1);
      assert.equal(tcp.entry.failure, 'timeout');
      const icmp = await check(src, 'icmp', dstAddress, '--timeout', '1s');
      assert.equal(icmp.code, 0, icmp.entry.message);
    } finally {
      iptables(dst, '-D', ...rule);
    }
  });

  test('ping sockets refused when net.ipv4.ping_group_range excludes the group: the sysctl to set is named', async () => {
    setPingGroups(src, '1 0');
    try {
      const icmp = await check(src, 'icmp', dstAddress, '--timeout', '1s');
      assert.equal(icmp.code, 1);
      assert.equal(icmp.entry.reason, 'ICMPEchoError');
      assert.equal(icmp.entry.failure, 'config');
      assert.match(
        icmp.entry.message,
        /: ping sockets not permitted: set net\.ipv4\.ping_group_range to a range covering group 0 \(e\.g\. "0 0" in the pod's securityContext\.sysctls\)$/,
      );
      // Only the range decides: a range covering the group (and nothing more) admits the prober again.
      setPingGroups(src, '0 0');
      assert.equal((await check(src, 'icmp', dstAddress, '--timeout', '1s')).code, 0);
    } finally {
      setPingGroups(src, ALL_GROUPS);
    }
  });

  test('random UDP loss (iptables statistic): the loss figure within tolerance, the threshold deciding the verdict', async () => {
    const probability = 0.3;
    const rule = ['INPUT', '-p', 'udp', '--dport', String(PORT)];
    const drop = [...rule, '-m', 'statistic', '--mode', 'random', '--probability', String(probability), '-j', 'DROP'];
    iptables(dst, '-A', ...drop);
    try {
      const count = 400;
      const lenient = await check(src, 'udp', `${dstAddress}:${PORT}`, '--count', String(count), '--max-loss', '60');
      assert.equal(lenient.code, 0, lenient.entry.message);
      // Binomial: sd = sqrt(400 * 0.3 * 0.7) = 9.2 datagrams = 2.3 points; 4 sd either side.
      const loss = lossOf(lenient.entry.message);
      assert.ok(Math.abs(loss - 100 * probability) <= 9.2, `loss ${loss}% is not about 30%`);

      const strict = await check(src, 'udp', `${dstAddress}:${PORT}`, '--count', '200');
      assert.equal(strict.code, 1, strict.entry.message);
      assert.equal(strict.entry.reason, 'UDPEchoError');
      assert.match(strict.entry.message, /lost more than 20% of its datagrams: \d+\/200 echoed/);
    } finally {
      iptables(dst, '-D', ...drop);
    }
    const all = [...rule, '-j', 'DROP'];
    iptables(dst, '-A', ...all);
    try {
      const none = await check(src, 'udp', `${dstAddress}:${PORT}`, '--count', '5', '--timeout', '1s');
      assert.equal(none.code, 1);
      assert.match(none.entry.message, /: 0\/5 echoed, 100% loss$/);
    } finally {
      iptables(dst, '-D', ...all);
    }
  });
});

/** src -- rtr -- dst over two veth pairs; rtr forwards. Names share fabric.ts's prefix, so leftovers get cleaned up. */
class RoutedPath {
  readonly src = `p2pnc-e2e-${process.pid}-mtu-src`;
  readonly rtr = `p2pnc-e2e-${process.pid}-mtu-rtr`;
  readonly dst = `p2pnc-e2e-${process.pid}-mtu-dst`;
  readonly dstAddress = '192.168.251.2';

  constructor() {
    try {
      this.build();
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  private build(): void {
    for (const ns of [this.src, this.rtr, this.dst]) {
      ip('netns', 'add', ns);
      ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    ip('link', 'add', 'left', 'netns', this.src, 'type', 'veth', 'peer', 'name', 'left', 'netns', this.rtr);
    ip('link', 'add', 'right', 'netns', this.rtr, 'type', 'veth', 'peer', 'name', 'right', 'netns', this.dst);
    const address = (ns: string, cidr: string, link: string) => {
      ip('-n', ns, 'addr', 'add', cidr, 'dev', link);
      ip('-n', ns, 'link', 'set', link, 'up');
    };
    address(this.src, '192.168.250.2/24', 'left');
    address(this.rtr, '192.168.250.1/24', 'left');
    address(this.rtr, '192.168.251.1/24', 'right');
    address(this.dst, '192.168.251.2/24', 'right');
    ip('-n', this.src, 'route', 'add', 'default', 'via', '192.168.250.1');
    ip('-n', this.dst, 'route', 'add', 'default', 'via', '192.168.251.1');
    inNetns(this.rtr, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  }

  /** The router's link towards src carries smaller packets than both ends believe. */
  lowerMtu(mtu: number): void {
    ip('-n', this.rtr, 'link', 'set', 'left', 'mtu', String(mtu));
  }

  /** The router stops telling senders so: its ICMP "fragmentation needed" is dropped. */
  silenceFragmentationNeeded(action: '-A' | '-D'): void {
    iptables(this.rtr, action, 'OUTPUT', '-p', 'icmp', '--icmp-type', 'fragmentation-needed', '-j', 'DROP');
  }

  destroy(): void {
    for (const ns of [this.src, this.rtr, this.dst]) {
      try {
        for (const pid of ip('netns', 'pids', ns).split('\n').filter(Boolean)) process.kill(Number(pid), 'SIGKILL');
        ip('netns', 'del', ns);
      } catch {
        // not there
      }
    }
  }
}

describe('mtu probe on a routed path with a black hole', { skip }, () => {
  let path: RoutedPath;
  let target: RunningProcess;

  before(async () => {
    if (unavailable) throw new Error(`CI=true requires the network namespace tests to run, but ${unavailable}`);
    path = new RoutedPath();
    process.once('exit', () => path.destroy());
    target = await startTarget(path.dst);
  });
  after(async () => {
    await target?.stop();
    path?.destroy();
  });

  test('before the fault the payload arrives; after it, TCP still connects and the mtu probe names the black hole', async () => {
    const endpoint = `${path.dstAddress}:${PORT}`;
    const healthy = await check(path.src, 'tcp-endpoint', endpoint, '--mtu', '65536', '--timeout', '2s');
    assert.equal(healthy.code, 0, healthy.entry.message);

    path.lowerMtu(1280);
    path.silenceFragmentationNeeded('-A');
    const tcp = await check(path.src, 'tcp-endpoint', endpoint, '--timeout', '2s');
    assert.equal(tcp.code, 0, tcp.entry.message);
    // A small request and response still pass: only large segments vanish.
    const http = await check(path.src, 'tcp-endpoint', endpoint, '--http', '/healthz', '--timeout', '2s');
    assert.equal(http.code, 0, http.entry.message);

    const mtu = await check(path.src, 'tcp-endpoint', endpoint, '--mtu', '65536', '--timeout', '2s');
    assert.equal(mtu.code, 1);
    assert.equal(mtu.entry.reason, 'MTUBlackHole');
    assert.equal(mtu.entry.failure, 'mtu', 'a failure kind of its own, not a timeout');
    assert.match(
      mtu.entry.message,
      new RegExp(
        `^${endpoint.replaceAll('.', '\\.')}: mtu black hole on the path from http://${endpoint.replaceAll('.', '\\.')}/payload\\?bytes=65536: connected and got the response headers, but only \\d+ of 65536 payload bytes arrived within 2s: small packets pass and large segments never arrive`,
      ),
    );

    // Other failures keep their own reasons: nothing listening is refused, not a black hole.
    const refused = await check(path.src, 'tcp-endpoint', `${path.dstAddress}:${PORT + 1}`, '--mtu', '65536');
    assert.equal(refused.entry.reason, 'TCPConnectError');

    // With the router's ICMP let through, path-MTU discovery repairs the path: the black hole was the silence.
    path.silenceFragmentationNeeded('-D');
    const repaired = await check(path.src, 'tcp-endpoint', endpoint, '--mtu', '65536', '--timeout', '2s');
    assert.equal(repaired.code, 0, repaired.entry.message);
  });
});
