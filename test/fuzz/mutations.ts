/**
 * Seeded mutations of valid topologies: each case is a file's bytes plus the list of what was done to it, the
 * same for the same seed and case number on every machine.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { smallTopology } from '../helpers/topologies.js';

export interface Random {
  /** 0 <= n < max */
  int(max: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

/** mulberry32: small, fast, and the same sequence everywhere. */
export function seeded(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (max) => Math.floor(next() * max),
    pick: (items) => items[Math.floor(next() * items.length)]!,
    chance: (probability) => next() < probability,
  };
}

export interface FuzzCase {
  id: number;
  base: string;
  /** What was done, in order: printed with the seed when a case fails. */
  mutations: string[];
  fileName: string;
  bytes: Buffer;
}

export interface Base {
  name: string;
  data: Record<string, any>;
}

export function bases(): Base[] {
  const fromFile = (file: string) => ({ name: file, data: parse(readFileSync(file, 'utf8')) as Record<string, any> });
  return [
    fromFile('topology.yaml'),
    fromFile('examples/topologies/node-mesh.yaml'),
    { name: 'smallTopology()', data: smallTopology() as Record<string, any> },
  ];
}

type Json = any;
type Mutation = (data: Json, random: Random) => string;

// ---------------------------------------------------------------------------------------------
// Where to mutate

interface Slot {
  path: (string | number)[];
  parent: Json;
  key: string | number;
}

/** Every place in the data: map entries and list items, containers included. */
function slots(data: Json, path: (string | number)[] = [], out: Slot[] = []): Slot[] {
  if (path.length > 12) return out;
  if (Array.isArray(data)) {
    data.forEach((value, i) => {
      out.push({ path: [...path, i], parent: data, key: i });
      if (out.length < 5000) slots(value, [...path, i], out);
    });
  } else if (data && typeof data === 'object') {
    for (const key of Object.keys(data)) {
      out.push({ path: [...path, key], parent: data, key });
      if (out.length < 5000) slots(data[key], [...path, key], out);
    }
  }
  return out;
}

