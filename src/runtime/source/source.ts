/**
 * The prober: finds its checks (label-selected list+watch), probes each every interval, folds results into the
 * status with the pure reducer, writes it when the write policy says so, and records outage events. With several
 * replicas a Lease elects the one that probes and writes.
 */
import { isDeepStrictEqual } from 'node:util';
import type { CheckStatus } from '../../api/check.js';
import { LABEL_SOURCE, LABEL_SOURCE_NODE, nodeLabelValue } from '../../api/labels.js';
import { heartbeatPeriodMs } from '../../api/heartbeat.js';
import type { KubeClient } from '../kube/client.js';
import { EventRecorder } from '../kube/events.js';
import { Informer, sleep } from '../kube/informer.js';
import { paths, type CheckObject } from '../kube/resources.js';
import { parseDuration } from '../../api/duration.js';
import { markStale, policyForCheck, record, REACHABLE, statusPolicy, type StatusPolicy } from '../status/reducer.js';
import { DEGRADED } from '../status/loss.js';
import { mergeForWrite, writePolicy, WriteScheduler, type WritePolicy } from '../status/write-policy.js';
import type { ProbeResult } from '../types.js';
import { intervalMs, probeCheck } from './check-target.js';
import { ClientCertificates } from './client-certs.js';
import { Heartbeat } from './heartbeat.js';
import type { Logger } from './log.js';
import type { ProbeLabels, SourceMetrics } from './metrics.js';
import { ProbeScheduler } from './scheduler.js';
import { sweepNamespaces } from './stale-sweeper.js';
import { StatusWriter } from './status-writer.js';
import { TargetPods } from './target-pods.js';
import { DEFAULT_CONCURRENCY, DEFAULT_STALE_AFTER_MS } from '../defaults.js';

export interface SourceOptions {
  source: string;
  /** Where the source's Leases, Secrets and target Services are, and its checks unless `checksNamespace` says. */
  namespace: string;
  /** Where its checks are: a per-node source's check shard on a large cluster (api/check-shards.ts). @default namespace */
  checksNamespace?: string;
  /** Every namespace with checks, for the stale sweep (the namespace and its check shards). @default [namespace] */
  sweepNamespaces?: readonly string[];
  /** Per-node sources probe only the checks of their node. */
  nodeName?: string;
  concurrency?: number;
  statusPolicy?: Partial<StatusPolicy>;
  writePolicy?: Partial<WritePolicy>;
  /** Overrides every check's interval (tests). */
  intervalOverrideMs?: number;
  logger: Logger;
  metrics: SourceMetrics;
  identity: string;
  /** Checks no source probed for this long are marked Stale. @default 48h */
  staleAfterMs?: number;
  /** Sweep every check of the namespace for staleness this often; only one source (a Deployment leader) should. @default off */
  staleSweepIntervalMs?: number;
  /** The first list of checks waits a random delay below this, so thousands of sources restarting together spread out. @default 0 */
  startJitterMs?: number;
  /** The node this pod runs on, recorded in the heartbeat. @default unknown */
  runningOn?: string;
  /** Renew the source's heartbeat Lease. @default true */
  heartbeat?: boolean;
  /** Renew it this often (large clusters), not every shortest check interval. @default the shortest interval, <= 60s */
  heartbeatPeriodMs?: number;
}

/**
 * What the source keeps of a check object: everything it reads (the spec, the metadata it names the check by, and
 * the stored status, which the status writer merges with), without server-side apply's managedFields and the
 * annotations (kubectl's last-applied-configuration repeats the whole spec). The cache holds every check for as long
 * as the source runs.
 */
function withoutBookkeeping(object: CheckObject): CheckObject {
  const { name, namespace, uid, resourceVersion, labels } = object.metadata;
  const metadata: CheckObject['metadata'] = { name };
  if (namespace !== undefined) metadata.namespace = namespace;
  if (uid !== undefined) metadata.uid = uid;
  if (resourceVersion !== undefined) metadata.resourceVersion = resourceVersion;
  if (labels !== undefined) metadata.labels = labels;
  return { ...object, metadata };
}

interface CheckState {
  object: CheckObject;
  status: CheckStatus;
  /** The source's policy with this check's own history caps. */
  policy: StatusPolicy;
}

/** Gauges are scraped every 15 s or more: a quarter second late is on time. */
const DOWN_COUNTS_DELAY_MS = 250;

