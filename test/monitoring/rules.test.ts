// The generated PrometheusRule: promtool accepts it, and promtool's rule unit tests show each alert firing when it
// should and staying quiet when it should not, on series shaped like what the ServiceMonitor scrapes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { ALERTS } from '../../src/monitoring/rules.js';
import { SourceMetrics } from '../../src/runtime/source/metrics.js';
import { synthToTemp } from '../helpers/synth.js';
import { haveTool } from '../helpers/tools.js';
import { smallTopology } from '../helpers/topologies.js';

const { objects } = synthToTemp({ ...smallTopology(), monitoring: { prometheusRule: true } });
const rule = objects.find((object) => object.kind === 'PrometheusRule')!;
const work = mkdtempSync(join(tmpdir(), 'p2pnc-rules-'));
const rulesFile = join(work, 'rules.yaml');
after(() => rmSync(work, { recursive: true, force: true }));
writeFileSync(rulesFile, stringify(rule.spec));

const NS = 'namespace="p2pnc"';
const JOB = 'job="p2pnc-source-metrics"';
const LEADER = `${NS}, ${JOB}, pod="network-check-source-7d9f-abcde", source="network-check-source"`;
const STANDBY = `${NS}, ${JOB}, pod="network-check-source-7d9f-fghij", source="network-check-source"`;
const MESH_A = `${NS}, ${JOB}, pod="mesh-a1b2c", source="mesh"`;
const MESH_B = `${NS}, ${JOB}, pod="mesh-d3e4f", source="mesh"`;
const BUCKETS = [
  '0.0005',
  '0.001',
  '0.0025',
  '0.005',
  '0.01',
  '0.025',
  '0.05',
  '0.1',
  '0.25',
  '0.5',
  '1',
  '2.5',
  '5',
  '10',
  '+Inf',
];

type Series = { series: string; values: string };
type AlertCheck = {
  eval_time: string;
  alertname: string;
  exp_alerts: { exp_labels: Record<string, string>; exp_annotations: Record<string, string> }[];
};

/** Both sources scraped and probing all along: what every test starts from, so only its own alert can fire. */
function healthySources(minutes: number): Series[] {
  return [
    { series: `p2pnc_checks{${LEADER}}`, values: `14x${minutes}` },
    { series: `p2pnc_probes_total{${LEADER}, target_kind="node", result="success"}`, values: `0+14x${minutes}` },
    { series: `p2pnc_checks{${MESH_A}}`, values: `1x${minutes}` },
    { series: `p2pnc_probes_total{${MESH_A}, target_kind="p2pnc-target", result="success"}`, values: `0+1x${minutes}` },
    { series: `p2pnc_checks{${MESH_B}}`, values: `1x${minutes}` },
    { series: `p2pnc_probes_total{${MESH_B}, target_kind="p2pnc-target", result="success"}`, values: `0+1x${minutes}` },
  ];
}

/** Latency histogram series with every observation (10 a minute) at `seconds`. */
function latency(labels: string, seconds: number, minutes: number): Series[] {
  return BUCKETS.map((le) => ({
    series: `p2pnc_probe_duration_seconds_bucket{${labels}, le="${le}"}`,
    values: le === '+Inf' || Number(le) >= seconds ? `0+10x${minutes}` : `0x${minutes}`,
  }));
}

const outageDescription = (source: string, value: string) =>
  `Source ${source} in namespace p2pnc has had ${value} checks in a confirmed outage for more than 5m. ` +
  `List them with \`kubectl get pncc -n p2pnc -l p2pnc.io/source=${source} -o wide\`; \`p2pnc diagnose\` tells which nodes and targets the failures share.`;

const noResultsDescription = (source: string, pod?: string) =>
  `Source ${source}${pod ? ` (pod ${pod})` : ''} in namespace p2pnc has checks but reported no probe result for 10m, or its metrics are gone: ` +
  `its checks are not being probed and their status grows old. Look at its pods and logs (\`kubectl logs -n p2pnc -l app.kubernetes.io/instance=${source}\`); ` +
  '`p2pnc diagnose` shows when each check was last probed.';

