/**
 * Renews this source instance's heartbeat Lease once per period while it is actually probing (its checks are
 * listed and a probe finished within the last two periods), so `p2pnc diagnose` sees a source that stopped within a
 * few periods. One small merge patch per source per period: at 5,000 per-node sources and the 60 s period that is
 * 83 patches/s of ~300 bytes each, the load kubelets' node Leases put on every cluster six times over.
 */
import {
  ANNOTATION_RUNNING_ON,
  ANNOTATION_SOURCE_NODE,
  heartbeatDurationSeconds,
  heartbeatLabels,
  heartbeatLeaseName,
} from '../../api/heartbeat.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { sleep } from '../kube/clock.js';
import { paths } from '../kube/resources.js';
import { formatMicroTime } from '../status/time.js';

const NOT_PROBING_RECHECK_MS = 1_000;

export interface HeartbeatOptions {
  namespace: string;
  source: string;
  /** Per-node sources: the node they probe from. */
  nodeName?: string;
  /** The node this pod runs on (downward API), recorded for a Deployment source whose checks name no node. */
  runningOn?: string;
  /** The pod. */
  identity: string;
  /** The current period (it follows the shortest check interval). */
  periodMs: () => number;
  /** Whether the source probes now; a stuck or unsynced source does not renew. */
  isProbing: () => boolean;
  onRenewed?: () => void;
  onError?: (error: unknown) => void;
  now?: () => Date;
}

export class Heartbeat {
  readonly leaseName: string;
  private readonly now: () => Date;
  private created = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: HeartbeatOptions,
  ) {
    this.leaseName = heartbeatLeaseName(options.source, options.nodeName);
    this.now = options.now ?? (() => new Date());
  }

  /** Renews every period until the signal aborts; errors are reported and the next period tries again. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const period = this.options.periodMs();
      const probing = this.options.isProbing();
      if (probing) {
        try {
          await this.renew(period);
          this.options.onRenewed?.();
        } catch (error) {
          this.options.onError?.(error);
        }
      }
      // Jittered by up to a tenth, so sources that started together do not renew in lockstep. Until it probes (its
      // checks not listed yet, so no interval known) it looks again every second, so the first renewal is not late.
      await sleep(probing ? period * (0.9 + Math.random() * 0.1) : Math.min(period, NOT_PROBING_RECHECK_MS), signal);
    }
  }

  /**
   * One renewal: a merge patch of the Lease, created when it does not exist yet. Each request may take two periods
   * (at least 5 s): a busy API server answering late still keeps the heartbeat, one that cannot answer lets it lapse.
   */
  async renew(periodMs: number): Promise<void> {
    const timeoutMs = Math.max(2 * periodMs, 5_000);
    const time = formatMicroTime(this.now());
    const spec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: heartbeatDurationSeconds(periodMs),
      renewTime: time,
    };
    const metadata = {
      labels: heartbeatLabels(this.options.source, this.options.nodeName),
      annotations: {
        ...(this.options.runningOn ? { [ANNOTATION_RUNNING_ON]: this.options.runningOn } : {}),
        ...(this.options.nodeName ? { [ANNOTATION_SOURCE_NODE]: this.options.nodeName } : {}),
      },
    };
    const path = paths.lease(this.options.namespace, this.leaseName);
    if (this.created) {
      try {
        // Labels and annotations only on the first write of this process: a renewal sends the spec alone.
        await this.client.mergePatch(path, { spec }, { timeoutMs });
        return;
      } catch (error) {
        if (!(error instanceof KubeApiError && error.isNotFound)) throw error;
        this.created = false;
      }
    }
    try {
      await this.client.mergePatch(path, { metadata, spec: { ...spec, acquireTime: time } }, { timeoutMs });
    } catch (error) {
      if (!(error instanceof KubeApiError && error.isNotFound)) throw error;
      await this.client.request('POST', paths.leases(this.options.namespace), {
        body: {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.leaseName, namespace: this.options.namespace, ...metadata },
          spec: { ...spec, acquireTime: time },
        },
        timeoutMs,
      });
    }
    this.created = true;
  }
}
