/**
 * The alerting rules on the source's metrics (src/runtime/source/metrics.ts), as a PrometheusRule's groups.
 * Pure: the same topology gives the same rules, so dist/ stays reproducible and promtool can test them offline.
 */
import type { Monitoring } from '../topology/schema.js';
import { parseDuration } from '../api/duration.js';

export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertingRule[];
}

export interface AlertRulesProps {
  readonly namespace: string;
  readonly sourceNames: readonly string[];
  /** The longest interval of any check: rate windows must hold at least two probes. */
  readonly longestIntervalMs: number;
  readonly alerts: Monitoring['alerts'];
}

export const ALERTS = {
  outage: 'P2PNCConnectivityOutage',
  noResults: 'P2PNCSourceNoResults',
  invalid: 'P2PNCInvalidChecks',
  stale: 'P2PNCStaleChecks',
  highLatency: 'P2PNCHighLatency',
  packetLoss: 'P2PNCPacketLoss',
} as const;

const MINUTE = 60_000;

export function alertRules(props: AlertRulesProps): RuleGroup[] {
  const ns = `namespace="${props.namespace}"`;
  const ms = (text: string) => parseDuration(text)!;
  const { alerts } = props;
  const noResultsWindow = promDuration(Math.max(5 * MINUTE, 2 * props.longestIntervalMs));
  const latencyWindow = promDuration(Math.max(10 * MINUTE, 2 * props.longestIntervalMs));
  const kubectlChecks = 'kubectl get pncc -n {{ $labels.namespace }} -l p2pnc.io/source={{ $labels.source }} -o wide';
  const missing = [...props.sourceNames].sort().map((source) => `absent(p2pnc_checks{${ns}, source="${source}"})`);
  return [
    {
      name: 'p2pnc',
      rules: [
        {
          alert: ALERTS.outage,
          expr: `sum by (namespace, source) (p2pnc_open_outages{${ns}}) > 0`,
          for: promDuration(ms(alerts.outageFor)),
          labels: { severity: 'critical' },
          annotations: {
            summary: '{{ $value }} network paths probed by {{ $labels.source }} are down',
            description:
              `Source {{ $labels.source }} in namespace {{ $labels.namespace }} has had {{ $value }} checks in a confirmed outage ` +
              `for more than ${alerts.outageFor}. List them with \`${kubectlChecks}\`; ` +
              '`p2pnc diagnose` tells which nodes and targets the failures share.',
          },
        },
        {
          alert: ALERTS.noResults,
          // Per pod: one stuck prober of a DaemonSet shows even when the others probe. A standby replica reports no checks.
          // absent(): the source is not scraped at all (no pod running, or its metrics unreachable).
          expr: [
            `(sum by (namespace, source, pod) (p2pnc_checks{${ns}}) > 0)`,
            `unless on (namespace, source, pod) (sum by (namespace, source, pod) (rate(p2pnc_probes_total{${ns}}[${noResultsWindow}])) > 0)`,
            ...missing.map((absent) => `or ${absent}`),
          ].join('\n'),
          for: promDuration(ms(alerts.noResultsFor)),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'p2pnc source {{ $labels.source }} produces no probe results',
            description:
              'Source {{ $labels.source }}{{ if $labels.pod }} (pod {{ $labels.pod }}){{ end }} in namespace {{ $labels.namespace }} ' +
              `has checks but reported no probe result for ${alerts.noResultsFor}, or its metrics are gone: its checks are not being probed ` +
              'and their status grows old. Look at its pods and logs (`kubectl logs -n {{ $labels.namespace }} -l app.kubernetes.io/instance={{ $labels.source }}`); ' +
              '`p2pnc diagnose` shows when each check was last probed.',
          },
        },
        {
          alert: ALERTS.invalid,
          // A typo in the topology is not a network fault: its own warning, never the critical outage alert.
          expr: `sum by (namespace, source) (p2pnc_invalid_checks{${ns}}) > 0`,
          for: '5m',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} checks of {{ $labels.source }} cannot be probed as written',
            description:
              'Source {{ $labels.source }} in namespace {{ $labels.namespace }} has {{ $value }} checks whose spec it cannot probe (Reachable=False, ' +
              `reason InvalidCheck): an endpoint that does not parse, a client certificate Secret that is missing, a target pod that does not exist. ` +
              `The condition's message says which; fix the topology (or the Secret) and synth again. List them with \`${kubectlChecks}\`; \`p2pnc diagnose\` shows each with its reason.`,
          },
        },
        {
          alert: ALERTS.stale,
          // Only the leader of a Deployment source sweeps, every 10 minutes: the window rides over a change of leader.
          expr: `max by (namespace) (max_over_time(p2pnc_stale_checks{${ns}}[30m])) > 0`,
          for: '0s',
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} p2pnc checks are stale',
            description:
              '{{ $value }} checks in namespace {{ $labels.namespace }} carry the Stale condition: no source has probed them for longer than ' +
              "the source's --stale-after (48h by default), typically because their source or node is gone. Find them with " +
              '`kubectl get pncc -n {{ $labels.namespace }} -o wide`; remove their source or target from the topology, or run ' +
              '`p2pnc prune --inactive 48h` where checks are not managed in git. `p2pnc diagnose` lists them too.',
          },
        },
        {
          alert: ALERTS.highLatency,
          expr:
            `histogram_quantile(0.95, sum by (namespace, source, target_kind, le) (rate(p2pnc_probe_duration_seconds_bucket{${ns}}[${latencyWindow}])))` +
            ` > ${ms(alerts.latencyThreshold) / 1000}`,
          for: promDuration(ms(alerts.latencyFor)),
          labels: { severity: 'warning' },
          annotations: {
            summary: 'Slow probes from {{ $labels.source }} to {{ $labels.target_kind }} targets',
            description:
              'The 95th percentile duration of successful probes from source {{ $labels.source }} to {{ $labels.target_kind }} targets in namespace ' +
              `{{ $labels.namespace }} is {{ $value | humanizeDuration }}, above ${alerts.latencyThreshold} for ${alerts.latencyFor}. ` +
              `Compare the latencies in \`${kubectlChecks}\`; \`p2pnc diagnose\` tells which nodes and targets the slow paths share.`,
          },
        },
        {
          alert: ALERTS.packetLoss,
          // Loss is its own state (the Degraded condition), never an outage: a warning once it persists.
          expr: `sum by (namespace, source) (p2pnc_degraded_checks{${ns}}) > 0`,
          for: promDuration(ms(alerts.lossFor)),
          labels: { severity: 'warning' },
          annotations: {
            summary: '{{ $value }} network paths probed by {{ $labels.source }} lose packets',
            description:
              `Source {{ $labels.source }} in namespace {{ $labels.namespace }} has had {{ $value }} checks Degraded (probes failing ` +
              `intermittently, not an outage) for more than ${alerts.lossFor}; p2pnc_check_loss_ratio has the share that fails. ` +
              `List them with \`${kubectlChecks}\` (the Degraded condition carries the figure); ` +
              "`p2pnc diagnose` tells whether the loss is on one node's link or on single paths.",
          },
        },
      ],
    },
  ];
}

/** A Prometheus duration (whole units only: `1h30m`, `90s` as `1m30s`, `500ms`), rounded up to the millisecond. */
export function promDuration(ms: number): string {
  let rest = Math.ceil(ms);
  if (rest <= 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / size);
    if (count > 0) parts.push(`${count}${unit}`);
    rest -= count * size;
  }
  return parts.join('');
}
