// The Argo CD health check of PodNetworkConnectivityCheck (examples/argocd/resource_customizations), run by a real
// Lua 5.1 on check objects whose status the runtime's own reducer produced.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { CheckStatus } from '../../src/api/check.js';
import { invalidCheck, tcpFailed, tcpSucceeded } from '../../src/runtime/probe/messages.js';
import { checkLabel } from '../../src/runtime/source/check-target.js';
import { markStale, record } from '../../src/runtime/status/reducer.js';
import type { ProbeResult } from '../../src/runtime/types.js';
import { matchFile } from '../helpers/snapshot.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';
import { haveTool } from '../helpers/tools.js';
import { smallTopology } from '../helpers/topologies.js';
import { at } from '../status/helpers.js';
import { runHealthScript } from './lua.js';

const EXAMPLES = join(import.meta.dirname, '../../examples/argocd');
const CUSTOMIZATION = join(EXAMPLES, 'resource_customizations/p2pnc.io/PodNetworkConnectivityCheck');
const SCRIPT = readFileSync(join(CUSTOMIZATION, 'health.lua'), 'utf8');
const CONFIG_KEY = 'resource.customizations.health.p2pnc.io_PodNetworkConnectivityCheck';

const { objects } = synthToTemp(smallTopology());
const checkNamed = (name: string): K8sObject =>
  structuredClone(objects.find((object) => object.metadata.name === name)!);
const loadBalancer = checkNamed('network-check-source-worker-0-to-load-balancer-api-external');
const etcd = checkNamed('network-check-source-worker-0-to-etcd-master-0');

function results(check: K8sObject) {
  const label = checkLabel(check.metadata.name);
  const endpoint: string = check.spec.targetEndpoint;
  return {
    ok: (clock: string): ProbeResult => ({
      time: at(clock),
      success: true,
      latencyMs: 1.874312,
      reason: 'TCPConnect',
      message: tcpSucceeded(label, endpoint),
    }),
    refused: (clock: string): ProbeResult => ({
      time: at(clock),
      success: false,
      latencyMs: 0.912044,
      reason: 'TCPConnectError',
      message: tcpFailed(label, endpoint, '203.0.113.10:6443', 'connect: connection refused'),
      failure: 'refused',
    }),
    invalid: (clock: string, text: string): ProbeResult => ({
      time: at(clock),
      success: false,
      latencyMs: 0,
      reason: 'InvalidCheck',
      message: invalidCheck(label, text),
      failure: 'config',
    }),
  };
}

const statusAfter = (probes: ProbeResult[], from?: CheckStatus): CheckStatus =>
  probes.reduce<CheckStatus | undefined>((status, probe) => record(status, probe).status, from)!;
const withStatus = (check: K8sObject, status: CheckStatus): K8sObject => ({ ...check, status });

const lb = results(loadBalancer);
const reachable = statusAfter([lb.ok('20:00:00'), lb.ok('20:00:30'), lb.ok('20:01:00')]);
const outage = statusAfter([lb.ok('20:00:00'), lb.refused('20:00:30'), lb.refused('20:00:35'), lb.refused('20:01:05')]);

/** Every third probe refused, every 30 s for 12 minutes: the source calls it Degraded, its Reachable stays True. */
const lossy = statusAfter(
  Array.from({ length: 24 }, (_, index) => {
    const clock = `20:${String(Math.floor(index / 2)).padStart(2, '0')}:${index % 2 === 0 ? '00' : '30'}`;
    return index % 3 === 2 ? lb.refused(clock) : lb.ok(clock);
  }),
);

/** The fixtures, by file name: what a check looks like in each phase of its life. */
const fixtures: Record<string, K8sObject> = {
  'progressing_no_status.yaml': loadBalancer,
  'progressing_first_failure.yaml': withStatus(loadBalancer, statusAfter([lb.refused('20:00:00')])),
  'healthy_reachable.yaml': withStatus(loadBalancer, reachable),
  'degraded_outage.yaml': withStatus(loadBalancer, outage),
  'healthy_restored.yaml': withStatus(loadBalancer, statusAfter([lb.ok('20:03:35')], outage)),
  'degraded_packet_loss.yaml': withStatus(loadBalancer, lossy),
  'degraded_invalid_check.yaml': withStatus(
    etcd,
    statusAfter([
      results(etcd).invalid(
        '20:00:00',
        'Secret p2pnc/etcd-client has no tls.crt and tls.key; create it with kubectl create secret tls',
      ),
    ]),
  ),
  // No probe since 20:01; the leader's sweep finds it 49 hours later (--stale-after 48h).
  'degraded_stale.yaml': withStatus(
    loadBalancer,
    markStale(reachable, at('20:01:00'), new Date(at('20:01:00').getTime() + 49 * 3600_000), 48 * 3600_000),
  ),
};

interface HealthCase {
  healthStatus: { status: string; message: string };
  inputPath: string;
}
const cases: HealthCase[] = parse(readFileSync(join(CUSTOMIZATION, 'health_test.yaml'), 'utf8')).tests;

