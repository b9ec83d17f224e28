// Input that used to hang, crash or flood: each gets a short error naming file, line and path, fast.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { applyFilter } from '../../src/ops/filters.js';
import { toRows } from '../../src/ops/matrix.js';
import type { CheckObject } from '../../src/runtime/kube/resources.js';
import { expand } from '../../src/topology/expand.js';
import { IP_ADDRESS } from '../../src/topology/formats.js';
import { MAX_CHECKS } from '../../src/topology/limits.js';
import { loadTopologyFile, parseTopology, readTopology, TopologyError } from '../../src/topology/load.js';
import { nodeLabelValue } from '../../src/api/labels.js';
import { smallTopology } from '../helpers/topologies.js';

/** The error of topology text, checked for the shape every rejection has. */
function rejection(text: string, file = 'topology.yaml'): string {
  // CPU time: the suites share two cores, and waiting for one is not the input's doing.
  const started = process.cpuUsage();
  let caught: unknown;
  try {
    parseTopology(text, file);
  } catch (error) {
    caught = error;
  }
  const used = process.cpuUsage(started);
  const elapsed = (used.user + used.system) / 1000;
  assert.ok(caught instanceof TopologyError, `expected a TopologyError, got ${String(caught)}`);
  const message = caught.message;
  assert.ok(elapsed < 2000, `took ${Math.round(elapsed)} ms of CPU`);
  assert.ok(message.length < 4096, `${message.length} characters of error`);
  assert.doesNotMatch(message, /[\u0000-\u0008\u000b-\u001f\u007f]/, 'no control characters');
  for (const line of message.split('\n').slice(1))
    assert.match(line, /^ {2}(\S+:\d+: \S.*: \S|and \d+ more problems?$)/, line);
  return message;
}

const mutated = (mutate: (topology: any) => void): string => {
  const topology = smallTopology() as any;
  mutate(topology);
  return stringify(topology);
};

