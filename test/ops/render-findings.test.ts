// `p2pnc diagnose` output: the text a person reads and the documents scripts read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { diagnose } from '../../src/ops/diagnose.js';
import { ANSI, PLAIN } from '../../src/ops/format.js';
import { renderDiagnosis } from '../../src/ops/render-findings.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import { checksOf, dnsTimeout, NOW, openshiftTopology, refused, timeout, withStatuses } from './support.js';

const diagnosis = () =>
  diagnose(
    withStatuses(checksOf(openshiftTopology()), {
      'kubernetes-apiserver-endpoint-master-1': refused,
      'load-balancer-api-external': timeout,
      'service-cluster': dnsTimeout,
    }),
    {
      now: NOW,
    },
  );

test('text', () => matchSnapshot('ops/diagnose.txt', renderDiagnosis(diagnosis(), 'text', PLAIN)));
test('json', () => matchSnapshot('ops/diagnose.json', renderDiagnosis(diagnosis(), 'json', PLAIN)));

test('yaml carries the same document as json', () => {
  assert.deepEqual(
    parseYaml(renderDiagnosis(diagnosis(), 'yaml', PLAIN)),
    JSON.parse(renderDiagnosis(diagnosis(), 'json', PLAIN)),
  );
});

test('text ends with the counts; a healthy matrix says so in one line', () => {
  assert.match(
    renderDiagnosis(diagnosis(), 'text', PLAIN),
    /\n3 findings \(2 critical, 1 warning\) in namespace p2pnc \(19 checks: 13 answering, 6 failing, 0 silent, 0 pending, 0 invalid\)\.\n$/,
  );
  assert.equal(
    renderDiagnosis(diagnose(withStatuses(checksOf(openshiftTopology()), {}), { now: NOW }), 'text', PLAIN),
    'No findings in namespace p2pnc (19 checks: 19 answering, 0 failing, 0 silent, 0 pending, 0 invalid).\n',
  );
});

test('colour marks severities and evidence, with the same text underneath', () => {
  const coloured = renderDiagnosis(diagnosis(), 'text', ANSI);
  assert.match(coloured, /\u001b\[31mCRITICAL/);
  assert.match(coloured, /\u001b\[33mWARNING/);
  assert.equal(coloured.replace(/\u001b\[\d+m/g, ''), renderDiagnosis(diagnosis(), 'text', PLAIN));
});
