/**
 * The durations of leader election and the rules client-go's NewLeaderElector enforces on them. Pure and free of
 * imports, so the CLI checks its flags without loading the runtime.
 */
export interface LeaderTiming {
  /** How long a standby waits, from when it saw the Lease last change, before it takes the Lease over. */
  leaseDurationMs: number;
  /** A leader that could not renew for this long steps down (unless it stays through API outages). */
  renewDeadlineMs: number;
  /** Between two tries to renew (a leader) or to acquire (a standby, jittered). */
  retryPeriodMs: number;
}

/** client-go's JitterFactor: a standby's retries wait between retryPeriod and retryPeriod x (1 + 1.2). */
export const LEADER_JITTER_FACTOR = 1.2;

/** The flags (or fields) to name in a message about the durations. */
export interface LeaderTimingNames {
  leaseDuration: string;
  renewDeadline: string;
  retryPeriod: string;
}

const FIELD_NAMES: LeaderTimingNames = {
  leaseDuration: 'leaseDurationMs',
  renewDeadline: 'renewDeadlineMs',
  retryPeriod: 'retryPeriodMs',
};

/**
 * Why these durations cannot work, or undefined: leaseDuration > renewDeadline > retryPeriod x 1.2, as client-go
 * requires (a leader must give up before a standby may take over, and get more than one try to renew before that).
 */
export function leaderTimingProblem(timing: LeaderTiming, names: LeaderTimingNames = FIELD_NAMES): string | undefined {
  const { leaseDurationMs: lease, renewDeadlineMs: renew, retryPeriodMs: retry } = timing;
  const example = `e.g. ${names.leaseDuration} 15s ${names.renewDeadline} 10s ${names.retryPeriod} 2s`;
  if (!(retry > 0)) return `${names.retryPeriod} must be above 0 (${example})`;
  if (lease <= renew)
    return (
      `${names.leaseDuration} (${show(lease)}) must be longer than ${names.renewDeadline} (${show(renew)}), so a ` +
      `leader that cannot renew gives up before another replica takes over; ${example}`
    );
  if (renew <= LEADER_JITTER_FACTOR * retry)
    return (
      `${names.renewDeadline} (${show(renew)}) must be longer than ${names.retryPeriod} x ${LEADER_JITTER_FACTOR} ` +
      `(${show(LEADER_JITTER_FACTOR * retry)}), so a leader gets more than one try to renew; ${example}`
    );
  return undefined;
}

function show(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(3))}s` : `${Math.round(ms)}ms`;
}
