/**
 * Prometheus metrics. Labels are per source and target kind by default; per-check series (N^2 in a mesh) only
 * when asked for, since they are what made peers' metrics explode in large clusters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ProbeResult } from '../types.js';

export interface ProbeLabels {
  source: string;
  targetKind: string;
  check: string;
}

export class SourceMetrics {
  readonly registry = new Registry();
  private readonly probes: Counter<string>;
  private readonly latency: Histogram<string>;
  private readonly openOutages: Gauge<string>;
  private readonly invalidChecks: Gauge<string>;
  private readonly checks: Gauge<string>;
  private readonly staleChecks: Gauge<string>;
  private readonly writes: Counter<string>;
  private readonly labelNames: string[];

  constructor(private readonly perCheck: boolean) {
    collectDefaultMetrics({ register: this.registry, prefix: 'p2pnc_' });
    this.labelNames = perCheck ? ['source', 'target_kind', 'check'] : ['source', 'target_kind'];
    this.probes = new Counter({
      name: 'p2pnc_probes_total',
      help: 'Probes run, by result (success, dns, refused, timeout, no-route, tls, http-status, http, config, other)',
      labelNames: [...this.labelNames, 'result'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'p2pnc_probe_duration_seconds',
      help: 'Duration of successful probes',
      labelNames: this.labelNames,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [this.registry],
    });
    this.openOutages = new Gauge({
      name: 'p2pnc_open_outages',
      help: 'Checks with an outage in progress (Reachable=False for a network failure)',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.invalidChecks = new Gauge({
      name: 'p2pnc_invalid_checks',
      help: 'Checks this source cannot probe because their spec is wrong (Reachable=False, reason InvalidCheck): a topology to fix, not a network to repair',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.checks = new Gauge({
      name: 'p2pnc_checks',
      help: 'Checks this source probes',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.staleChecks = new Gauge({
      name: 'p2pnc_stale_checks',
      help: 'Checks of the namespace with the Stale condition, as counted by the last sweep of this source (a Deployment leader)',
      labelNames: ['source'],
      registers: [this.registry],
    });
    this.writes = new Counter({
      name: 'p2pnc_status_writes_total',
      help: 'Status writes, by result',
      labelNames: ['source', 'result'],
      registers: [this.registry],
    });
  }

  observe(result: ProbeResult, labels: ProbeLabels): void {
    const values: Record<string, string> = { source: labels.source, target_kind: labels.targetKind };
    if (this.perCheck) values.check = labels.check;
    this.probes.inc({ ...values, result: result.success ? 'success' : (result.failure ?? 'other') });
    if (result.success) this.latency.observe(values, result.latencyMs / 1000);
  }

  setOpenOutages(source: string, count: number): void {
    this.openOutages.set({ source }, count);
  }

  setInvalidChecks(source: string, count: number): void {
    this.invalidChecks.set({ source }, count);
  }

  setChecks(source: string, count: number): void {
    this.checks.set({ source }, count);
  }

  setStaleChecks(source: string, count: number): void {
    this.staleChecks.set({ source }, count);
  }

  countWrite(source: string, result: 'success' | 'conflict' | 'error'): void {
    this.writes.inc({ source, result });
  }
}
