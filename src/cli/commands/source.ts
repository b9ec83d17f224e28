import type { Command } from 'commander';
import type { SourceConfig } from '../../runtime/source/run-source.js';
import { parseDuration } from '../../api/duration.js';
import { leaderTimingProblem } from '../../runtime/kube/leader-timing.js';
import { UsageError } from '../../util/errors.js';
import { addClusterOptions, type ClusterOptions } from '../cluster-options.js';
import { addExamples } from '../help.js';
import { DEFAULT_METRICS_PORT, ENV } from '../../api/constants.js';
import { envOption, envSwitch, optionName } from '../env-options.js';
import { SOURCE_FLAG_DEFAULTS } from '../../runtime/defaults.js';

interface SourceCommandOptions extends ClusterOptions {
  source: string;
  perNode?: boolean;
  node?: string;
  metricsPort: string;
  concurrency: string;
  interval?: string;
  confirmFailures: string;
  confirmRetry: string;
  steadyWriteInterval: string;
  perCheckMetrics?: boolean;
  leaderElect: boolean;
  leaseDuration: string;
  renewDeadline?: string;
  retryPeriod?: string;
  leaderStayThroughApiOutage: boolean;
  staleAfter: string;
  staleSweepInterval: string;
  startJitter: string;
  heartbeatPeriod?: string;
  checkShards: string;
}

/**
 * The defaults of --renew-deadline and --retry-period: client-go's (10s and 2s for a 15s lease) in proportion to
 * --lease-duration, so a shorter lease alone stays valid.
 */
const LEASE_SHARE = {
  renewDeadline: { share: 2 / 3, text: '2/3' },
  retryPeriod: { share: 2 / 15, text: '2/15' },
};

export function registerSourceCommand(program: Command): void {
  const command = program
    .command('source')
    .description("Run the prober: probe this source's checks every interval and write their status")
    .addOption(
      envOption(
        '--source <name>',
        'source name from the topology (selects checks labelled p2pnc.io/source=<name>)',
      ).makeOptionMandatory(),
    )
    .addOption(envSwitch('per-node', 'probe only the checks of this node (DaemonSet sources)', false))
    .addOption(envOption('--node <name>', 'this node (per-node sources)', undefined, ENV.nodeName));
  addClusterOptions(command, undefined, 'lean')
    .addOption(envOption('--metrics-port <port>', '/metrics, /healthz and /readyz port', String(DEFAULT_METRICS_PORT)))
    .addOption(envOption('--concurrency <n>', 'probes in flight at once', SOURCE_FLAG_DEFAULTS.concurrency))
    .addOption(envOption('--interval <duration>', "override every check's interval (testing)"))
    .addOption(
      envOption(
        '--confirm-failures <n>',
        'consecutive failures that open an outage',
        SOURCE_FLAG_DEFAULTS.confirmFailures,
      ),
    )
    .addOption(
      envOption(
        '--confirm-retry <duration>',
        're-probe this soon after a first failure',
        SOURCE_FLAG_DEFAULTS.confirmRetry,
      ),
    )
    .addOption(
      envOption(
        '--steady-write-interval <duration>',
        'at most one status write per check this often without a transition, for checks whose spec sets no refreshInterval',
        SOURCE_FLAG_DEFAULTS.steadyWriteInterval,
      ),
    )
    .addOption(envSwitch('per-check-metrics', 'label metrics per check (N^2 series in a mesh)', false))
    .addOption(envSwitch('leader-elect', 'elect a leader among the replicas (false: a single replica)', true))
    .option('--no-leader-elect', 'the same as --leader-elect=false')
    .addOption(
      envOption(
        '--lease-duration <duration>',
        'a standby takes the Lease once it has not changed for this long',
        SOURCE_FLAG_DEFAULTS.leaseDuration,
      ),
    )
    .addOption(
      envOption(
        '--renew-deadline <duration>',
        `with --leader-stay-through-api-outage=false, a leader that could not renew for this long steps down (default: ${LEASE_SHARE.renewDeadline.text} of --lease-duration, 10s)`,
      ),
    )
    .addOption(
      envOption(
        '--retry-period <duration>',
        `between tries to renew or acquire the Lease, x 1-2.2 for standbys (default: ${LEASE_SHARE.retryPeriod.text} of --lease-duration, 2s)`,
      ),
    )
    .addOption(
      envSwitch(
        'leader-stay-through-api-outage',
        'keep leading while the API server fails renewals (a control-plane outage is when probing matters); false: step down after --renew-deadline',
        true,
      ),
    )
    .addOption(
      envOption(
        '--stale-after <duration>',
        'mark checks no source probed for this long as Stale',
        SOURCE_FLAG_DEFAULTS.staleAfter,
      ),
    )
    .addOption(
      envOption(
        '--stale-sweep-interval <duration>',
        'how often the leader of a Deployment source looks for stale checks',
        SOURCE_FLAG_DEFAULTS.staleSweepInterval,
      ),
    )
    .addOption(
      envOption(
        '--heartbeat-period <duration>',
        'renew the heartbeat Lease this often (default: every probe interval of its checks, at most every 60s)',
      ),
    )
    .addOption(
      envOption(
        '--check-shards <n>',
        "namespaces <namespace>-checks-<n> the per-node sources' checks are spread over (large clusters)",
        SOURCE_FLAG_DEFAULTS.checkShards,
      ),
    )
    .addOption(
      envOption(
        '--start-jitter <duration>',
        'wait a random time below this before the first list (thousands of nodes restarting at once)',
        SOURCE_FLAG_DEFAULTS.startJitter,
      ),
    )
    .action(async (options: SourceCommandOptions) => {
      const config = sourceConfig(options, (key) => optionName(command, key));
      // Loaded on demand, so `p2pnc target` and `p2pnc check` never load the source's dependencies.
      const { runSource } = await import('../../runtime/source/run-source.js');
      await runSource(config);
    });
  addExamples(
    command,
    [
      'p2pnc source --source network-check-source                 # in its pod: in-cluster config, namespace from P2PNC_NAMESPACE',
      'p2pnc source --source network-check-source --context prod --interval 10s   # from a workstation, for a try',
      'p2pnc source --source node-mesh --per-node --node worker-a --no-leader-elect',
    ],
    [
      'In a pod it uses its ServiceAccount; outside one, --kubeconfig or $KUBECONFIG and --context, as kubectl does.',
      'Every flag but those also reads P2PNC_<FLAG> (--start-jitter: P2PNC_START_JITTER); the flag wins.',
    ],
  );
}