describe('Argo CD health fixtures', () => {
  test('are what the status reducer produces for each phase of a check', () => {
    for (const [file, object] of Object.entries(fixtures))
      matchFile(
        join(CUSTOMIZATION, 'testdata', file),
        stringify(object, { aliasDuplicateObjects: false, lineWidth: 0 }),
        `testdata/${file}`,
      );
  });

  test('health_test.yaml covers every fixture and every health status', () => {
    assert.deepEqual(
      cases.map((c) => c.inputPath).sort(),
      readdirSync(join(CUSTOMIZATION, 'testdata'))
        .map((file) => `testdata/${file}`)
        .sort(),
    );
    assert.deepEqual(new Set(cases.map((c) => c.healthStatus.status)), new Set(['Progressing', 'Healthy', 'Degraded']));
  });
});

describe('Argo CD health script (lua5.1)', () => {
  for (const c of cases) {
    test(`${c.inputPath}: ${c.healthStatus.status}`, (t) => {
      if (!haveTool(t, 'lua5.1', 'lua5.1', ['-v'])) return;
      const object = parse(readFileSync(join(CUSTOMIZATION, c.inputPath), 'utf8'));
      assert.deepEqual(runHealthScript(SCRIPT, object), c.healthStatus);
    });
  }

  test('a Stale condition outranks Reachable=True; conditions the script does not know change nothing', (t) => {
    if (!haveTool(t, 'lua5.1', 'lua5.1', ['-v'])) return;
    const stale = parse(readFileSync(join(CUSTOMIZATION, 'testdata/degraded_stale.yaml'), 'utf8'));
    assert.equal(stale.status.conditions.find((c: { type: string }) => c.type === 'Reachable').status, 'True');
    const other = {
      type: 'Example',
      status: 'False',
      reason: 'Whatever',
      message: 'not p2pnc',
      lastTransitionTime: '2021-01-13T20:00:00Z',
    };
    const healthy = parse(readFileSync(join(CUSTOMIZATION, 'testdata/healthy_reachable.yaml'), 'utf8'));
    healthy.status.conditions.unshift(other);
    assert.equal(runHealthScript(SCRIPT, healthy).status, 'Healthy');
    assert.deepEqual(runHealthScript(SCRIPT, { ...loadBalancer, status: { conditions: [other] } }), {
      status: 'Progressing',
      message: 'waiting for the first probe result',
    });
  });

  test('a syntax error in a health script is reported, not taken for a health', (t) => {
    if (!haveTool(t, 'lua5.1', 'lua5.1', ['-v'])) return;
    assert.throws(() => runHealthScript('return {status = ', loadBalancer), /lua5\.1 exited with 3: syntax/);
    assert.throws(() => runHealthScript('return os.time()', loadBalancer), /exited with 4: runtime: .*os/);
  });

  test('only the libraries Argo CD opens from argocd-cm: string and math calls fail as they would in Argo CD', (t) => {
    if (!haveTool(t, 'lua5.1', 'lua5.1', ['-v'])) return;
    assert.throws(
      () => runHealthScript('return { status = string.format("%s", "Healthy") }', loadBalancer),
      /exited with 4: runtime: .*string/,
    );
    assert.throws(
      () => runHealthScript('return { status = tostring(math.floor(1.5)) }', loadBalancer),
      /exited with 4: runtime: .*math/,
    );
    assert.deepEqual(
      runHealthScript(
        'local t = {} table.insert(t, "Healthy") return { status = t[1], message = "ok" .. 1 }',
        loadBalancer,
      ),
      { status: 'Healthy', message: 'ok1' },
    );
  });
});

describe('argocd-cm snippet', () => {
  const file = join(EXAMPLES, 'argocd-cm-health.yaml');

  test('is generated from health.lua', () =>
    matchFile(file, argocdConfigMap(SCRIPT), 'examples/argocd/argocd-cm-health.yaml'));

  test('carries the script byte for byte, and that script judges a check', (t) => {
    const configMap = parse(readFileSync(file, 'utf8'));
    assert.equal(configMap.metadata.name, 'argocd-cm');
    assert.equal(configMap.data[CONFIG_KEY], SCRIPT);
    if (!haveTool(t, 'lua5.1', 'lua5.1', ['-v'])) return;
    assert.equal(runHealthScript(configMap.data[CONFIG_KEY], fixtures['degraded_outage.yaml']).status, 'Degraded');
  });
});

/** The argocd-cm entry users merge into their Argo CD: the script as a literal block, so it stays readable. */
function argocdConfigMap(script: string): string {
  const body = script
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : `    ${line}`))
    .join('\n');
  return [
    '# Argo CD health check for p2pnc checks: merge into the argocd-cm ConfigMap of your Argo CD, for example',
    '#   kubectl -n argocd patch configmap argocd-cm --type merge --patch-file examples/argocd/argocd-cm-health.yaml',
    '# or put the data entry under configs.cm in the argo-cd Helm chart values.',
    '# Generated from resource_customizations/p2pnc.io/PodNetworkConnectivityCheck/health.lua; do not edit.',
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: argocd-cm',
    '  namespace: argocd',
    'data:',
    `  ${CONFIG_KEY}: |`,
    body,
    '',
  ].join('\n');
}