const invalidDescription = (source: string, value: string) =>
  `Source ${source} in namespace p2pnc has ${value} checks whose spec it cannot probe (Reachable=False, reason InvalidCheck): an endpoint that does not parse, ` +
  "a client certificate Secret that is missing, a target pod that does not exist. The condition's message says which; fix the topology (or the Secret) and synth again. " +
  `List them with \`kubectl get pncc -n p2pnc -l p2pnc.io/source=${source} -o wide\`; \`p2pnc diagnose\` shows each with its reason.`;

const unitTests = [
  {
    name: 'an invalid check is a warning of its own, never the critical outage alert',
    interval: '1m',
    input_series: [
      ...healthySources(20),
      { series: `p2pnc_open_outages{${LEADER}}`, values: '0x20' },
      { series: `p2pnc_invalid_checks{${LEADER}}`, values: '0x2 2x18' },
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: ALERTS.invalid, exp_alerts: [] },
      {
        eval_time: '10m',
        alertname: ALERTS.invalid,
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'p2pnc', source: 'network-check-source' },
            exp_annotations: {
              summary: '2 checks of network-check-source cannot be probed as written',
              description: invalidDescription('network-check-source', '2'),
            },
          },
        ],
      },
      { eval_time: '15m', alertname: ALERTS.outage, exp_alerts: [] },
    ] satisfies AlertCheck[],
  },
  {
    name: 'an outage alerts after 5m, summed over pods, only in the p2pnc namespace, and resolves',
    interval: '1m',
    input_series: [
      ...healthySources(40),
      { series: `p2pnc_open_outages{${LEADER}}`, values: '0x4 1x10 0x25' },
      { series: `p2pnc_open_outages{${MESH_A}}`, values: '0x20 1x20' },
      { series: `p2pnc_open_outages{${MESH_B}}`, values: '0x20 2x20' },
      {
        series: `p2pnc_open_outages{namespace="elsewhere", ${JOB}, pod="x", source="network-check-source"}`,
        values: '5x40',
      },
    ],
    alert_rule_test: [
      { eval_time: '8m', alertname: ALERTS.outage, exp_alerts: [] },
      {
        eval_time: '12m',
        alertname: ALERTS.outage,
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'p2pnc', source: 'network-check-source' },
            exp_annotations: {
              summary: '1 network paths probed by network-check-source are down',
              description: outageDescription('network-check-source', '1'),
            },
          },
        ],
      },
      { eval_time: '18m', alertname: ALERTS.outage, exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: ALERTS.outage,
        exp_alerts: [
          {
            exp_labels: { severity: 'critical', namespace: 'p2pnc', source: 'mesh' },
            exp_annotations: {
              summary: '3 network paths probed by mesh are down',
              description: outageDescription('mesh', '3'),
            },
          },
        ],
      },
    ] satisfies AlertCheck[],
  },
  {
    name: 'a leader that stops probing alerts; a standby replica and a busy DaemonSet do not',
    interval: '1m',
    input_series: [
      ...healthySources(60).filter((series) => !series.series.includes(LEADER)),
      { series: `p2pnc_checks{${LEADER}}`, values: '14x60' },
      { series: `p2pnc_probes_total{${LEADER}, target_kind="node", result="success"}`, values: '0+14x15 210x45' },
      { series: `p2pnc_checks{${STANDBY}}`, values: '0x60' },
    ],
    alert_rule_test: [
      { eval_time: '15m', alertname: ALERTS.noResults, exp_alerts: [] },
      { eval_time: '25m', alertname: ALERTS.noResults, exp_alerts: [] },
      {
        eval_time: '35m',
        alertname: ALERTS.noResults,
        exp_alerts: [
          {
            exp_labels: {
              severity: 'warning',
              namespace: 'p2pnc',
              source: 'network-check-source',
              pod: 'network-check-source-7d9f-abcde',
            },
            exp_annotations: {
              summary: 'p2pnc source network-check-source produces no probe results',
              description: noResultsDescription('network-check-source', 'network-check-source-7d9f-abcde'),
            },
          },
        ],
      },
    ] satisfies AlertCheck[],
  },
  {
    name: 'a source that is no longer scraped at all alerts',
    interval: '1m',
    input_series: [
      ...healthySources(60).filter((series) => !series.series.includes('source="mesh"')),
      { series: `p2pnc_checks{${MESH_A}}`, values: '1x10' },
      { series: `p2pnc_probes_total{${MESH_A}, target_kind="p2pnc-target", result="success"}`, values: '0+1x10' },
    ],
    alert_rule_test: [
      { eval_time: '20m', alertname: ALERTS.noResults, exp_alerts: [] },
      {
        eval_time: '30m',
        alertname: ALERTS.noResults,
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'p2pnc', source: 'mesh' },
            exp_annotations: {
              summary: 'p2pnc source mesh produces no probe results',
              description: noResultsDescription('mesh'),
            },
          },
        ],
      },
    ] satisfies AlertCheck[],
  },
  {
    name: 'stale checks alert at once, ride over a change of leader, and resolve 30m after the last stale count',
    interval: '1m',
    input_series: [
      ...healthySources(90),
      // Sweeps every 10 minutes: 2 stale checks from minute 10; the leader changes at 30 (no series for 12 minutes).
      { series: `p2pnc_stale_checks{${LEADER}}`, values: '0x9 2x20 _x60' },
      { series: `p2pnc_stale_checks{${STANDBY}}`, values: '_x41 2x8 0x40' },
    ],
    alert_rule_test: [
      { eval_time: '5m', alertname: ALERTS.stale, exp_alerts: [] },
      ...['11m', '38m', '70m'].map((time) => ({
        eval_time: time,
        alertname: ALERTS.stale,
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'p2pnc' },
            exp_annotations: {
              summary: '2 p2pnc checks are stale',
              description:
                "2 checks in namespace p2pnc carry the Stale condition: no source has probed them for longer than the source's --stale-after " +
                '(48h by default), typically because their source or node is gone. Find them with `kubectl get pncc -n p2pnc -o wide`; remove their ' +
                'source or target from the topology, or run `p2pnc prune --inactive 48h` where checks are not managed in git. `p2pnc diagnose` lists them too.',
            },
          },
        ],
      })),
      { eval_time: '85m', alertname: ALERTS.stale, exp_alerts: [] },
    ] satisfies AlertCheck[],
  },
  {
    name: 'high latency alerts per source and target kind once the p95 stays above 500ms for 15m',
    interval: '1m',
    input_series: [
      ...healthySources(40),
      ...latency(`${LEADER}, target_kind="node"`, 0.75, 40),
      ...latency(`${LEADER}, target_kind="endpoint"`, 0.002, 40),
      ...latency(`${MESH_A}, target_kind="p2pnc-target"`, 0.4, 40),
    ],
    alert_rule_test: [
      { eval_time: '12m', alertname: ALERTS.highLatency, exp_alerts: [] },
      {
        eval_time: '25m',
        alertname: ALERTS.highLatency,
        exp_alerts: [
          {
            exp_labels: {
              severity: 'warning',
              namespace: 'p2pnc',
              source: 'network-check-source',
              target_kind: 'node',
            },
            exp_annotations: {
              summary: 'Slow probes from network-check-source to node targets',
              description:
                'The 95th percentile duration of successful probes from source network-check-source to node targets in namespace p2pnc is 975ms, ' +
                'above 500ms for 15m. Compare the latencies in `kubectl get pncc -n p2pnc -l p2pnc.io/source=network-check-source -o wide`; ' +
                '`p2pnc diagnose` tells which nodes and targets the slow paths share.',
            },
          },
        ],
      },
    ] satisfies AlertCheck[],
  },
  {
    name: 'packet loss alerts per source once checks stay Degraded for 15m; a short spell of loss does not',
    interval: '1m',
    input_series: [
      ...healthySources(45),
      // The leader: loss for 10 minutes only. The mesh: 2 checks Degraded on one pod and 1 on another, from minute 5.
      { series: `p2pnc_degraded_checks{${LEADER}}`, values: '0x4 2x10 0x30' },
      { series: `p2pnc_degraded_checks{${MESH_A}}`, values: '0x4 2x40' },
      { series: `p2pnc_degraded_checks{${MESH_B}}`, values: '0x4 1x40' },
    ],
    alert_rule_test: [
      { eval_time: '12m', alertname: ALERTS.packetLoss, exp_alerts: [] },
      {
        eval_time: '25m',
        alertname: ALERTS.packetLoss,
        exp_alerts: [
          {
            exp_labels: { severity: 'warning', namespace: 'p2pnc', source: 'mesh' },
            exp_annotations: {
              summary: '3 network paths probed by mesh lose packets',
              description:
                'Source mesh in namespace p2pnc has had 3 checks Degraded (probes failing intermittently, not an outage) for more than 15m; ' +
                'p2pnc_check_loss_ratio has the share that fails. List them with `kubectl get pncc -n p2pnc -l p2pnc.io/source=mesh -o wide` ' +
                "(the Degraded condition carries the figure); `p2pnc diagnose` tells whether the loss is on one node's link or on single paths.",
            },
          },
        ],
      },
    ] satisfies AlertCheck[],
  },
  {
    name: 'healthy sources raise no alert at all',
    interval: '1m',
    input_series: [
      ...healthySources(60),
      { series: `p2pnc_open_outages{${LEADER}}`, values: '0x60' },
      { series: `p2pnc_stale_checks{${LEADER}}`, values: '0x60' },
      ...latency(`${LEADER}, target_kind="node"`, 0.002, 60),
    ],
    alert_rule_test: Object.values(ALERTS).map((alertname) => ({
      eval_time: '55m',
      alertname,
      exp_alerts: [],
    })) satisfies AlertCheck[],
  },
];