describe('topology input that hung, crashed or flooded', () => {
  test('a 200,000-character unknown key or kind is answered at once, shortened', () => {
    const key = rejection(mutated((t) => (t.targets[0]['k'.repeat(200_000)] = 1)));
    assert.match(
      key,
      /targets\[0\]\."k{40}…" \(200000 characters\): unknown key "k{60}…" \(200000 characters\); allowed keys/,
    );
    const kind = rejection(mutated((t) => (t.targets[0].kind = 'endpoint'.repeat(25_000))));
    assert.match(kind, /targets\[0\]\.kind: must be one of .*; got "(endpoint)+endp…" \(200000 characters\)/);
  });

  test('the suggestion still finds close words', () => {
    assert.match(rejection(mutated((t) => (t.targets[0].kind = 'nod'))), /did you mean "node"\?/);
  });

  test('control characters in keys and values are escaped, never sent to the terminal', () => {
    const message = rejection(mutated((t) => ((t['\u001b[2J\u001b[31mboom'] = 1), (t.cluster = 'a\u0007\r\nb'))));
    assert.match(message, /"\\u\{1b\}\[2J\\u\{1b\}\[31mboom": unknown key/);
    assert.match(message, /cluster: .*\(got "a\\u\{7\}\\r\\nb"\)/);
  });

  test('999 repeated problems: at most 20, and what fits in 2,400 characters, then a count', () => {
    const message = rejection(
      mutated((t) =>
        t.nodes.push(...Array.from({ length: 999 }, (_, i) => ({ name: `n${i}`, addresses: ['10.0.0.300'] }))),
      ),
    );
    assert.match(message, /\(999 problems\)/);
    const listed = message.split('\n').filter((line) => line.includes('addresses[0]')).length;
    assert.ok(listed >= 10 && listed <= 20, `${listed} listed`);
    assert.match(message, new RegExp(`\\n {2}and ${999 - listed} more problems$`));
    const short = rejection(
      mutated((t) => t.nodes.push(...Array.from({ length: 30 }, () => ({ name: 'n', addresses: ['x'] })))),
    );
    assert.equal(short.split('\n').filter((line) => /addresses\[0\]|\.name:/.test(line)).length, 20);
  });

  test('UTF-16, binary, non-UTF-8 files and JSON with comments get one line saying so', () => {
    const text = stringify(smallTopology());
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    assert.throws(() => readBytes(utf16), /topology\.yaml:1: \(file\): the file is UTF-16; save it as UTF-8/);
    assert.throws(() => readBytes(Buffer.from(text, 'utf16le')), /the file is UTF-16; save it as UTF-8/);
    assert.throws(
      () => readBytes(Buffer.from([0x63, 0x3a, 0x20, 0xe9, 0x0a])),
      /topology\.yaml:1: \(file\): the file is not UTF-8 \(byte 0xe9 at line 1\); save it as UTF-8/,
    );
    const json = `{\n  "cluster": "a", // the name\n  "nodes": []\n}\n`;
    assert.match(rejection(json, 'topology.json'), /topology\.json:2: \(syntax\): JSON does not allow comments/);
  });

  test('deep nesting, alias bombs and unresolved aliases are topology errors with line and path', () => {
    assert.match(
      rejection(`cluster: demo\nnodes: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`),
      /topology\.yaml:2: nodes: nested deeper than 64 levels/,
    );
    assert.match(
      rejection(`cluster: demo\nnodes:\n${'- '.repeat(50_000)}x\n`),
      /topology\.yaml:3: nodes: nested deeper/,
    );
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((name, i) => `${name}: &${name} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n');
    assert.match(rejection(bomb), /topology\.yaml:2: b\[0\]: aliases expand to too much data/);
    assert.match(
      rejection('cluster: demo\nnodes:\n  - name: *missing\n'),
      /topology\.yaml:3: nodes\[0\]\.name: alias \*missing names no anchor before it/,
    );
  });

  test('huge files, lists and mappings are refused before validation, quickly', () => {
    const keys = (count: number, name: (i: number) => string) =>
      `cluster: demo\n${Array.from({ length: count }, (_, i) => `${name(i)}: 1`).join('\n')}\n`;
    assert.match(rejection(keys(100_000, (i) => `k${i}`)), /topology\.yaml:50001: \(file\): more than 50000 entries/);
    assert.match(
      rejection(`cluster: demo\nnodes: [${Array(900_000).fill('1').join(',')}]\n`),
      /topology\.yaml:2: \(file\): more than 50000 entries/,
    );
    assert.match(
      rejection(keys(5_000, (i) => `k${i}`)),
      /topology\.yaml:1: \(top level\): a mapping of 5001 keys; at most 1000/,
    );
    assert.match(
      rejection(`cluster: demo\nnodes: [${Array(20_000).fill('1').join(',')}]\n`),
      /topology\.yaml:2: nodes: a list of 20000 items; at most 10000/,
    );
    assert.match(
      rejection(keys(900, () => 'same')),
      /topology\.yaml:3: same: duplicate key "same": line 2 has it already/,
    );
    assert.match(
      rejection(`cluster: ${'x'.repeat(3 * 1024 * 1024)}\n`),
      /topology\.yaml:1: \(file\): the file has 3145738 bytes; a topology is at most 2097152 bytes/,
    );
  });

  test('a topology making more checks than supported is refused before expanding', () => {
    const nodes = Array.from({ length: 400 }, (_, i) => ({
      name: `n${i}`,
      addresses: [`10.1.${i >> 8}.${i & 255}`],
      roles: ['w'],
    }));
    const text = stringify({
      cluster: 'big',
      nodes,
      sources: [{ name: 'mesh', kind: 'DaemonSet' }],
      targets: [{ name: 't', kind: 'p2pnc-target' }],
    });
    assert.ok(400 * 401 > MAX_CHECKS);
    assert.match(
      rejection(text),
      /topology\.yaml:\d+: sources: these sources and targets make 160,400 checks, more than the 100,000/,
    );
  });
});

describe('what the API server or the runtime would refuse', () => {
  const cases: [string, (t: any) => void, RegExp][] = [
    [
      'a Service name starting with a digit',
      (t) => (t.target = { name: '1target' }),
      /target\.name: target\.name names a Service, so it must be a DNS-1035 label/,
    ],
    [
      'a label key name over 63 characters',
      (t) => (t.nodes[2].labels = { [`example.com/${'k'.repeat(64)}`]: 'a' }),
      /nodes\[2\]\.labels\."example\.com\/k+…" \(76 characters\): label keys must be \[prefix\/\]name/,
    ],
    [
      'a label key prefix over 253 characters',
      (t) => (t.monitoring = { labels: { [`${'p.'.repeat(127)}io/x`]: 'a' } }),
      /monitoring\.labels\..*label keys must be/,
    ],
    [
      'a label value over 63 characters',
      (t) => (t.sources[1].nodeLabels = { zone: 'v'.repeat(64) }),
      /sources\[1\]\.nodeLabels\.zone: a label value must be at most 63 characters/,
    ],
    ['a blank image', (t) => (t.image = ' '), /image: must be a container image reference/],
    [
      'an image with spaces',
      (t) => (t.image = 'registry.example.com/p2pnc 0.1'),
      /image: must be a container image reference/,
    ],
    [
      'two IPv4 addresses on a node',
      (t) => (t.nodes[1].addresses = ['10.0.0.11', '10.0.0.12']),
      /nodes\[1\]\.addresses\[1\]: a node has one address per family, and addresses\[0\] is IPv4 already/,
    ],
    [
      'two IPv6 addresses on a node',
      (t) => (t.nodes[1].addresses = ['fd00::1', 'fd00::2']),
      /addresses\[0\] is IPv6 already/,
    ],
    [
      'a Cyrillic letter in a host',
      (t) => (t.targets[3].host = 'api.ex\u0430mple.com'),
      /targets\[3\]\.host: .*it has the non-ASCII character "\u0430" U\+0430 at position 7 .*punycode/,
    ],
    [
      'a bracketed IPv6 host',
      (t) => (t.targets[3].host = '[fd00::1]'),
      /targets\[3\]\.host: must be a DNS name .* without brackets/,
    ],
    [
      'an address-like host that is no address',
      (t) => (t.targets[3].host = '192.168.20.300'),
      /targets\[3\]\.host: must be a DNS name/,
    ],
    [
      'an http path with a space',
      (t) => (t.targets[1].probe = { kind: 'https', path: '/ready z' }),
      /targets\[1\]\.probe\.path: path must start with \/ and be printable ASCII/,
    ],
    [
      'a server name that is no DNS name',
      (t) => (t.targets[1].probe = { kind: 'https', serverName: 'a b' }),
      /targets\[1\]\.probe\.serverName: must be a DNS name/,
    ],
    ['an interval of a year', (t) => (t.interval = '8760h'), /interval: must be at most 24h/],
  ];
  for (const [name, mutate, expected] of cases) test(name, () => assert.match(rejection(mutated(mutate)), expected));

  test('an IPv4 and an IPv6 address on a node are fine', () => {
    assert.equal(
      parseTopology(mutated((t) => (t.nodes[1].addresses = ['10.0.0.11', 'fd00::11']))).nodes[1]!.addresses.length,
      2,
    );
  });

  test('the address format agrees with node:net isIP', () => {
    const regex = new RegExp(IP_ADDRESS.pattern);
    let seed = 7;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const alphabet = '0123456789abcdef:.';
    const samples = [
      '::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1:2:3:4:5:6:1.2.3.4',
      '::ffff:1.2.3.4',
      '1.2.3.4',
      '01.2.3.4',
    ];
    for (let i = 0; i < 20_000; i++)
      samples.push(Array.from({ length: 2 + random(16) }, () => alphabet[random(alphabet.length)]).join(''));
    for (const sample of samples) assert.equal(regex.test(sample), isIP(sample) !== 0, sample);
  });
});

describe('warnings', () => {
  test('a DaemonSet placed by role worker is valid, with a warning naming line and path', () => {
    const { warnings } = readTopology(stringify(smallTopology()));
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.path, 'sources[1].roles[0]');
    assert.match(warnings[0]!.message, /kubeadm does not put node-role\.kubernetes\.io\/worker on its workers/);
    assert.ok(warnings[0]!.line! > 1);
  });

  test('so is one selecting the worker role label by nodeLabels', () => {
    const topology = smallTopology() as any;
    topology.sources[1] = { name: 'mesh', kind: 'DaemonSet', nodeLabels: { 'node-role.kubernetes.io/worker': '' } };
    for (const node of topology.nodes) node.labels = { ...node.labels, 'node-role.kubernetes.io/worker': '' };
    const { warnings } = readTopology(stringify(topology));
    assert.deepEqual(
      warnings.map((warning) => warning.path),
      ['sources[1].nodeLabels."node-role.kubernetes.io/worker"'],
    );
  });
});

describe('node names longer than a label value', () => {
  const long = `${'node-'.repeat(13)}a.example.com`;

  test('the label value is the name up to 63 characters, else its head and a hash a shell computes too', () => {
    assert.equal(nodeLabelValue('ip-10-0-0-4.ec2.internal'), 'ip-10-0-0-4.ec2.internal');
    assert.equal(nodeLabelValue('n'.repeat(63)), 'n'.repeat(63));
    assert.ok(long.length > 63);
    const value = nodeLabelValue(long);
    assert.match(value, /^node-node-node-node-node-node-node-node-node-node-node-[0-9a-f]{8}$/);
    assert.ok(value.length <= 63);
  });

  test('checks carry the full name in an annotation, and status --node selects by name or by label value', () => {
    const topology = smallTopology() as any;
    topology.nodes[2].name = long;
    topology.sources[0].node = long;
    const checks = expand(parseTopology(stringify(topology)));
    const onLong = checks.filter((check) => check.spec.source?.node === long);
    assert.ok(onLong.length > 0);
    for (const check of onLong) {
      assert.equal(check.labels['p2pnc.io/source-node'], nodeLabelValue(long));
      assert.equal(check.annotations?.['p2pnc.io/source-node'], long);
    }
    assert.ok(
      checks
        .filter((check) => check.spec.source?.node !== long && check.spec.target?.node !== long)
        .every((check) => check.annotations === undefined),
    );
    const rows = toRows(
      checks.map(
        (check) =>
          ({
            apiVersion: 'p2pnc.io/v1alpha1',
            kind: 'PodNetworkConnectivityCheck',
            metadata: { name: check.name, labels: check.labels },
            spec: check.spec,
          }) as CheckObject,
      ),
    );
    const byName = applyFilter(rows, { nodes: [long] });
    const byLabel = applyFilter(rows, { nodes: [nodeLabelValue(long)] });
    assert.ok(byName.length >= onLong.length);
    assert.deepEqual(byLabel, byName);
  });
});

/** Loads the bytes as a file named topology.yaml, as synth does. */
function readBytes(bytes: Buffer): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'p2pnc-input-'));
  try {
    writeFileSync(join(dir, 'topology.yaml'), bytes);
    return loadTopologyFile(join(dir, 'topology.yaml'));
  } catch (error) {
    throw new Error((error as Error).message.replaceAll(`${dir}/`, ''), { cause: error });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
