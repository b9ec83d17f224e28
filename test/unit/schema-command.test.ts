import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadTopologyFile, parseTopology } from '../../src/topology/load.js';
import { expand } from '../../src/topology/expand.js';

const topologies = [
  'topology.yaml',
  ...readdirSync('examples/topologies').map((file) => join('examples/topologies', file)),
];

describe('p2pnc schema', () => {
  const run = spawnSync(process.execPath, ['bin/p2pnc.js', 'schema'], { encoding: 'utf8' });
  const schema = JSON.parse(run.stdout);
  // Default options: strict mode, so an unknown keyword or format fails the compile.
  const validate = new Ajv2020({ allErrors: true }).compile(schema);

  test('prints a JSON Schema for the topology', () => {
    assert.equal(run.status, 0, run.stderr);
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
    assert.deepEqual(schema.required.sort(), ['cluster', 'nodes', 'sources', 'targets']);
  });

  for (const file of topologies) {
    test(`${file} validates against it and synthesizes`, () => {
      assert.ok(validate(parse(readFileSync(file, 'utf8'))), JSON.stringify(validate.errors));
      assert.ok(expand(loadTopologyFile(file)).length > 0);
    });
  }

  test('editors flag what the CLI rejects', () => {
    const topology = parse(readFileSync('topology.yaml', 'utf8'));
    topology.targets[0].port = 70000;
    topology.targets[1].prot = 1;
    assert.equal(validate(topology), false);
    const messages = (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message}`);
    assert.ok(
      messages.some((message) => message.startsWith('/targets/0/port')),
      messages.join('\n'),
    );
  });

  test('compiles in ajv strict mode with no warning', () => {
    const logged: string[] = [];
    const logger = {
      log: () => {},
      warn: (...args: unknown[]) => logged.push(args.join(' ')),
      error: (...args: unknown[]) => logged.push(args.join(' ')),
    };
    new Ajv2020({ strict: true, logger }).compile(schema);
    assert.deepEqual(logged, []);
  });

  /** Each value put in one place of the repository's topology: the editor (ajv) and synth must both accept or both reject it. */
  const samples: { where: string; set: (topology: any, value: unknown) => void; values: unknown[] }[] = [
    {
      where: 'an endpoint host',
      set: (t, value) => (t.targets.find((target: any) => target.kind === 'endpoint').host = value),
      values: [
        'api.example.com',
        'API.Example.COM',
        'localhost',
        '10.0.0.4',
        'fd00::4',
        '::1',
        '::ffff:10.0.0.1',
        '2001:db8::1:2:3:4:5',
        '[fd00::4]',
        '192.168.20.300',
        '10.0.0',
        '12345',
        'a.123',
        'аpi.example.com',
        'api.\u212aexample.com',
        'api example.com',
        '',
        '-api.example.com',
        `${'a'.repeat(64)}.example.com`,
        `${'a.'.repeat(126)}com`,
        'fd00:::1',
        '1:2:3:4:5:6:7:8:9',
        'fe80::1%eth0',
        '010.0.0.1',
      ],
    },
    {
      where: 'a node address',
      set: (t, value) => (t.nodes[0].addresses = [value]),
      values: [
        '10.0.0.4',
        '255.255.255.255',
        '256.0.0.1',
        '10.0.0.04',
        'fd00::4',
        '1:2:3:4:5:6:7:8',
        '1:2:3:4:5:6:1.2.3.4',
        '::',
        'fd00::4::1',
        'g::1',
        'master-0',
        '',
      ],
    },
    {
      where: 'a node label key',
      set: (t, value) => (t.nodes[0].labels = { [value as string]: 'x' }),
      values: [
        'zone',
        'topology.kubernetes.io/zone',
        `${'a'.repeat(63)}`,
        `${'a'.repeat(64)}`,
        `${'p.'.repeat(120)}io/x`,
        `${'p'.repeat(254)}/x`,
        'Bad Key',
        'a/b/c',
        '/x',
        'x/',
        '\x1b[31m',
      ],
    },
    {
      where: 'a node label value',
      set: (t, value) => (t.nodes[0].labels = { zone: value }),
      values: ['a', '', 'eu-1.a_b', 'x'.repeat(63), 'x'.repeat(64), '-a', 'a b'],
    },
    {
      where: 'the image',
      set: (t, value) => (t.image = value),
      values: [
        'p2pnc',
        'ghcr.io/p2pnc/p2pnc:0.1.0',
        'localhost:5000/p2pnc@sha256:' + 'a'.repeat(64),
        '',
        ' ',
        'my image',
        'Registry.Example.com/P2PNC',
        'p2pnc:',
        'p2pnc:-x',
      ],
    },
    {
      where: "the target's Service name",
      set: (t, value) => (t.target = { name: value }),
      values: ['network-check-target', 'a', '1abc', 'abc-', 'a'.repeat(63), 'a'.repeat(64)],
    },
    {
      where: 'an http path',
      set: (t, value) =>
        (t.targets.find((target: any) => target.kind === 'endpoint').probe = { kind: 'http', path: value }),
      values: ['/', '/readyz?verbose=1', 'readyz', '/a b', '/\u00e9', '/' + 'a'.repeat(3000)],
    },
    {
      where: 'the interval',
      set: (t, value) => (t.interval = value),
      values: ['60s', '1m30s', '500ms', '1.5h', '60', '0s', 's', '-1s'],
    },
  ];

  for (const { where, set, values } of samples) {
    test(`ajv and synth agree on ${where}`, () => {
      for (const value of values) {
        const topology = parse(readFileSync('topology.yaml', 'utf8'));
        set(topology, value);
        const editor = validate(topology);
        let synth = true;
        try {
          parseTopology(JSON.stringify(topology), 'topology.json');
        } catch {
          synth = false;
        }
        assert.equal(
          editor,
          synth,
          `${JSON.stringify(value)}: ajv ${editor ? 'accepts' : 'rejects'}, synth ${synth ? 'accepts' : 'rejects'}`,
        );
      }
    });
  }
});
