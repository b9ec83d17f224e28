/**
 * Failures only a real network can produce, in two throwaway network namespaces joined by veth pairs
 * (nothing is changed in the host's namespace). The probes run in a child process inside the "probe" namespace.
 *
 *   probe ns                         peer ns
 *   v1 169.254.77.1/30  <-veth->  v1 169.254.77.2/30   up; a listener on :8080            -> success, refused (:8081)
 *   v2 169.254.77.5/30  <-veth->  v2 169.254.77.6/30   peer end down, static neighbor     -> packets vanish: timeout
 *   v3 169.254.77.9/30  <-veth->  v3 169.254.77.10/30  its route deleted in the probe ns  -> network is unreachable
 *   169.254.77.14: an `unreachable` route in the probe ns                                 -> no route to host
 *
 * Needs root and iproute2. Skipped with the reason when unavailable, except with CI=true, where it must run.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import type { ProbeResult, ProbeTarget } from '../../src/runtime/types.js';

const run = promisify(execFile);
const PROBE_NS = `p2pnc-test-${process.pid}-probe`;
const PEER_NS = `p2pnc-test-${process.pid}-peer`;
const TIMEOUT_MS = 1000;
const PROBE_SCRIPT = fileURLToPath(new URL('./fixtures/probe-json.ts', import.meta.url));

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Why namespaces cannot be used here, or undefined when they can (checked by creating the probe namespace). */
function netnsUnavailable(): string | undefined {
  try {
    ip('netns', 'add', PROBE_NS);
    return undefined;
  } catch (error) {
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'the ip command (iproute2) is not installed'
        : stderr || String(error);
    return `network namespaces unavailable (needs root and iproute2): ${reason}`;
  }
}

const unavailable = netnsUnavailable();
const skip = unavailable !== undefined && process.env.CI !== 'true' ? unavailable : false;

function buildNetwork(): void {
  if (unavailable) throw new Error(`CI=true requires the network namespace tests to run, but ${unavailable}`);
  ip('netns', 'add', PEER_NS);
  for (const ns of [PROBE_NS, PEER_NS]) ip('-n', ns, 'link', 'set', 'lo', 'up');
  const pairs = [
    { link: 'v1', probe: '169.254.77.1/30', peer: '169.254.77.2/30' },
    { link: 'v2', probe: '169.254.77.5/30', peer: '169.254.77.6/30' },
    { link: 'v3', probe: '169.254.77.9/30', peer: '169.254.77.10/30' },
  ];
  for (const pair of pairs) {
    // Created directly inside the namespaces: the host's namespace never sees these links.
    ip('link', 'add', pair.link, 'netns', PROBE_NS, 'type', 'veth', 'peer', 'name', pair.link, 'netns', PEER_NS);
    ip('-n', PROBE_NS, 'addr', 'add', pair.probe, 'dev', pair.link);
    ip('-n', PEER_NS, 'addr', 'add', pair.peer, 'dev', pair.link);
    ip('-n', PROBE_NS, 'link', 'set', pair.link, 'up');
    ip('-n', PEER_NS, 'link', 'set', pair.link, 'up');
  }
  // Link down on the far side; the static neighbor entry keeps ARP from failing fast (EHOSTUNREACH after ~3 s),
  // so the SYN just goes nowhere, like a dead cable or a dropping firewall.
  ip('-n', PEER_NS, 'link', 'set', 'v2', 'down');
  ip(
    '-n',
    PROBE_NS,
    'neigh',
    'replace',
    '169.254.77.6',
    'lladdr',
    '02:00:00:00:00:06',
    'dev',
    'v2',
    'nud',
    'permanent',
  );
  ip('-n', PROBE_NS, 'route', 'del', '169.254.77.8/30', 'dev', 'v3');
  ip('-n', PROBE_NS, 'route', 'add', 'unreachable', '169.254.77.14/32');
}

function removeNetwork(): void {
  for (const ns of [PROBE_NS, PEER_NS]) {
    try {
      ip('netns', 'del', ns); // takes its veth ends along
    } catch {
      // not created
    }
  }
}

