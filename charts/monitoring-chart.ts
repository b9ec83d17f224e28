import { Chart, type ChartProps } from 'cdk8s';
import type { Construct } from 'constructs';
import { SourceMetricsService, METRICS_PORT_NAME } from '../src/constructs/metrics-service.js';
import { PrometheusRule } from '../src/constructs/prometheus-rule.js';
import { ServiceMonitor } from '../src/constructs/service-monitor.js';
import { METRICS_PORT } from '../src/constructs/source-workload.js';
import { assignSyncWave, SyncWave } from '../src/constructs/sync-wave.js';
import { alertRules, promDuration } from '../src/monitoring/rules.js';
import { parseDuration } from '../src/api/duration.js';
import type { PlannedCheck } from '../src/topology/expand.js';
import type { Topology } from '../src/topology/schema.js';

/** Optional prometheus-operator objects: the metrics Service and its ServiceMonitor, and the alerting rules. */
export class MonitoringChart extends Chart {
  constructor(
    scope: Construct,
    id: string,
    topology: Topology,
    checks: readonly PlannedCheck[],
    props: ChartProps = {},
  ) {
    super(scope, id, props);
    const { monitoring, namespace } = topology;
    if (monitoring.serviceMonitor) {
      const service = new SourceMetricsService(this, 'SourceMetricsService', { namespace, metricsPort: METRICS_PORT });
      new ServiceMonitor(this, 'ServiceMonitor', {
        name: 'p2pnc-source',
        namespace,
        serviceLabels: service.selectorLabels,
        port: METRICS_PORT_NAME,
        labels: monitoring.labels,
        ...(monitoring.scrapeInterval ? { interval: promDuration(parseDuration(monitoring.scrapeInterval)!) } : {}),
      });
    }
    if (monitoring.prometheusRule) {
      const intervals = checks.map((check) => parseDuration(check.spec.interval ?? topology.interval)!);
      const groups = alertRules({
        namespace,
        // Only the pods the ServiceMonitor scrapes: host-network and sidecar sources are elsewhere and never would be.
        sourceNames: topology.sources
          .filter((source) => source.kind !== 'Sidecar' && !source.hostNetwork)
          .map((source) => source.name),
        longestIntervalMs: Math.max(parseDuration(topology.interval)!, ...intervals),
        alerts: monitoring.alerts,
      });
      new PrometheusRule(this, 'PrometheusRule', { name: 'p2pnc', namespace, groups, labels: monitoring.labels });
    }
    assignSyncWave(this, SyncWave.MONITORING);
  }
}

export function monitoringEnabled(topology: Topology): boolean {
  return topology.monitoring.serviceMonitor || topology.monitoring.prometheusRule;
}