export class SourceRunner {
  private readonly checks = new Map<string, CheckState>();
  private downCountsTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly informer: Informer<CheckObject>;
  private readonly scheduler: ProbeScheduler;
  private readonly writeScheduler: WriteScheduler;
  private readonly writer: StatusWriter;
  private readonly events: EventRecorder;
  private readonly certificates: ClientCertificates;
  private readonly policy: StatusPolicy;
  private targetPods?: { services: Set<string>; pods: TargetPods; abort: AbortController };
  private readonly abort = new AbortController();
  private readonly heartbeat?: Heartbeat;
  /** When the last probe finished: a source whose probes stopped finishing is stuck and stops renewing. */
  private lastProbeDoneMs = Date.now();

  constructor(
    private readonly client: KubeClient,
    private readonly options: SourceOptions,
  ) {
    this.policy = statusPolicy(options.statusPolicy);
    this.scheduler = new ProbeScheduler({
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      onError: (check, error) =>
        this.options.logger.error('probing a check failed unexpectedly; it is probed again next interval', {
          check,
          error: String(error),
        }),
    });
    this.writeScheduler = new WriteScheduler(
      writePolicy(options.writePolicy),
      (delay) => delay * (0.5 + Math.random() / 2),
    );
    this.certificates = new ClientCertificates(client, options.namespace);
    this.events = new EventRecorder(client, { component: 'p2pnc-source', instance: options.identity });
    const checksNamespace = options.checksNamespace ?? options.namespace;
    this.informer = new Informer<CheckObject>(
      client,
      paths.checks(checksNamespace),
      this.selector(),
      {
        keep: withoutBookkeeping,
        onUpsert: (object, previous) => this.upsert(object, previous),
        onDelete: (object) => this.remove(object.metadata.name),
        onSynced: () => {
          this.publishGauges();
          this.apiServerAnswered();
        },
        onError: (error) =>
          this.options.logger.warn('listing or watching checks failed; retrying', { error: String(error) }),
      },
      { startJitterMs: options.startJitterMs ?? 0 },
    );
    this.writer = new StatusWriter(client, {
      namespace: checksNamespace,
      scheduler: this.writeScheduler,
      cached: (name) => this.informer.cache.get(name),
      caps: (name) => this.checks.get(name)?.policy ?? this.policy,
      onWritten: (name, merged) => this.adoptWritten(name, merged),
      onError: (name, error) =>
        this.options.logger.warn('status write failed; will retry', { check: name, error: String(error) }),
      onResult: (result) => this.options.metrics.countWrite(this.options.source, result),
    });
    if (options.heartbeat !== false) {
      this.heartbeat = new Heartbeat(client, {
        namespace: options.namespace,
        source: options.source,
        ...(options.nodeName ? { nodeName: options.nodeName } : {}),
        ...(options.runningOn ? { runningOn: options.runningOn } : {}),
        identity: options.identity,
        periodMs: () => this.heartbeatPeriodMs(),
        isProbing: () => this.isProbing(),
        onRenewed: () => this.apiServerAnswered(),
        onError: (error) =>
          this.options.logger.warn('renewing the heartbeat Lease failed; retrying next period', {
            lease: this.heartbeat?.leaseName,
            error: String(error),
          }),
      });
    }
  }

  /** The shortest interval among this source's checks bounds how late its heartbeat may be. */
  private heartbeatPeriodMs(): number {
    if (this.options.heartbeatPeriodMs) return this.options.heartbeatPeriodMs;
    let shortest: number | undefined;
    for (const state of this.checks.values()) {
      const interval = this.options.intervalOverrideMs ?? intervalMs(state.object.spec);
      if (shortest === undefined || interval < shortest) shortest = interval;
    }
    return heartbeatPeriodMs(shortest);
  }

  /** Listed its checks, and (when it has any) finished a probe within the last two periods. */
  private isProbing(): boolean {
    if (!this.informer.hasSynced) return false;
    if (this.checks.size === 0) return true;
    return Date.now() - this.lastProbeDoneMs <= 2 * this.heartbeatPeriodMs();
  }

  /** A request that succeeded ends an API outage: write what it held back now, not when the back-off runs out. */
  apiServerAnswered(): void {
    if (this.writeScheduler.apiServerAnswered()) this.writer.kick();
    if (this.events.pendingEvents > 0) void this.events.sendPending();
  }

  get hasSynced(): boolean {
    return this.informer.hasSynced;
  }

  get checkCount(): number {
    return this.checks.size;
  }