/** A plain listener in the peer namespace; it exits when its stdin closes, so it cannot outlive the test. */
async function startPeerListener(): Promise<ChildProcess> {
  const code = `
    const server = require('node:net').createServer((s) => s.end()).listen(8080, '169.254.77.2', () => console.log('listening'));
    process.stdin.on('end', () => process.exit(0)).resume();`;
  const child = spawn('ip', ['netns', 'exec', PEER_NS, process.execPath, '-e', code], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const [data] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit')])) as [Buffer | number];
  if (!Buffer.isBuffer(data) || !data.toString().includes('listening'))
    throw new Error('the peer listener did not start');
  return child;
}

async function probeInNamespace(targets: ProbeTarget[]): Promise<ProbeResult[]> {
  const { stdout } = await run('ip', [
    'netns',
    'exec',
    PROBE_NS,
    process.execPath,
    '--import',
    import.meta.resolve('tsx'),
    PROBE_SCRIPT,
    JSON.stringify({ timeoutMs: TIMEOUT_MS, targets }),
  ]);
  return JSON.parse(stdout) as ProbeResult[];
}

describe('probes over a real (namespaced) network', { skip }, () => {
  let peer: ChildProcess | undefined;
  let results: ProbeResult[] = [];
  const target = (label: string, host: string, port: number): ProbeTarget => ({ label, host, port, kind: 'tcp' });

  before(async () => {
    buildNetwork();
    peer = await startPeerListener();
    results = await probeInNamespace([
      target('reachable', '169.254.77.2', 8080),
      target('closed', '169.254.77.2', 8081),
      target('link-down', '169.254.77.6', 8080),
      target('route-removed', '169.254.77.10', 8080),
      target('unreachable', '169.254.77.14', 8080),
    ]);
  });

  after(() => {
    peer?.stdin?.end();
    peer?.kill();
    removeNetwork();
  });

  const result = (label: string): ProbeResult => {
    const found = results.find((r) => r.message.startsWith(`${label}: `));
    assert.ok(found, `a result for ${label}`);
    return found;
  };

  test('across the veth: success', () => {
    assert.equal(result('reachable').message, 'reachable: tcp connection to 169.254.77.2:8080 succeeded');
  });

  test('a closed port on the peer: refused', () => {
    const closed = result('closed');
    assert.equal(closed.failure, 'refused');
    assert.equal(
      closed.message,
      'closed: failed to establish a TCP connection to 169.254.77.2:8081: dial tcp 169.254.77.2:8081: connect: connection refused',
    );
  });

  test('the link is down: timeout after the probe timeout', () => {
    const down = result('link-down');
    assert.equal(down.failure, 'timeout');
    assert.equal(down.reason, 'TCPConnectError');
    assert.equal(
      down.message,
      'link-down: failed to establish a TCP connection to 169.254.77.6:8080: dial tcp 169.254.77.6:8080: i/o timeout',
    );
    assert.ok(down.latencyMs >= TIMEOUT_MS - 10 && down.latencyMs < TIMEOUT_MS + 500, `latency ${down.latencyMs} ms`);
  });

  test('the route was removed: network is unreachable', () => {
    const removed = result('route-removed');
    assert.equal(removed.failure, 'no-route');
    assert.equal(
      removed.message,
      'route-removed: failed to establish a TCP connection to 169.254.77.10:8080: dial tcp 169.254.77.10:8080: connect: network is unreachable',
    );
  });

  test('an unreachable route: no route to host', () => {
    const unreachable = result('unreachable');
    assert.equal(unreachable.failure, 'no-route');
    assert.equal(
      unreachable.message,
      'unreachable: failed to establish a TCP connection to 169.254.77.14:8080: dial tcp 169.254.77.14:8080: connect: no route to host',
    );
  });
});

// The availability check created the probe namespace; make sure it goes even when the suite is skipped.
process.on('exit', removeNetwork);
