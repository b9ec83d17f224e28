/**
 * A Grafana dashboard over the source's metrics: how many checks, outages and stale checks, probe failures by
 * cause, probe latency and status writes, per source. Pure and deterministic, written to examples/grafana.
 */

export interface DashboardPanel {
  id: number;
  type: 'stat' | 'timeseries';
  title: string;
  description: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource: { type: 'prometheus'; uid: '${datasource}' };
  targets: { refId: string; expr: string; legendFormat: string }[];
  fieldConfig: { defaults: { unit: string }; overrides: [] };
  options?: Record<string, unknown>;
}

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
/** Every query's selector: the p2pnc namespace and the chosen sources. */
const SELECTOR = 'namespace="$namespace", source=~"$source"';

interface PanelSpec {
  type: DashboardPanel['type'];
  title: string;
  description: string;
  unit: string;
  width: number;
  height: number;
  queries: { expr: string; legend: string }[];
}

const PANELS: PanelSpec[] = [
  {
    type: 'stat',
    title: 'Checks probed',
    description: 'Checks the selected sources probe (p2pnc_checks).',
    unit: 'short',
    width: 4,
    height: 4,
    queries: [{ expr: `sum(p2pnc_checks{${SELECTOR}})`, legend: 'checks' }],
  },
  {
    type: 'stat',
    title: 'Checks down',
    description:
      'Checks in a confirmed outage (invalid checks are counted apart, in p2pnc_invalid_checks). `kubectl get pncc -o wide` lists them; `p2pnc diagnose` says what they share.',
    unit: 'short',
    width: 5,
    height: 4,
    queries: [{ expr: `sum(p2pnc_open_outages{${SELECTOR}})`, legend: 'down' }],
  },
  {
    type: 'stat',
    title: 'Checks losing packets',
    description:
      'Checks Degraded: their probes fail intermittently (packet loss), without an outage. The Degraded condition carries the figure; `p2pnc diagnose` says whether one node link explains them.',
    unit: 'short',
    width: 5,
    height: 4,
    queries: [{ expr: `sum(p2pnc_degraded_checks{${SELECTOR}})`, legend: 'lossy' }],
  },
  {
    type: 'stat',
    title: 'Stale checks',
    description:
      'Checks no source has probed for --stale-after (48h), counted by the sweep of a Deployment source leader.',
    unit: 'short',
    width: 5,
    height: 4,
    queries: [{ expr: 'max(p2pnc_stale_checks{namespace="$namespace"})', legend: 'stale' }],
  },
  {
    type: 'stat',
    title: 'Probe success ratio',
    description: 'Share of probes that succeeded over the dashboard range.',
    unit: 'percentunit',
    width: 5,
    height: 4,
    queries: [
      {
        expr: `sum(increase(p2pnc_probes_total{${SELECTOR}, result="success"}[$__range])) / sum(increase(p2pnc_probes_total{${SELECTOR}}[$__range]))`,
        legend: 'success',
      },
    ],
  },
  {
    type: 'timeseries',
    title: 'Failed probes by cause',
    description:
      'Failed probes per second by source and cause: dns, refused, timeout, no-route, tls, http-status, http, config.',
    unit: 'reqps',
    width: 12,
    height: 8,
    queries: [
      {
        expr: `sum by (source, result) (rate(p2pnc_probes_total{${SELECTOR}, result!="success"}[$__rate_interval]))`,
        legend: '{{source}} {{result}}',
      },
    ],
  },
  {
    type: 'timeseries',
    title: 'Checks down by source',
    description: 'Checks with Reachable=False, per source.',
    unit: 'short',
    width: 12,
    height: 8,
    queries: [{ expr: `sum by (source) (p2pnc_open_outages{${SELECTOR}})`, legend: '{{source}}' }],
  },
  {
    type: 'timeseries',
    title: 'Packet loss by source and target kind',
    description:
      "Share of the recent probes that failed, outages left out (p2pnc_check_loss_ratio): the figure behind the checks' Degraded condition.",
    unit: 'percentunit',
    width: 12,
    height: 8,
    queries: [
      {
        expr: `max by (source, target_kind) (p2pnc_check_loss_ratio{${SELECTOR}})`,
        legend: '{{source}} → {{target_kind}}',
      },
    ],
  },
  {
    type: 'timeseries',
    title: 'Probe latency (p50, p95)',
    description:
      'Duration of successful probes per source and target kind (DNS, connect, and the TLS handshake or HTTP request).',
    unit: 's',
    width: 12,
    height: 8,
    queries: [0.5, 0.95].map((quantile) => ({
      expr: `histogram_quantile(${quantile}, sum by (source, target_kind, le) (rate(p2pnc_probe_duration_seconds_bucket{${SELECTOR}}[$__rate_interval])))`,
      legend: `p${quantile * 100} {{source}} → {{target_kind}}`,
    })),
  },
  {
    type: 'timeseries',
    title: 'Status writes by result',
    description:
      'Status writes to the API server per second: success, conflict (retried) and error. A healthy check costs about one write per 10 minutes.',
    unit: 'reqps',
    width: 12,
    height: 8,
    queries: [
      {
        expr: `sum by (source, result) (rate(p2pnc_status_writes_total{${SELECTOR}}[$__rate_interval]))`,
        legend: '{{source}} {{result}}',
      },
    ],
  },
];

export function dashboard(): Record<string, unknown> {
  return {
    uid: 'p2pnc',
    title: 'p2pnc network checks',
    description: 'Point-to-point network checks probed by p2pnc sources',
    tags: ['p2pnc', 'network'],
    editable: true,
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [
        { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' },
        variable('namespace', 'Namespace', 'label_values(p2pnc_checks, namespace)', false),
        variable('source', 'Source', 'label_values(p2pnc_checks{namespace="$namespace"}, source)', true),
      ],
    },
    panels: layout(PANELS),
  };
}

/** The queries of every panel, for checking that they parse. */
export function dashboardQueries(): string[] {
  return PANELS.flatMap((panel) => panel.queries.map((query) => query.expr));
}

function variable(name: string, label: string, query: string, multi: boolean) {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query, refId: `${name}-values` },
    refresh: 2,
    sort: 1,
    multi,
    includeAll: multi,
    ...(multi ? { allValue: '.*' } : {}),
  };
}

/** Left to right in rows of 24 columns, each panel at the height of its row. */
function layout(specs: readonly PanelSpec[]): DashboardPanel[] {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  return specs.map((spec, index) => {
    if (x + spec.width > 24) {
      x = 0;
      y += rowHeight;
      rowHeight = 0;
    }
    const panel: DashboardPanel = {
      id: index + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      gridPos: { x, y, w: spec.width, h: spec.height },
      datasource: DATASOURCE,
      targets: spec.queries.map((query, i) => ({
        refId: String.fromCharCode(65 + i),
        expr: query.expr,
        legendFormat: query.legend,
      })),
      fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
      ...(spec.type === 'stat'
        ? { options: { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'value', graphMode: 'area' } }
        : {}),
    };
    x += spec.width;
    rowHeight = Math.max(rowHeight, spec.height);
    return panel;
  });
}