  selector(): string {
    const parts = [`${LABEL_SOURCE}=${this.options.source}`];
    if (this.options.nodeName) parts.push(`${LABEL_SOURCE_NODE}=${nodeLabelValue(this.options.nodeName)}`);
    return parts.join(',');
  }

  /** Runs until stop(); resolves when the watch loop ends. */
  async run(): Promise<void> {
    this.writer.kick();
    const sweeping = this.options.staleSweepIntervalMs ? this.sweepStale(this.options.staleSweepIntervalMs) : undefined;
    const beating = this.heartbeat?.run(this.abort.signal);
    await this.informer.run(this.abort.signal);
    await Promise.all([sweeping, beating]);
  }

  private async sweepStale(everyMs: number): Promise<void> {
    while (!this.abort.signal.aborted) {
      await sleep(everyMs, this.abort.signal);
      if (this.abort.signal.aborted) return;
      await sweepNamespaces(this.client, this.options.sweepNamespaces ?? [this.options.namespace], this.staleAfterMs)
        .then(({ marked, stale, failed }) => {
          if (!this.abort.signal.aborted) this.options.metrics.setStaleChecks(this.options.source, stale);
          if (marked.length > 0) this.options.logger.info('marked stale checks', { checks: marked });
          // An RBAC 403 or a rejected patch must show, not vanish: the sweep goes on, and says what it could not mark.
          if (failed.length > 0)
            this.options.logger.warn('could not mark stale checks', { count: failed.length, first: failed[0] });
        })
        .catch((error: unknown) => this.options.logger.warn('stale sweep failed', { error: String(error) }));
    }
  }

  private get staleAfterMs(): number {
    return this.options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  }

  /** Stops probing, lets probes in flight report, and writes every pending result (SIGTERM, lost leadership). */
  async stop(flushDeadlineMs = 10_000): Promise<number> {
    this.abort.abort();
    this.targetPods?.abort.abort();
    await this.scheduler.stop();
    const left = await this.writer.flush(flushDeadlineMs);
    // A replica that stops leading keeps serving /metrics: it must not go on reporting the leader's numbers.
    clearTimeout(this.downCountsTimer);
    this.downCountsTimer = undefined;
    this.options.metrics.setChecks(this.options.source, 0);
    this.options.metrics.setOpenOutages(this.options.source, 0);
    this.options.metrics.setInvalidChecks(this.options.source, 0);
    this.options.metrics.setDegradedChecks(this.options.source, 0);
    for (const name of this.checks.keys()) this.options.metrics.setLoss(this.probeLabels(name), undefined);
    if (this.options.staleSweepIntervalMs) this.options.metrics.setStaleChecks(this.options.source, 0);
    return left;
  }

  /** Checks probed and open outages; after the first sync, on every change of the check set. */
  private publishGauges(): void {
    this.options.metrics.setChecks(this.options.source, this.checks.size);
    this.publishDownCounts();
  }

  private upsert(object: CheckObject, previous: CheckObject | undefined): void {
    const name = object.metadata.name;
    const known = this.checks.get(name);
    if (!known) {
      const status = object.status ?? {};
      const kept = this.informer.cache.get(name) ?? object;
      this.checks.set(name, { object: kept, status, policy: policyForCheck(this.policy, object.spec) });
      this.writeScheduler.adopt(name, status, Date.now());
      if (this.informer.hasSynced) this.publishGauges();
    } else known.object = this.informer.cache.get(name) ?? object;
    if (previous && isDeepStrictEqual(previous.spec, object.spec)) return;
    if (known) known.policy = policyForCheck(this.policy, object.spec);
    this.writeScheduler.setSteadyInterval(
      name,
      object.spec.refreshInterval ? parseDuration(object.spec.refreshInterval) : undefined,
    );
    if (object.spec.targetPod) this.watchTargetPods(object.spec.targetPod.service);
    this.scheduler.upsert(name, {
      intervalMs: this.options.intervalOverrideMs ?? intervalMs(object.spec),
      run: () => this.probeCheck(name),
    });
  }

  private remove(name: string): void {
    if (this.checks.has(name)) this.options.metrics.setLoss(this.probeLabels(name), undefined);
    this.checks.delete(name);
    this.scheduler.remove(name);
    this.writeScheduler.forget(name);
    this.publishGauges();
  }