const where = (slot: Slot) =>
  slot.path.map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`)).join('') || '(top)';

function pickSlot(data: Json, random: Random, filter: (slot: Slot) => boolean = () => true): Slot | undefined {
  const all = slots(data).filter(filter);
  return all.length === 0 ? undefined : random.pick(all);
}

const isString = (slot: Slot) => typeof slot.parent[slot.key] === 'string';
const isMap = (value: Json) => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A list of the topology (nodes, sources, targets) and one of its items, if it has any. */
function item(data: Json, list: string, random: Random): Json | undefined {
  const items = data[list];
  return Array.isArray(items) && items.length > 0 ? random.pick(items) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Values

const LONG_LENGTHS = [64, 70, 254, 5000, 200_000];
const LONG_CHARS = ['a', 'a-', 'é', 'x.', '0'];
const WRONG_TYPES: Json[] = [42, -1, 3.5, true, false, null, [], {}, 'text', [1, 2], { a: 1 }, '', 1e300];
const ODD_KEYS = [
  'prot',
  'nmae',
  'kindd',
  'k'.repeat(200_000),
  '\u001b[31mred\u001b[0m',
  'ключ',
  '',
  '__proto__',
  'constructor',
  'a'.repeat(70),
];
const UNICODE = ['\u0430', '\u212a', '\u200b', '\u202e', '\u{1f600}', '\u0000', 'é', '\ufeff', '\ud800'];
const CONTROL = ['\u001b[2J', '\r', '\u0007', '\n', '\t', '\u001b]0;title\u0007', '\u0085'];
const BAD_IPS = [
  '10.0.0.300',
  'fd00:::1',
  '[fd00::1]',
  '10.0.0',
  '0x0a000001',
  '10.0.0.1/24',
  ' 10.0.0.1',
  '::ffff:10.0.0.1',
  '010.0.0.1',
  'fe80::1%eth0',
  'localhost',
  '1:2:3:4:5:6:7:8:9',
];
const DURATIONS = [
  '0s',
  '60',
  '1y',
  '-1s',
  '1.5h',
  '99999999h',
  '1ns',
  '',
  '60 s',
  '1h'.repeat(500),
  '500ms',
  '2m30s',
  '0.5s',
  '25h',
  '1e3s',
];
const PORTS: Json[] = [0, 65536, -1, 1.5, '80', 1e20, 65535, 1, null];
const NODE_NAMES = [
  `${'node-'.repeat(13)}x.example.com`,
  'Node_1',
  '10.0.0.4',
  'a'.repeat(254),
  'xn--80ak6aa92e.com',
  'ip-10-0-0-4.ec2.internal',
  'n\u0430de-1',
  'fd00::1',
  `${'a'.repeat(70)}`,
  '-node',
];
const TARGET_NAMES = [
  '1abc',
  'a'.repeat(63),
  'a'.repeat(64),
  'UPPER',
  'with space',
  'a.b',
  'x',
  'network-check-target',
  'target-\u0430',
];
const IMAGES = [
  '',
  ' ',
  'a b',
  'UPPER/x',
  'registry:5000/p2pnc:tag',
  `p2pnc@sha256:${'a'.repeat(64)}`,
  'x'.repeat(2000),
  'p2pnc:',
  'localhost/p2pnc:test',
  'p2pnc:latest\n',
  '[fd00::1]:5000/p2pnc',
];
const LABEL_MAPS: Json[] = [
  { [`${'k'.repeat(64)}`]: 'v' },
  { [`example.com/${'k'.repeat(63)}`]: 'v' },
  { [`${'p.'.repeat(127)}io/x`]: 'v' },
  { zone: 'v'.repeat(64) },
  { zone: 'v'.repeat(63) },
  { 'topology.kubernetes.io/zone': 'eu-1a' },
  { 'Bad Key': 'v' },
  { 'a/b/c': 'v' },
  { release: '' },
  { '\u001b[31m': 'x' },
  { release: 'kube-prometheus-stack', team: 'net' },
];

// ---------------------------------------------------------------------------------------------
// Structured mutations

const structured: Record<string, Mutation> = {
  longString(data, random) {
    const slot = pickSlot(data, random, isString);
    if (!slot) return 'longString: no string';
    const length = random.pick(LONG_LENGTHS);
    const unit = random.pick(LONG_CHARS);
    slot.parent[slot.key] = unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
    return `longString ${where(slot)} = ${JSON.stringify(unit)} x ${length}`;
  },
  wrongType(data, random) {
    const slot = pickSlot(data, random);
    if (!slot) return 'wrongType: empty';
    const value = random.pick(WRONG_TYPES);
    slot.parent[slot.key] = structuredClone(value);
    return `wrongType ${where(slot)} = ${JSON.stringify(value)}`;
  },
  deleteKey(data, random) {
    const slot = pickSlot(data, random, (candidate) => isMap(candidate.parent));
    if (!slot) return 'deleteKey: none';
    delete slot.parent[slot.key];
    return `deleteKey ${where(slot)}`;
  },
  unknownKey(data, random) {
    const maps = slots(data).filter((slot) => isMap(slot.parent[slot.key]));
    const chosen = maps.length > 0 && random.chance(0.7) ? random.pick(maps) : undefined;
    const target = chosen ? chosen.parent[chosen.key] : data;
    const key = random.pick(ODD_KEYS);
    if (key === '__proto__')
      Object.defineProperty(target, key, { value: 1, enumerable: true, configurable: true, writable: true });
    else target[key] = random.pick(WRONG_TYPES);
    return `unknownKey ${JSON.stringify(key.length > 40 ? `${key.slice(0, 20)}...(${key.length})` : key)}`;
  },
  duplicateName(data, random) {
    const list = random.pick(['nodes', 'sources', 'targets']);
    const original = item(data, list, random);
    if (!original) return `duplicateName: no ${list}`;
    data[list].push(structuredClone(original));
    return `duplicateName ${list} ${JSON.stringify(original.name)}`;
  },
  unicode(data, random) {
    const slot = pickSlot(data, random, isString);
    if (!slot) return 'unicode: no string';
    const text: string = slot.parent[slot.key];
    const at = random.int(text.length + 1);
    const char = random.pick(UNICODE);
    slot.parent[slot.key] = text.slice(0, at) + char + text.slice(at);
    return `unicode ${where(slot)} +U+${char.codePointAt(0)!.toString(16)} at ${at}`;
  },
  controlCharacters(data, random) {
    const control = random.pick(CONTROL);
    if (random.chance(0.5)) {
      data[`key${control}`] = 1;
      return `controlCharacters in a top-level key ${JSON.stringify(control)}`;
    }
    const slot = pickSlot(data, random, isString);
    if (!slot) return 'controlCharacters: no string';
    slot.parent[slot.key] = `${slot.parent[slot.key]}${control}`;
    return `controlCharacters ${where(slot)} + ${JSON.stringify(control)}`;
  },
  hugeList(data, random) {
    const kind = random.pick(['nodes', 'roles', 'expectedStatus', 'badNodes', 'sourceTargets', 'labels']);
    switch (kind) {
      case 'nodes': {
        const count = random.pick([50, 2000]);
        const role = item(data, 'nodes', random)?.roles?.[0];
        for (let i = 0; i < count; i++)
          data.nodes?.push?.({
            name: `fuzz-node-${i}`,
            addresses: [`10.200.${i >> 8}.${i & 255}`],
            ...(role ? { roles: [role] } : {}),
          });
        return `hugeList ${count} more nodes with role ${role}`;
      }
      case 'roles': {
        const node = item(data, 'nodes', random);
        if (node) node.roles = Array.from({ length: 1000 }, (_, i) => `role-${i}`);
        return 'hugeList 1000 roles on a node';
      }
      case 'expectedStatus': {
        const target = item(data, 'targets', random);
        if (target)
          target.probe = { kind: 'http', expectedStatus: Array.from({ length: 1000 }, (_, i) => 100 + (i % 500)) };
        return 'hugeList 1000 expected statuses';
      }
      case 'badNodes':
        for (let i = 0; i < 999; i++) data.nodes?.push?.({ name: `Bad_${i}`, addresses: ['x'] });
        return 'hugeList 999 invalid nodes';
      case 'sourceTargets': {
        const source = item(data, 'sources', random);
        if (source) source.targets = Array.from({ length: 5000 }, (_, i) => `missing-${i}`);
        return 'hugeList 5000 unknown targets of a source';
      }
      default: {
        const node = item(data, 'nodes', random);
        if (node) node.labels = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, `v${i}`]));
        return 'hugeList 500 labels on a node';
      }
    }
  },
  badAddress(data, random) {
    const node = item(data, 'nodes', random);
    if (!node) return 'badAddress: no node';
    if (random.chance(0.3)) {
      const first = node.addresses?.[0];
      node.addresses = [first, typeof first === 'string' && first.includes(':') ? 'fd00::ab' : '10.99.0.1'];
      return `badAddress second address of the same family on ${node.name}`;
    }
    const value = random.pick(BAD_IPS);
    node.addresses = [value];
    return `badAddress ${node.name} = ${JSON.stringify(value)}`;
  },
  badDuration(data, random) {
    const value = random.pick(DURATIONS);
    const target = item(data, 'targets', random);
    const where = random.pick(['interval', 'timeout', 'target.interval', 'monitoring.alerts']);
    if (where === 'target.interval' && target) target.interval = value;
    else if (where === 'monitoring.alerts') data.monitoring = { prometheusRule: true, alerts: { outageFor: value } };
    else data[where] = value;
    return `badDuration ${where} = ${JSON.stringify(value.length > 20 ? `${value.slice(0, 10)}...(${value.length})` : value)}`;
  },
  badPort(data, random) {
    const value = random.pick(PORTS);
    const target = item(data, 'targets', random);
    if (random.chance(0.3))
      data.target = { ...(isMap(data.target) ? data.target : {}), [random.pick(['port', 'servicePort'])]: value };
    else if (target?.kind === 'service' && isMap(target.service)) target.service.port = value;
    else if (target) target.port = value;
    return `badPort ${JSON.stringify(value)}`;
  },
  names(data, random) {
    const what = random.pick(['node', 'target', 'targetWorkload', 'cluster', 'namespace', 'source', 'serviceName']);
    if (what === 'node') {
      const node = item(data, 'nodes', random);
      const name = random.pick(NODE_NAMES);
      if (!node) return 'names: no node';
      // Rename everywhere it is referenced, so a valid name gives a valid topology.
      for (const source of data.sources ?? []) if (source?.node === node.name) source.node = name;
      const old = node.name;
      node.name = name;
      return `names node ${old} -> ${JSON.stringify(name)}`;
    }
    const name = random.pick(TARGET_NAMES);
    if (what === 'target') {
      const target = item(data, 'targets', random);
      if (!target) return 'names: no target';
      for (const source of data.sources ?? [])
        if (Array.isArray(source?.targets))
          source.targets = source.targets.map((t: string) => (t === target.name ? name : t));
      for (const other of data.targets ?? []) if (other?.backends === target.name) other.backends = name;
      target.name = name;
    } else if (what === 'targetWorkload') data.target = { name };
    else if (what === 'serviceName') {
      const service = (data.targets ?? []).find((target: Json) => target?.kind === 'service');
      if (service && isMap(service.service)) service.service.name = name;
    } else if (what === 'source') {
      const source = item(data, 'sources', random);
      if (source) source.name = name;
    } else data[what] = name;
    return `names ${what} = ${JSON.stringify(name)}`;
  },
  labels(data, random) {
    const labels = structuredClone(random.pick(LABEL_MAPS));
    const where = random.pick(['node', 'sourceNodeLabels', 'monitoring']);
    if (where === 'monitoring') data.monitoring = { serviceMonitor: random.chance(0.5), prometheusRule: true, labels };
    else if (where === 'node') {
      const node = item(data, 'nodes', random);
      if (node) node.labels = labels;
    } else {
      // Give every node the labels, so a valid selector still selects them.
      for (const node of data.nodes ?? []) if (isMap(node)) node.labels = { ...node.labels, ...labels };
      const source =
        (data.sources ?? []).find((candidate: Json) => candidate?.kind === 'DaemonSet') ??
        item(data, 'sources', random);
      if (source) {
        source.kind = 'DaemonSet';
        delete source.node;
        delete source.replicas;
        source.nodeLabels = labels;
        source.mesh = { neighbours: 2 };
      }
    }
    return `labels ${where} = ${JSON.stringify(labels).slice(0, 80)}`;
  },
  image(data, random) {
    const image = random.pick(IMAGES);
    data.image = image;
    return `image = ${JSON.stringify(image.length > 40 ? `${image.slice(0, 20)}...(${image.length})` : image)}`;
  },
  workerRole(data, random) {
    const source = item(data, 'sources', random);
    if (!source) return 'workerRole: no source';
    const worker = (data.nodes ?? []).find((node: Json) => node?.roles?.includes?.('worker'));
    if (worker) {
      source.kind = 'DaemonSet';
      delete source.node;
      delete source.replicas;
      source.roles = ['worker'];
    }
    return `workerRole DaemonSet ${source.name} by role worker`;
  },
  deepNesting(data, random) {
    const slot = pickSlot(data, random);
    if (!slot) return 'deepNesting: empty';
    const depth = random.pick([5, 30, 70]);
    let value: Json = 'x';
    for (let i = 0; i < depth; i++) value = random.chance(0.5) ? [value] : { a: value };
    slot.parent[slot.key] = value;
    return `deepNesting ${where(slot)} depth ${depth}`;
  },
  kind(data, random) {
    const list = random.pick(['sources', 'targets']);
    const entry = item(data, list, random);
    if (!entry) return 'kind: none';
    const value = random.pick(
      list === 'sources'
        ? ['DaemonSet', 'Deployment', 'StatefulSet', 'daemonset', 'Job']
        : ['endpoint', 'node', 'service', 'p2pnc-target', 'endponit', 'Service', 'k'.repeat(200_000)],
    );
    entry.kind = value;
    return `kind ${list} ${entry.name} = ${JSON.stringify(value.slice(0, 30))}`;
  },
  mesh(data, random) {
    const source = item(data, 'sources', random);
    if (!source) return 'mesh: no source';
    const value = random.pick<Json>([
      { neighbours: 0 },
      { neighbours: 1 },
      { neighbours: 1e9 },
      { neighbours: -1 },
      'full',
      'half',
      { neighbours: 2.5 },
    ]);
    source.mesh = value;
    return `mesh ${source.name} = ${JSON.stringify(value)}`;
  },
  probe(data, random) {
    const target = item(data, 'targets', random);
    if (!target) return 'probe: no target';
    const probe = random.pick<Json>([
      { kind: 'https', path: '/readyz', expectedStatus: [200] },
      { kind: 'http', path: 'readyz' },
      { kind: 'http', path: '/a b' },
      { kind: 'tls', serverName: 'api.example.com', tlsClientCert: 'etcd-client' },
      { kind: 'tls', serverName: 'a b' },
      { kind: 'tcp', path: '/x' },
      { kind: 'udp' },
      { kind: 'https', path: `/${'p'.repeat(3000)}` },
      { kind: 'tls', tlsClientCert: 'Bad_Secret' },
      { kind: 'https', expectedStatus: [99, 600] },
    ]);
    target.probe = probe;
    return `probe ${target.name} = ${JSON.stringify(probe).slice(0, 80)}`;
  },
  fields(data, random) {
    const field = random.pick([
      'clusterDomain',
      'apiServer',
      'replicas',
      'addressFamily',
      'noChecks',
      'backends',
      'scrapeInterval',
      'targetPorts',
    ]);
    const source = item(data, 'sources', random);
    const target = item(data, 'targets', random);
    let value: Json;
    switch (field) {
      case 'clusterDomain':
        data.clusterDomain = value = random.pick([
          'cluster.local',
          'example.org',
          'Cluster.Local',
          `${'a'.repeat(64)}.local`,
          'c.l.',
          `${'a.'.repeat(130)}x`,
        ]);
        break;
      case 'apiServer':
        data.apiServer = value = { port: random.pick(PORTS) };
        break;
      case 'replicas':
        if (source) source.replicas = value = random.pick([0, 1, 5, 6, 2.5]);
        break;
      case 'addressFamily':
        if (target) target.addressFamily = value = random.pick(['IPv4', 'IPv6', 'both', 'ipv6']);
        break;
      case 'noChecks':
        if (target) Object.assign(target, (value = { kind: 'p2pnc-target', perNode: false, viaService: false }));
        break;
      case 'backends':
        if (target)
          target.backends = value = random.pick(['kubernetes-apiserver-endpoint', 'etcd', target.name, 'nowhere']);
        break;
      case 'scrapeInterval':
        data.monitoring = value = { serviceMonitor: true, scrapeInterval: random.pick(DURATIONS) };
        break;
      default:
        data.target = value = {
          name: 'network-check-target',
          port: random.pick(PORTS),
          servicePort: random.pick(PORTS),
        };
    }
    return `fields ${field} = ${JSON.stringify(value)?.slice(0, 80)}`;
  },
  host(data, random) {
    const endpoint =
      (data.targets ?? []).find((target: Json) => target?.kind === 'endpoint') ?? item(data, 'targets', random);
    if (!endpoint) return 'host: no target';
    const host = random.pick([
      'api.ex\u0430mple.com',
      'api.\u212aexample.com',
      '[fd00::1]',
      '192.168.20.300',
      'fd00::1',
      'API.EXAMPLE.COM',
      '12345',
      'a.123',
      `${'a'.repeat(64)}.com`,
      'xn--80ak6aa92e.com',
      'api example.com',
    ]);
    endpoint.kind = 'endpoint';
    endpoint.host = host;
    endpoint.port ??= 443;
    delete endpoint.service;
    delete endpoint.roles;
    delete endpoint.perNode;
    delete endpoint.viaService;
    delete endpoint.addressFamily;
    return `host ${endpoint.name} = ${JSON.stringify(host)}`;
  },
};

// ---------------------------------------------------------------------------------------------
// Text and byte mutations, after serializing

type TextMutation = (text: string, random: Random) => { text?: string; bytes?: Buffer; note: string };

const ALIAS_BOMB = [
  'lol1: &a1 [x, x, x, x, x, x, x, x, x]',
  ...[2, 3, 4, 5, 6, 7, 8].map(
    (n) =>
      `lol${n}: &a${n} [${Array(9)
        .fill(`*a${n - 1}`)
        .join(', ')}]`,
  ),
].join('\n');

const textual: Record<string, TextMutation> = {
  truncate: (text, random) => {
    const at = random.int(text.length);
    return { text: text.slice(0, at), note: `truncate at ${at}` };
  },
  randomBytes: (text, random) => {
    const at = random.int(text.length);
    const bytes = Buffer.from(Array.from({ length: 1 + random.int(8) }, () => random.int(256)));
    return {
      bytes: Buffer.concat([Buffer.from(text.slice(0, at)), bytes, Buffer.from(text.slice(at))]),
      note: `randomBytes ${bytes.toString('hex')} at ${at}`,
    };
  },
  nulByte: (text, random) => {
    const at = random.int(text.length);
    return {
      bytes: Buffer.concat([Buffer.from(text.slice(0, at)), Buffer.from([0]), Buffer.from(text.slice(at))]),
      note: `NUL at ${at}`,
    };
  },
  tabIndent: (text, random) => {
    const lines = text.split('\n');
    const at = 1 + random.int(Math.max(1, lines.length - 1));
    if (lines[at] !== undefined) lines[at] = lines[at]!.replace(/^ {2}/, '\t');
    return { text: lines.join('\n'), note: `tab indent on line ${at + 1}` };
  },
  utf8Bom: (text) => ({ text: `\ufeff${text}`, note: 'UTF-8 BOM' }),
  utf16: (text, random) => {
    const bom = random.chance(0.5);
    const body = Buffer.from(text, 'utf16le');
    return {
      bytes: bom ? Buffer.concat([Buffer.from([0xff, 0xfe]), body]) : body,
      note: `UTF-16LE ${bom ? 'with' : 'without'} BOM`,
    };
  },
  latin1: (text) => ({ bytes: Buffer.from(`# caf\u00e9\n${text}`, 'latin1'), note: 'Latin-1 bytes' }),
  aliasBomb: (text) => ({ text: `${ALIAS_BOMB}\n${text}`, note: 'alias bomb' }),
  unresolvedAlias: (text, random) => {
    const lines = text.split('\n');
    const candidates = lines
      .map((line, i) => (/:\s+\S/.test(line) && !/[{[]/.test(line) ? i : -1))
      .filter((i) => i >= 0);
    if (candidates.length === 0) return { text, note: 'unresolvedAlias: no line' };
    const at = random.pick(candidates);
    lines[at] = lines[at]!.replace(/:\s+.*$/, ': *nowhere');
    return { text: lines.join('\n'), note: `unresolved alias on line ${at + 1}` };
  },
  validAliases: (text) => ({
    text: text.replace(/^namespace: (\S+)$/m, 'namespace: &ns $1\nclusterDomain: cluster.local'),
    note: 'an anchor (valid)',
  }),
  crlf: (text) => ({ text: text.replace(/\n/g, '\r\n'), note: 'CRLF line endings' }),
  duplicateKey: (text, random) => {
    const lines = text.split('\n');
    const candidates = lines.map((line, i) => (/^[a-z][A-Za-z]*: \S/.test(line) ? i : -1)).filter((i) => i >= 0);
    if (candidates.length === 0) return { text, note: 'duplicateKey: none' };
    const at = random.pick(candidates);
    lines.splice(at, 0, lines[at]!);
    return { text: lines.join('\n'), note: `duplicate key on line ${at + 1}` };
  },
  deepFlow: (text, random) => {
    const depth = random.pick([100, 100_000]);
    return { text: `${text}\nextra: ${'['.repeat(depth)}${']'.repeat(depth)}\n`, note: `deep flow nesting ${depth}` };
  },
  deepCompact: (text) => ({ text: `${text}\nextra:\n${'- '.repeat(50_000)}x\n`, note: 'deep compact sequence' }),
  manyKeys: (text, random) => {
    const count = random.pick([2_000, 100_000]);
    return {
      text: `${text}\n${Array.from({ length: count }, (_, i) => `extra${i}: 1`).join('\n')}\n`,
      note: `${count} unknown top-level keys`,
    };
  },
  bigFlowList: (text, random) => {
    const count = random.pick([20_000, 500_000]);
    return { text: `${text}\nextra: [${Array(count).fill('1').join(',')}]\n`, note: `a flow list of ${count} items` };
  },
  deepBlock: (text) => ({
    text: `${text}\nextra:\n${Array.from({ length: 1500 }, (_, i) => `${' '.repeat(i + 1)}a:`).join('\n')} 1\n`,
    note: 'block mappings 1,500 deep',
  }),
  twoDocuments: (text) => ({ text: `${text}\n---\n${text}`, note: 'two documents' }),
  empty: () => ({ text: '', note: 'empty file' }),
  jsonComments: (text) => {
    try {
      const json = JSON.stringify(parse(text), null, 2);
      return { text: json.replace('{\n', '{\n  // p2pnc topology\n'), note: 'JSON with a // comment' };
    } catch {
      return { text, note: 'jsonComments: not parseable' };
    }
  },
};

// ---------------------------------------------------------------------------------------------

/** Mutations whose values are often valid: they find what synth accepts and the API server would not. */
const GENTLE = [
  'names',
  'labels',
  'image',
  'workerRole',
  'probe',
  'host',
  'mesh',
  'badDuration',
  'badAddress',
  'badPort',
  'fields',
];
const GENTLE_TEXT = ['utf8Bom', 'crlf', 'validAliases'];

/**
 * Case `id` of the run seeded with `seed`: a base, 1-3 structured mutations, and sometimes one on the text. A third
 * of the cases take one gentle mutation, so that enough of them are valid and go to the API server.
 */
export function makeCase(seed: number, id: number, all: readonly Base[]): FuzzCase {
  const random = seeded((seed ^ Math.imul(id + 1, 0x9e3779b1)) >>> 0);
  const base = all[id % all.length]!;
  const data = structuredClone(base.data);
  const mutations: string[] = [];
  if (random.chance(0.35)) {
    mutations.push(mutate(data, random, random.pick(GENTLE)));
    let text = serialize(data, false);
    if (random.chance(0.3)) {
      const result = textual[random.pick(GENTLE_TEXT)]!(text, random);
      mutations.push(result.note);
      text = result.text ?? text;
    }
    return { id, base: base.name, mutations, fileName: 'topology.yaml', bytes: Buffer.from(text, 'utf8') };
  }
  const names = Object.keys(structured);
  const textNames = Object.keys(textual);
  const textOnly = random.chance(0.15);
  if (!textOnly)
    for (let i = 0, count = 1 + random.int(3); i < count; i++) mutations.push(mutate(data, random, random.pick(names)));
  const json = random.chance(0.2);
  let text = serialize(data, json);
  let bytes: Buffer | undefined;
  if (textOnly || random.chance(0.2)) {
    const result = textual[random.pick(textNames)]!(text, random);
    mutations.push(result.note);
    if (result.bytes) bytes = result.bytes;
    else text = result.text ?? text;
  }
  return {
    id,
    base: base.name,
    mutations,
    fileName: json ? 'topology.json' : 'topology.yaml',
    bytes: bytes ?? Buffer.from(text, 'utf8'),
  };
}

/** YAML or JSON; data nested too deep for the YAML writer goes out as JSON (which YAML reads too). */
function serialize(data: Json, json: boolean): string {
  if (!json) {
    try {
      return stringify(data, { lineWidth: 0 });
    } catch {
      // fall through
    }
  }
  return JSON.stringify(data, null, 2);
}

/** Applies one structured mutation; one that meets data an earlier mutation broke says so and changes nothing more. */
function mutate(data: Json, random: Random, name: string): string {
  try {
    return structured[name]!(data, random);
  } catch (error) {
    return `${name}: not applicable (${(error as Error).message})`;
  }
}
