import { hostname } from 'node:os';
import type { AddressInfo } from 'node:net';
import { type Command, Option } from 'commander';
import { parseDuration } from '../../topology/duration.js';
import { KubeClient } from '../../runtime/kube/client.js';
import { loadKubeConfig } from '../../runtime/kube/config.js';
import { LeaderElector } from '../../runtime/kube/leader.js';
import { jsonLogger } from '../../runtime/source/log.js';
import { SourceMetrics } from '../../runtime/source/metrics.js';
import { startSourceServer } from '../../runtime/source/server.js';
import { SourceRunner } from '../../runtime/source/source.js';
import { UsageError } from '../../util/errors.js';

interface SourceCommandOptions {
  source: string;
  perNode?: boolean;
  namespace?: string;
  node?: string;
  kubeconfig?: string;
  metricsPort: string;
  concurrency: string;
  interval?: string;
  confirmFailures: string;
  confirmRetry: string;
  steadyWriteInterval: string;
  perCheckMetrics?: boolean;
  leaderElect: boolean;
  leaseDuration: string;
  staleAfter: string;
  staleSweepInterval: string;
}

export function registerSourceCommand(program: Command): void {
  program
    .command('source')
    .description('Run the prober: probe this source\'s checks every interval and write their status')
    .requiredOption('--source <name>', 'source name from the topology (selects checks labelled p2pnc.io/source=<name>)')
    .option('--per-node', 'probe only the checks of this node (DaemonSet sources)')
    .addOption(new Option('--namespace <ns>', 'namespace of the checks').env('P2PNC_NAMESPACE'))
    .addOption(new Option('--node <name>', 'this node (per-node sources)').env('P2PNC_NODE_NAME'))
    .option('--kubeconfig <file>', 'kubeconfig to use outside a cluster')
    .option('--metrics-port <port>', '/metrics, /healthz and /readyz port', '17698')
    .option('--concurrency <n>', 'probes in flight at once', '256')
    .option('--interval <duration>', 'override every check\'s interval (testing)')
    .option('--confirm-failures <n>', 'consecutive failures that open an outage', '2')
    .option('--confirm-retry <duration>', 're-probe this soon after a first failure', '5s')
    .option('--steady-write-interval <duration>', 'at most one status write per check this often without a transition', '10m')
    .option('--per-check-metrics', 'label metrics per check (N^2 series in a mesh)')
    .option('--no-leader-elect', 'do not elect a leader (single replica)')
    .option('--lease-duration <duration>', 'leader Lease duration', '15s')
    .option('--stale-after <duration>', 'mark checks no source probed for this long as Stale', '48h')
    .option('--stale-sweep-interval <duration>', 'how often the leader of a Deployment source looks for stale checks', '10m')
    .action(async (options: SourceCommandOptions) => {
      const namespace = options.namespace ?? process.env.P2PNC_NAMESPACE;
      if (!namespace) throw new UsageError('--namespace is required (or set P2PNC_NAMESPACE)');
      if (options.perNode && !options.node) throw new UsageError('--per-node needs --node (or P2PNC_NODE_NAME from the downward API)');
      const identity = process.env.P2PNC_POD_NAME ?? hostname();
      const logger = jsonLogger({ source: options.source, ...(options.perNode ? { node: options.node } : {}), pod: identity });
      const client = new KubeClient(loadKubeConfig({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}) }));
      const metrics = new SourceMetrics(options.perCheckMetrics === true);
      const runnerOptions = {
        source: options.source,
        namespace,
        ...(options.perNode ? { nodeName: options.node! } : {}),
        concurrency: positiveInt(options.concurrency, '--concurrency'),
        ...(options.interval ? { intervalOverrideMs: duration(options.interval, '--interval') } : {}),
        statusPolicy: { confirmFailures: positiveInt(options.confirmFailures, '--confirm-failures'), confirmRetryMs: duration(options.confirmRetry, '--confirm-retry') },
        writePolicy: { steadyIntervalMs: duration(options.steadyWriteInterval, '--steady-write-interval') },
        logger,
        metrics,
        identity,
        staleAfterMs: duration(options.staleAfter, '--stale-after'),
        ...(options.perNode ? {} : { staleSweepIntervalMs: duration(options.staleSweepInterval, '--stale-sweep-interval') }),
      };
      let runner: SourceRunner | undefined;
      const electLeader = options.leaderElect && !options.perNode;
      const server = await startSourceServer(positiveInt(options.metricsPort, '--metrics-port', true), metrics.registry, () => (runner ? runner.hasSynced : electLeader));
      logger.info('source started', { port: (server.address() as AddressInfo).port, selector: `p2pnc.io/source=${options.source}`, leaderElection: electLeader });

      const startRunner = () => {
        runner = new SourceRunner(client, runnerOptions);
        void runner.run();
      };
      const stopRunner = async () => {
        const stopping = runner;
        runner = undefined;
        if (!stopping) return;
        const left = await stopping.stop();
        logger.info('stopped probing; pending status written', { unwritten: left });
      };

      const shutdown = new AbortController();
      let elector: LeaderElector | undefined;
      if (electLeader) {
        elector = new LeaderElector(client, {
          namespace,
          name: `${options.source}-leader`,
          identity,
          leaseDurationMs: duration(options.leaseDuration, '--lease-duration'),
          renewMs: Math.max(1_000, duration(options.leaseDuration, '--lease-duration') / 3),
          onStartedLeading: () => {
            logger.info('became leader; probing');
            startRunner();
          },
          onStoppedLeading: () => {
            logger.info('lost leadership; standing by');
            void stopRunner();
          },
          onError: (error) => logger.warn('leader election failed; retrying', { error: String(error) }),
        });
      } else startRunner();
      const electing = elector?.run(shutdown.signal);

      await new Promise<void>((resolve) => {
        const onSignal = (signal: string) => {
          logger.info('shutting down', { signal });
          resolve();
        };
        process.once('SIGTERM', () => onSignal('SIGTERM'));
        process.once('SIGINT', () => onSignal('SIGINT'));
      });
      await stopRunner();
      shutdown.abort();
      await electing;
      server.close();
      client.close();
      logger.info('source stopped');
    });
}

function duration(text: string, flag: string): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms <= 0) throw new UsageError(`${flag} must be a Go duration such as 60s or 500ms, got "${text}"`);
  return ms;
}

function positiveInt(text: string, flag: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) throw new UsageError(`${flag} must be a whole number${allowZero ? '' : ' above 0'}, got "${text}"`);
  return value;
}