describe('PrometheusRule', () => {
  test('has the six alerts, each with a severity, a summary and a description naming p2pnc diagnose', () => {
    const rules = rule.spec.groups.flatMap((group: { rules: unknown[] }) => group.rules);
    assert.deepEqual(
      rules.map((r: { alert: string }) => r.alert),
      Object.values(ALERTS),
    );
    for (const r of rules) {
      assert.match(r.labels.severity, /^(critical|warning)$/, r.alert);
      assert.ok(r.annotations.summary && r.annotations.description.includes('`p2pnc diagnose`'), r.alert);
    }
  });

  test('references only metrics and labels the source exports', async () => {
    const metrics = new SourceMetrics(false);
    metrics.observe(
      { time: new Date(), success: true, latencyMs: 2, reason: 'TCPConnect', message: 'ok' },
      { source: 's', targetKind: 'node', check: 'c' },
    );
    metrics.setOpenOutages('s', 0);
    metrics.setInvalidChecks('s', 0);
    metrics.setChecks('s', 1);
    metrics.setStaleChecks('s', 0);
    metrics.setDegradedChecks('s', 0);
    metrics.setLoss({ source: 's', targetKind: 'node', check: 'c' }, { probes: 10, failed: 1 });
    const exposition = await metrics.registry.metrics();
    const exported = new Map<string, Set<string>>();
    for (const [, name, labels] of exposition.matchAll(/^(p2pnc_\w+)\{([^}]*)\}/gm)) {
      exported.set(name!, new Set([...labels!.matchAll(/(\w+)="/g)].map((match) => match[1]!)));
    }
    const targetLabels = new Set(['namespace', 'pod', 'le']);
    for (const r of rule.spec.groups[0].rules) {
      for (const [, name] of r.expr.matchAll(/\b(p2pnc_\w+)/g))
        assert.ok(exported.has(name), `${r.alert} uses ${name}, which the source does not export`);
      for (const [, list] of r.expr.matchAll(/by \(([^)]*)\)/g)) {
        for (const label of list.split(',').map((label: string) => label.trim())) {
          const known = targetLabels.has(label) || [...exported.values()].some((labels) => labels.has(label));
          assert.ok(known, `${r.alert} groups by ${label}, which neither the source nor the ServiceMonitor sets`);
        }
      }
    }
  });

  test('promtool check rules accepts it', (t) => {
    if (!haveTool(t, 'promtool', 'prometheus')) return;
    const result = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS: 6 rules found/);
  });

  test('promtool test rules: each alert fires when it should and not otherwise', (t) => {
    if (!haveTool(t, 'promtool', 'prometheus')) return;
    const testFile = join(work, 'rules.test.yaml');
    writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests: unitTests }));
    const result = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /SUCCESS/);
  });
});