  private async probeCheck(name: string): Promise<void> {
    const state = this.checks.get(name);
    if (!state) return;
    const { spec } = state.object;
    const result = await probeCheck(name, spec, {
      targetPodAddress: (service, node) => this.targetPods?.pods.addressOn(service, node),
      clientCert: (secret) => this.certificates.get(secret),
    });
    this.lastProbeDoneMs = Date.now();
    this.apply(name, result);
  }

  private apply(name: string, result: ProbeResult): void {
    const state = this.checks.get(name);
    if (!state) return;
    const outcome = record(state.status, result, state.policy);
    // A probe makes the check fresh again: drop a Stale mark a sweep may have left.
    state.status = markStale(outcome.status, result.time, result.time, this.staleAfterMs);
    const change = this.writeScheduler.update(name, state.status, Date.now());
    this.options.metrics.observe(result, this.probeLabels(name));
    if (outcome.loss) this.options.metrics.setLoss(this.probeLabels(name), outcome.loss);
    if (outcome.confirmRetryInMs !== undefined) this.scheduler.probeIn(name, outcome.confirmRetryInMs);
    if (outcome.transition) {
      const opened = outcome.transition === 'outage-opened';
      const outage = state.status.outages?.[0];
      this.options.logger.info(opened ? 'outage detected' : 'connectivity restored', {
        check: name,
        message: outage?.message ?? result.message,
      });
      void this.events
        .record(
          state.object.metadata,
          opened ? 'Warning' : 'Normal',
          opened ? 'ConnectivityOutageDetected' : 'ConnectivityRestored',
          `${outage?.message ?? ''}: ${result.message}`,
        )
        .catch((error: unknown) =>
          this.options.logger.warn('recording an event failed', { check: name, error: String(error) }),
        );
    }
    if (outcome.transition || change === 'transition') this.publishDownCountsSoon();
    if (change === 'transition') this.writer.kick();
  }

  private probeLabels(name: string): ProbeLabels {
    const targetKind = this.checks.get(name)?.object.spec.target?.kind ?? 'unknown';
    return { source: this.options.source, targetKind, check: name };
  }

  /** After a write, continue from the union of what we had and what is stored (another writer's entries included). */
  private adoptWritten(name: string, written: CheckStatus): void {
    const state = this.checks.get(name);
    if (!state) return;
    state.status = mergeForWrite(state.status, written, state.policy);
    this.writeScheduler.update(name, state.status, Date.now());
  }

  /** Checks down for a network failure, and checks whose spec cannot be probed: two gauges, two alerts. */
  private downCounts(): { outages: number; invalid: number; degraded: number } {
    const counts = { outages: 0, invalid: 0, degraded: 0 };
    for (const state of this.checks.values()) {
      const reachable = state.status.conditions?.find((condition) => condition.type === REACHABLE);
      if (reachable?.status !== 'False') {
        if (state.status.conditions?.some((c) => c.type === DEGRADED && c.status === 'True')) counts.degraded++;
        continue;
      }
      if (this.policy.invalidCheckReasons.includes(reachable.reason ?? '')) counts.invalid++;
      else counts.outages++;
    }
    return counts;
  }

  /**
   * Recounts within DOWN_COUNTS_DELAY_MS, once however many transitions came meanwhile: a count visits every check,
   * and a new deployment's first results are a transition each (10,000 checks: 10,000 x 10,000 visits).
   */
  private publishDownCountsSoon(): void {
    if (this.downCountsTimer) return;
    this.downCountsTimer = setTimeout(() => {
      this.downCountsTimer = undefined;
      this.publishDownCounts();
    }, DOWN_COUNTS_DELAY_MS);
    this.downCountsTimer.unref();
  }

  private publishDownCounts(): void {
    const { outages, invalid, degraded } = this.downCounts();
    this.options.metrics.setDegradedChecks(this.options.source, degraded);
    this.options.metrics.setOpenOutages(this.options.source, outages);
    this.options.metrics.setInvalidChecks(this.options.source, invalid);
  }

  private watchTargetPods(service: string): void {
    if (this.targetPods?.services.has(service)) return;
    const services = new Set([...(this.targetPods?.services ?? []), service]);
    this.targetPods?.abort.abort();
    const abort = new AbortController();
    const pods = new TargetPods(this.client, this.options.namespace, [...services], (error) =>
      this.options.logger.warn('watching target EndpointSlices failed; retrying', { error: String(error) }),
    );
    this.targetPods = { services, pods, abort };
    void pods.run(abort.signal);
  }
}
