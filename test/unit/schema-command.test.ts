import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { loadTopologyFile } from '../../src/topology/load.js';
import { expand } from '../../src/topology/expand.js';

const topologies = ['topology.yaml', ...readdirSync('examples/topologies').map((file) => join('examples/topologies', file))];

describe('p2pnc schema', () => {
  const run = spawnSync(process.execPath, ['bin/p2pnc.js', 'schema'], { encoding: 'utf8' });
  const schema = JSON.parse(run.stdout);
  const validate = new Ajv2020({ strict: false, allErrors: true }).compile(schema);

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
    assert.ok(messages.some((message) => message.startsWith('/targets/0/port')), messages.join('\n'));
  });
});
