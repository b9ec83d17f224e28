import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { parseChecks, readChecksFile } from '../../src/ops/checks-file.js';
import { UserError } from '../../src/util/errors.js';
import { reportChecks } from './fixtures.js';

const list = (items: unknown[]) => ({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items });

describe('checks from a file', () => {
  test('kubectl get pncc -o json and -o yaml give the checks with their statuses', () => {
    const checks = reportChecks();
    for (const text of [JSON.stringify(list(checks)), stringify(list(checks))])
      assert.deepEqual(parseChecks(text, 'checks'), checks);
  });

  test('YAML documents as synth writes them (dist/checks.yaml): every check, no status yet', () => {
    const text = readFileSync('dist/checks.yaml', 'utf8');
    const checks = readChecksFile('dist/checks.yaml');
    assert.equal(
      checks.length,
      text.split(/^---$/m).filter((document) => /^kind: PodNetworkConnectivityCheck$/m.test(document)).length,
    );
    assert.ok(checks.every((check) => check.status === undefined && check.metadata.name.includes('-to-')));
  });

  test('objects of other kinds are skipped; a single check is read as one', () => {
    const [check] = reportChecks();
    assert.deepEqual(
      parseChecks(JSON.stringify(list([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, check])), 'f'),
      [check],
    );
    assert.deepEqual(parseChecks(JSON.stringify(check), 'f'), [check]);
  });

  test('bad input is refused with the file and the field to fix', () => {
    const [check] = reportChecks();
    const refuse = (text: string, message: RegExp) =>
      assert.throws(
        () => parseChecks(text, 'checks.json'),
        (error: Error) => error instanceof UserError && message.test(error.message),
      );
    refuse(
      JSON.stringify(list([check, { ...check!, spec: { ...check!.spec, targetEndpoint: 'no port' } }])),
      /^checks\.json: items\[1\]\.spec\.targetEndpoint: /,
    );
    refuse(
      JSON.stringify(list([{ ...check!, status: { successes: [{ time: 5 }] } }])),
      /^checks\.json: items\[0\]\.status\.successes\[0\]\.time: /,
    );
    refuse(JSON.stringify(list([{ ...check!, metadata: {} }])), /^checks\.json: items\[0\]\.metadata\.name: missing/);
    refuse(
      JSON.stringify(list([])),
      /^checks\.json: no PodNetworkConnectivityCheck found; give the output of kubectl get pncc -o json$/,
    );
    refuse('{"items": [', /^checks\.json: not JSON or YAML: /);
    refuse('"just text"', /^checks\.json: expected a PodNetworkConnectivityCheck or a List of them$/);
    assert.throws(
      () => readChecksFile('/nonexistent/checks.json'),
      /^UserError: cannot read \/nonexistent\/checks\.json: no such file$/,
    );
  });
});
