/** The source process: metrics server, optional leader election, the prober, and a graceful SIGTERM. */
import { checkNamespaceOf, checkShardNames } from '../../api/check-shards.js';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/config.js';
import { LeaderElector } from '../kube/leader.js';
import { jsonLogger } from './log.js';
import { SourceMetrics } from './metrics.js';
import { startSourceServer } from './server.js';
import { SourceRunner } from './source.js';
import { ENV, leaderLeaseName } from '../../api/constants.js';

export interface SourceConfig {
  source: string;
  namespace: string;
  nodeName?: string;
  /** The node this pod runs on (a Deployment source too), recorded in its heartbeat. */
  runningOn?: string;
  kubeconfig?: string;
  context?: string;
  metricsPort: number;
  concurrency: number;
  intervalOverrideMs?: number;
  confirmFailures: number;
  confirmRetryMs: number;
  steadyWriteIntervalMs: number;
  perCheckMetrics: boolean;
  leaderElection: boolean;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  leaderStayThroughApiOutage: boolean;
  staleAfterMs: number;
  staleSweepIntervalMs: number;
  startJitterMs: number;
  /** Renew the heartbeat at least this often, whatever the checks' intervals. @default every shortest interval, <= 60s */
  heartbeatPeriodMs?: number;
  /** Namespaces the per-node sources' checks are spread over (api/check-shards.ts). @default 1 */
  checkShards?: number;
}

export async function runSource(config: SourceConfig): Promise<void> {
  const identity = process.env[ENV.podName] ?? hostname();
  const logger = jsonLogger({
    source: config.source,
    ...(config.nodeName ? { node: config.nodeName } : {}),
    pod: identity,
  });
  const client = new KubeClient(
    loadKubeConfig({
      ...(config.kubeconfig ? { kubeconfig: config.kubeconfig } : {}),
      ...(config.context ? { context: config.context } : {}),
    }),
  );
  const metrics = new SourceMetrics(config.perCheckMetrics);
  const shards = config.checkShards ?? 1;
  const runnerOptions = {
    source: config.source,
    namespace: config.namespace,
    ...(config.nodeName ? { checksNamespace: checkNamespaceOf(config.namespace, config.nodeName, shards) } : {}),
    sweepNamespaces: [config.namespace, ...checkShardNames(config.namespace, shards)],
    ...(config.nodeName ? { nodeName: config.nodeName } : {}),
    concurrency: config.concurrency,
    ...(config.intervalOverrideMs ? { intervalOverrideMs: config.intervalOverrideMs } : {}),
    statusPolicy: { confirmFailures: config.confirmFailures, confirmRetryMs: config.confirmRetryMs },
    writePolicy: { steadyIntervalMs: config.steadyWriteIntervalMs },
    logger,
    metrics,
    identity,
    staleAfterMs: config.staleAfterMs,
    // Per-node sources leave the namespace-wide sweep to the Deployment source's leader.
    ...(config.nodeName ? {} : { staleSweepIntervalMs: config.staleSweepIntervalMs }),
    startJitterMs: config.startJitterMs,
    ...(config.runningOn ? { runningOn: config.runningOn } : {}),
    ...(config.heartbeatPeriodMs ? { heartbeatPeriodMs: config.heartbeatPeriodMs } : {}),
  };
  let runner: SourceRunner | undefined;
  const server = await startSourceServer(config.metricsPort, metrics.registry, () =>
    runner ? runner.hasSynced : config.leaderElection,
  );
  logger.info('source started', {
    port: (server.address() as AddressInfo).port,
    leaderElection: config.leaderElection,
  });

  const startRunner = () => {
    runner = new SourceRunner(client, runnerOptions);
    void runner.run();
  };
  const stopRunner = async () => {
    const stopping = runner;
    runner = undefined;
    if (!stopping) return;
    const unwritten = await stopping.stop();
    logger.info('stopped probing; pending status written', { unwritten });
  };

  const shutdown = new AbortController();
  const elector = config.leaderElection
    ? new LeaderElector(client, {
        namespace: config.namespace,
        name: leaderLeaseName(config.source),
        identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        stayThroughApiOutage: config.leaderStayThroughApiOutage,
        onStartedLeading: () => {
          logger.info('became leader; probing');
          startRunner();
        },
        onStoppedLeading: () => {
          if (shutdown.signal.aborted) return;
          logger.info('lost leadership; standing by');
          void stopRunner();
        },
        onApiServerAnswered: () => runner?.apiServerAnswered(),
        onError: (error) => logger.warn('leader election failed; retrying', { error: String(error) }),
      })
    : undefined;
  if (!elector) startRunner();
  const electing = elector?.run(shutdown.signal);

  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info('shutting down', { signal });
  await stopRunner();
  shutdown.abort();
  await electing;
  server.close();
  client.close();
  logger.info('source stopped');
}
