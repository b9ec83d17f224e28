/**
 * Prometheus metrics. Labels are per source and target kind by default; per-check series (N^2 in a mesh) only
 * when asked for, since they are what made peers' metrics explode in large clusters.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LossWindow } from '../status/loss.js';
import type { ProbeResult } from '../types.js';

export interface ProbeLabels {
  source: string;
  targetKind: string;
  check: string;
}

/**
 * Phase buckets: 100 µs (a connect on the node's own network) to 10 s (the longest timeout), about x2.5 apart, so one
 * bucket set serves a DNS answer from the node cache, a cross-zone TLS handshake and a 64 KiB mtu transfer.
 */
export const PHASE_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The phases a probe reports, by the label value they are exported under. */
export const PHASES = ['dns', 'connect', 'tls', 'first_byte', 'transfer', 'round_trip'] as const;
export type Phase = (typeof PHASES)[number];

/** A successful probe's phase durations in seconds, by phase label. */
export function phaseSeconds(result: ProbeResult): Array<[Phase, number]> {
  const phases = result.phases;
  if (!phases) return [];
  const seconds: Array<[Phase, number]> = [];
  const add = (phase: Phase, ms: number | undefined) => {
    if (ms !== undefined && Number.isFinite(ms) && ms >= 0) seconds.push([phase, ms / 1000]);
  };
  add('dns', phases.dnsMs);
  add('connect', phases.connectMs);
  add('tls', phases.tlsMs);
  // An mtu probe's http time is its whole payload, not the first byte.
  if (phases.transferMs !== undefined) add('transfer', phases.transferMs);
  else add('first_byte', phases.httpMs);
  add('round_trip', phases.roundTripMs);
  return seconds;
}

/** Sums of the checks' loss windows per label set, kept up to date one check at a time (no walk over all checks). */
class LossSums {
  private readonly byCheck = new Map<string, { key: string; window: LossWindow }>();
  private readonly sums = new Map<string, LossWindow & { labels: Record<string, string> }>();

  /** Returns the label sets whose sums changed. */
  set(check: string, labels: Record<string, string>, window: LossWindow | undefined): Array<Record<string, string>> {
    const key = JSON.stringify(labels);
    const previous = this.byCheck.get(check);
    const changed: Array<Record<string, string>> = [];
    if (previous) changed.push(this.add(previous.key, undefined, previous.window, -1));
    if (window) {
      this.byCheck.set(check, { key, window });
      changed.push(this.add(key, labels, window, 1));
    } else this.byCheck.delete(check);
    return changed;
  }

  ratio(labels: Record<string, string>): number | undefined {
    const sum = this.sums.get(JSON.stringify(labels));
    return sum && sum.probes > 0 ? sum.failed / sum.probes : undefined;
  }

  private add(
    key: string,
    labels: Record<string, string> | undefined,
    window: LossWindow,
    sign: 1 | -1,
  ): Record<string, string> {
    const sum = this.sums.get(key) ?? { probes: 0, failed: 0, labels: labels! };
    sum.probes += sign * window.probes;
    sum.failed += sign * window.failed;
    this.sums.set(key, sum);
    return sum.labels;
  }
}

export class SourceMetrics {
  readonly registry = new Registry();
  private readonly probes: Counter<string>;
  private readonly latency: Histogram<string>;
  private readonly phases: Histogram<string>;
  private readonly lossRatio: Gauge<string>;
  private readonly degradedChecks: Gauge<string>;
  private readonly lossSums = new LossSums();
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
    this.phases = new Histogram({
      name: 'p2pnc_probe_phase_duration_seconds',
      help: 'Duration of each phase of successful probes: dns, connect, tls, first_byte (request to response headers), transfer (an mtu payload), round_trip (icmp echo, udp mean)',
      labelNames: ['source', 'target_kind', 'phase'],
      buckets: PHASE_BUCKETS,
      registers: [this.registry],
    });
    this.lossRatio = new Gauge({
      name: 'p2pnc_check_loss_ratio',
      help: 'Share of the recent probes (the Degraded window, outages left out) that failed, over all checks of the label set',
      labelNames: this.labelNames,
      registers: [this.registry],
    });
    this.degradedChecks = new Gauge({
      name: 'p2pnc_degraded_checks',
      help: 'Checks with the Degraded condition True (intermittent failures: packet loss), not in an outage',
      labelNames: ['source'],
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
    if (!result.success) return;
    this.latency.observe(values, result.latencyMs / 1000);
    for (const [phase, seconds] of phaseSeconds(result))
      this.phases.observe({ source: labels.source, target_kind: labels.targetKind, phase }, seconds);
  }

  /** A check's current loss window (undefined: the check is gone); updates only the gauge of its label set. */
  setLoss(labels: ProbeLabels, window: LossWindow | undefined): void {
    const values: Record<string, string> = { source: labels.source, target_kind: labels.targetKind };
    if (this.perCheck) values.check = labels.check;
    for (const changed of this.lossSums.set(`${labels.source}/${labels.check}`, values, window)) {
      const ratio = this.lossSums.ratio(changed);
      if (ratio === undefined) this.lossRatio.remove(changed);
      else this.lossRatio.set(changed, ratio);
    }
  }

  setDegradedChecks(source: string, count: number): void {
    this.degradedChecks.set({ source }, count);
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
