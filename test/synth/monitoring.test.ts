// The optional monitoring objects: off by default, and when on, a Service, ServiceMonitor and PrometheusRule that
// select exactly the source pods and sync with the checks.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { promDuration } from '../../src/monitoring/rules.js';
import { parseTopology } from '../../src/topology/load.js';
import type { TopologyInput } from '../../src/topology/schema.js';
import { matchSnapshot } from '../helpers/snapshot.js';
import { synthToTemp, type K8sObject } from '../helpers/synth.js';
import { smallTopology } from '../helpers/topologies.js';

const withMonitoring = (monitoring: NonNullable<TopologyInput['monitoring']>): TopologyInput => ({
  ...smallTopology(),
  monitoring,
});
const enabled = synthToTemp(
  withMonitoring({
    serviceMonitor: true,
    prometheusRule: true,
    labels: { release: 'kube-prometheus-stack' },
    scrapeInterval: '30s',
  }),
);
const byKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
const wave = (object: K8sObject) => Number(object.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([key, value]) => labels[key] === value);

describe('monitoring objects', () => {
  test('monitoring.yaml matches its snapshot and is listed in the kustomization', () => {
    matchSnapshot('monitoring/monitoring.yaml', enabled.files.get('monitoring.yaml')!);
    assert.ok(enabled.files.get('kustomization.yaml')!.includes('  - monitoring.yaml\n'));
  });

  test('are off by default: no monitoring file, no prometheus-operator object', () => {
    const plain = synthToTemp(smallTopology());
    assert.ok(!plain.files.has('monitoring.yaml'));
    assert.ok(!plain.objects.some((object) => object.apiVersion.startsWith('monitoring.coreos.com/')));
    assert.ok(!plain.objects.some((object) => object.metadata.name === 'p2pnc-source-metrics'));
  });

  test('the metrics Service selects every source pod and no other, on their metrics port', () => {
    const [service] = byKind(enabled.objects, 'Service').filter(
      (object) => object.metadata.name === 'p2pnc-source-metrics',
    );
    assert.ok(service, 'the metrics Service');
    assert.equal(service.spec.clusterIP, 'None', 'headless: every pod is a target');
    const workloads = [...byKind(enabled.objects, 'Deployment'), ...byKind(enabled.objects, 'DaemonSet')];
    for (const workload of workloads) {
      const pod = workload.spec.template;
      const isSource = pod.metadata.labels['app.kubernetes.io/component'] === 'source';
      assert.equal(matches(service.spec.selector, pod.metadata.labels), isSource, workload.metadata.name);
      if (isSource) {
        const port = pod.spec.containers[0].ports.find(
          (p: { name: string }) => p.name === service.spec.ports[0].targetPort,
        );
        assert.equal(
          port?.containerPort,
          service.spec.ports[0].port,
          `${workload.metadata.name} serves metrics on the Service's port`,
        );
      }
    }
  });

  test('the ServiceMonitor scrapes that Service in the p2pnc namespace and carries the extra labels', () => {
    const [monitor] = byKind(enabled.objects, 'ServiceMonitor');
    const service = enabled.objects.find(
      (object) => object.kind === 'Service' && object.metadata.name === 'p2pnc-source-metrics',
    )!;
    assert.ok(matches(monitor!.spec.selector.matchLabels, service.metadata.labels));
    assert.equal(
      byKind(enabled.objects, 'Service').filter((object) =>
        matches(monitor!.spec.selector.matchLabels, object.metadata.labels),
      ).length,
      1,
    );
    assert.deepEqual(monitor!.spec.namespaceSelector, { matchNames: ['p2pnc'] });
    assert.deepEqual(monitor!.spec.endpoints, [
      { port: service.spec.ports[0].name, path: '/metrics', interval: '30s' },
    ]);
    for (const object of [monitor!, ...byKind(enabled.objects, 'PrometheusRule')]) {
      assert.equal(object.metadata.labels!.release, 'kube-prometheus-stack', object.kind);
      assert.equal(object.metadata.labels!['app.kubernetes.io/part-of'], 'p2pnc', object.kind);
    }
  });

  test('the NetworkPolicy of the sources admits scrapes on the metrics port', () => {
    const policy = enabled.objects.find(
      (object) => object.kind === 'NetworkPolicy' && object.metadata.name === 'source-traffic',
    )!;
    const port = enabled.objects.find((object) => object.metadata.name === 'p2pnc-source-metrics')!.spec.ports[0].port;
    assert.ok(
      policy.spec.ingress.some(
        (rule: { from?: unknown; ports: { port: number }[] }) => !rule.from && rule.ports.some((p) => p.port === port),
      ),
    );
  });

  test('sync with the checks and workloads in the last wave, so a sync never waits on their health', () => {
    const checksWave = wave(byKind(enabled.objects, 'PodNetworkConnectivityCheck')[0]!);
    assert.equal(Math.max(...enabled.objects.map(wave)), checksWave, 'no object in a wave after the checks');
    for (const object of enabled.objects.filter(
      (o) => o.apiVersion.startsWith('monitoring.coreos.com/') || o.metadata.name === 'p2pnc-source-metrics',
    ))
      assert.equal(wave(object), checksWave, `${object.kind} ${object.metadata.name}`);
  });

  test('each switch turns on only its own objects', () => {
    const rulesOnly = synthToTemp(withMonitoring({ prometheusRule: true })).objects;
    assert.deepEqual(
      rulesOnly.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).map((o) => o.kind),
      ['PrometheusRule'],
    );
    assert.ok(!rulesOnly.some((o) => o.metadata.name === 'p2pnc-source-metrics'));
    const monitorOnly = synthToTemp(withMonitoring({ serviceMonitor: true })).objects;
    assert.deepEqual(
      monitorOnly.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/')).map((o) => o.kind),
      ['ServiceMonitor'],
    );
  });

  test('alert thresholds come from the topology, and rate windows hold two of the longest interval', () => {
    const topology = withMonitoring({
      prometheusRule: true,
      alerts: { outageFor: '2m', noResultsFor: '1h', latencyThreshold: '250ms', latencyFor: '90s' },
    });
    topology.targets[3] = { ...topology.targets[3]!, interval: '12m' } as (typeof topology.targets)[number];
    const rules = byKind(synthToTemp(topology).objects, 'PrometheusRule')[0]!.spec.groups[0].rules;
    const rule = (name: string) => rules.find((r: { alert: string }) => r.alert === name);
    assert.equal(rule('P2PNCConnectivityOutage').for, '2m');
    assert.equal(rule('P2PNCSourceNoResults').for, '1h');
    assert.match(rule('P2PNCSourceNoResults').expr, /rate\(p2pnc_probes_total\{namespace="p2pnc"\}\[24m\]\)/);
    assert.match(rule('P2PNCHighLatency').expr, /\[24m\]\)\)\) > 0\.25$/);
    assert.equal(rule('P2PNCHighLatency').for, '1m30s');
  });

  test('a typo in the monitoring block is a clear error', () => {
    const topology = withMonitoring({ serviceMonitor: true });
    (topology.monitoring as Record<string, unknown>).prometheusRules = true;
    assert.throws(
      () => parseTopology(stringify(topology)),
      /monitoring\.prometheusRules: unknown key "prometheusRules"; did you mean "prometheusRule"\?/,
    );
  });
});

describe('promDuration', () => {
  test('writes whole Prometheus units, rounding up to the millisecond', () => {
    assert.deepEqual([90_000, 300_000, 500, 1_500, 5_400_000, 0.2, 0].map(promDuration), [
      '1m30s',
      '5m',
      '500ms',
      '1s500ms',
      '1h30m',
      '1ms',
      '0s',
    ]);
  });
});