/** Validates the flags into the source's configuration; bad values are usage errors (exit 2). */
function sourceConfig(options: SourceCommandOptions, name: (key: keyof SourceCommandOptions) => string): SourceConfig {
  if (options.perNode && !options.node)
    throw new UsageError(`${name('perNode')} needs --node (${ENV.nodeName} in a pod, from the downward API)`);
  const leaseDurationMs = duration(options.leaseDuration, name('leaseDuration'));
  const timing = {
    leaseDurationMs,
    renewDeadlineMs: options.renewDeadline
      ? duration(options.renewDeadline, name('renewDeadline'))
      : leaseDurationMs * LEASE_SHARE.renewDeadline.share,
    retryPeriodMs: options.retryPeriod
      ? duration(options.retryPeriod, name('retryPeriod'))
      : leaseDurationMs * LEASE_SHARE.retryPeriod.share,
  };
  const problem = leaderTimingProblem(timing, {
    leaseDuration: '--lease-duration',
    renewDeadline: '--renew-deadline',
    retryPeriod: '--retry-period',
  });
  if (problem && options.leaderElect && !options.perNode) throw new UsageError(problem);
  return {
    source: options.source,
    namespace: options.namespace,
    ...(options.perNode ? { nodeName: options.node! } : {}),
    ...(options.node ? { runningOn: options.node } : {}),
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    ...(options.context ? { context: options.context } : {}),
    metricsPort: positiveInt(options.metricsPort, name('metricsPort'), true),
    concurrency: positiveInt(options.concurrency, name('concurrency')),
    ...(options.interval ? { intervalOverrideMs: duration(options.interval, name('interval')) } : {}),
    confirmFailures: positiveInt(options.confirmFailures, name('confirmFailures')),
    confirmRetryMs: duration(options.confirmRetry, name('confirmRetry')),
    steadyWriteIntervalMs: duration(options.steadyWriteInterval, name('steadyWriteInterval')),
    perCheckMetrics: options.perCheckMetrics === true,
    leaderElection: options.leaderElect && !options.perNode,
    ...timing,
    leaderStayThroughApiOutage: options.leaderStayThroughApiOutage,
    staleAfterMs: duration(options.staleAfter, name('staleAfter')),
    staleSweepIntervalMs: duration(options.staleSweepInterval, name('staleSweepInterval')),
    startJitterMs: duration(options.startJitter, name('startJitter'), true),
    ...(options.heartbeatPeriod
      ? { heartbeatPeriodMs: duration(options.heartbeatPeriod, name('heartbeatPeriod')) }
      : {}),
    checkShards: positiveInt(options.checkShards, name('checkShards')),
  };
}

function duration(text: string, flag: string, allowZero = false): number {
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0 || (ms === 0 && !allowZero))
    throw new UsageError(`${flag} must be a Go duration such as 60s or 500ms, got "${text}"`);
  return ms;
}

function positiveInt(text: string, flag: string, allowZero = false): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1))
    throw new UsageError(`${flag} must be a whole number${allowZero ? '' : ' above 0'}, got "${text}"`);
  return value;
}
